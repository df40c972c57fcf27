"""Volunteer organisations: who joins them and which skills their members tend to bring."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrganizationSpec:
    """`members`: how likely a retiree, a worker and a student are to belong (relative).
    `skills`: chance that a member has each skill through the organisation's own training
    (the Red Cross trains first aid, the gas company checks stoves, ...).
    """

    id: str
    name: str
    members: tuple[float, float, float]
    skills: tuple[tuple[str, float], ...] = ()
    women_only: bool = False


ORGANIZATIONS: tuple[OrganizationSpec, ...] = (
    OrganizationSpec("ORG01", "唐山市红十字会志愿服务队", (0.12, 0.10, 0.04),
                     (("first_aid", 0.85), ("nursing", 0.10))),
    OrganizationSpec("ORG02", "华北理工大学青年志愿者协会", (0.0, 0.0, 0.42),
                     (("first_aid", 0.30), ("nursing", 0.20), ("rehab", 0.12))),
    OrganizationSpec("ORG03", "唐山师范学院大学生志愿者协会", (0.0, 0.0, 0.38),
                     (("tutoring", 0.60), ("sign_language", 0.15))),
    OrganizationSpec("ORG04", "唐山市银龄志愿服务队", (0.34, 0.0, 0.0), (("haircut", 0.08),)),
    OrganizationSpec("ORG05", "唐山市巾帼志愿服务队", (0.10, 0.12, 0.0), (("haircut", 0.05),),
                     women_only=True),
    OrganizationSpec("ORG06", "唐山市青年志愿者协会", (0.0, 0.20, 0.08), (("first_aid", 0.15),)),
    OrganizationSpec("ORG07", "唐山市燃气安全志愿服务队", (0.02, 0.07, 0.0),
                     (("safety_check", 0.90),)),
    OrganizationSpec("ORG08", "唐山市电力志愿服务队", (0.0, 0.07, 0.0), (("safety_check", 0.85),)),
    OrganizationSpec("ORG09", "唐山市残联助残志愿服务队", (0.04, 0.05, 0.04),
                     (("sign_language", 0.35), ("rehab", 0.30))),
    OrganizationSpec("ORG10", "社区邻里守望志愿服务队", (0.30, 0.29, 0.0)),
)

# Relative weight of volunteering with no organisation (registered as an individual).
INDEPENDENT: tuple[float, float, float] = (0.08, 0.10, 0.04)


def organizations_header() -> list[dict[str, str]]:
    """The `organizations` list of the scenario file."""
    return [{"id": o.id, "name": o.name} for o in ORGANIZATIONS]
