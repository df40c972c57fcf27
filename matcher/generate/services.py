"""The service menu (菜单化服务) and the needs residents order from it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.generate.timetable import RowDraw, need_windows


@dataclass(frozen=True)
class ServiceSpec:
    """One service of the menu and how residents tend to order it.

    `senior_weight` / `child_weight`: how often each kind of resident asks for it.
    `pair_visit`: chance that a visit takes two volunteers together when the resident has a
    team of two or more (an escort to hospital, lifting a child through exercises).
    """

    id: str
    name: str
    skills: tuple[str, ...]
    senior_weight: float
    child_weight: float
    durations: tuple[int, ...]
    duration_p: tuple[float, ...]
    visits: tuple[int, ...]
    visits_p: tuple[float, ...]
    pair_visit: float = 0.0


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("companionship", "陪伴探访", (), 0.40, 0.15, (45, 60, 90), (0.3, 0.5, 0.2),
                (1, 2, 3), (0.45, 0.35, 0.2)),
    ServiceSpec("housekeeping", "家政帮扶", (), 0.25, 0.0, (60, 90, 120), (0.3, 0.45, 0.25),
                (1, 2), (0.7, 0.3)),
    ServiceSpec("escort", "就医陪护", ("first_aid",), 0.12, 0.0, (90, 120), (0.4, 0.6),
                (1,), (1.0,), pair_visit=0.5),
    ServiceSpec("haircut", "上门理发", ("haircut",), 0.12, 0.0, (30, 45), (0.6, 0.4),
                (1,), (1.0,)),
    ServiceSpec("safety_check", "燃气用电安全检查", ("safety_check",), 0.11, 0.0, (30, 45),
                (0.5, 0.5), (1,), (1.0,)),
    ServiceSpec("tutoring", "课业辅导", ("tutoring",), 0.0, 0.40, (60, 90), (0.6, 0.4),
                (1, 2, 3), (0.3, 0.45, 0.25)),
    ServiceSpec("rehab", "康复训练", ("rehab",), 0.0, 0.35, (45, 60), (0.5, 0.5),
                (1, 2, 3), (0.2, 0.45, 0.35), pair_visit=0.5),
    ServiceSpec("sign_language", "手语陪伴", ("sign_language",), 0.0, 0.10, (45, 60, 90),
                (0.3, 0.5, 0.2), (1, 2), (0.6, 0.4)),
)

# How many services one resident orders.
NEEDS_PER_RESIDENT = (1, 2, 3)
NEEDS_PER_RESIDENT_P = (0.45, 0.38, 0.17)

NEED_COLUMNS = ("resident", "service", "visits_per_week", "duration_min",
                "volunteers_per_visit", "windows")


def services_header() -> dict[str, dict]:
    """The `services` mapping of the scenario file."""
    return {s.id: {"name": s.name, "skills": list(s.skills)} for s in SERVICES}


def draw_needs(rng: np.random.Generator, resident_ids: list[str], child: np.ndarray,
               team_size: np.ndarray, at_home: np.ndarray) -> pd.DataFrame:
    """The needs table: 1-3 distinct services per resident, in menu order.

    Distinct services are drawn without replacement by the Gumbel top-k trick: adding Gumbel
    noise to the log-weights and taking the k largest is a weighted draw without replacement,
    for all residents at once.
    """
    count = len(resident_ids)
    weights = np.array([[s.senior_weight, s.child_weight] for s in SERVICES]).T  # kind x service
    with np.errstate(divide="ignore"):
        log_w = np.log(weights[child.astype(np.intp)])
    keys = log_w + rng.gumbel(size=log_w.shape)
    ranked = np.argsort(-keys, axis=1, kind="stable")
    k = rng.choice(NEEDS_PER_RESIDENT, size=count, p=NEEDS_PER_RESIDENT_P)
    chosen = np.zeros_like(keys, dtype=bool)
    rows = np.arange(count)
    for rank in range(max(NEEDS_PER_RESIDENT)):
        take = k > rank
        chosen[rows[take], ranked[take, rank]] = True
    owner, service = np.nonzero(chosen)  # row-major: by resident, then menu order

    n = len(owner)
    u = rng.random((n, 3))
    shared = rng.random((n, 24)).tolist()
    visits = np.empty(n, dtype=np.int64)
    duration = np.empty(n, dtype=np.int64)
    per_visit = np.ones(n, dtype=np.int64)
    for index, spec in enumerate(SERVICES):
        mine = service == index
        visits[mine] = _pick(spec.visits, spec.visits_p, u[mine, 0])
        duration[mine] = _pick(spec.durations, spec.duration_p, u[mine, 1])
        # Two at a time only where the resident's team has two people to send.
        pair = mine & (team_size[owner] >= 2) & (u[:, 2] < spec.pair_visit)
        per_visit[pair] = 2

    windows = [
        ";".join(need_windows(RowDraw(row), bool(child[o]), SERVICES[s].id, int(d), int(v),
                              bool(at_home[o])))
        for o, s, d, v, row in zip(owner.tolist(), service.tolist(), duration.tolist(),
                                   visits.tolist(), shared, strict=True)
    ]
    return pd.DataFrame({
        "resident": [resident_ids[o] for o in owner.tolist()],
        "service": [SERVICES[s].id for s in service.tolist()],
        "visits_per_week": visits,
        "duration_min": duration,
        "volunteers_per_visit": per_visit,
        "windows": windows,
    })


def _pick(options: tuple[int, ...], p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    edges = np.cumsum(p) / np.sum(p)
    return np.asarray(options)[np.minimum(np.searchsorted(edges, u, side="right"),
                                          len(options) - 1)]
