"""Small scenarios written as text, for tests that must be checked by hand."""

from __future__ import annotations

import textwrap

import yaml

from matcher.scenario import Scenario, parse_scenario

# 0.01 degree of latitude is 1.111950 km on the format's sphere (R = 6371.0088 km);
# with the default detour factor 1.3 that is 1.445535 km of travel.
KM_PER_HUNDREDTH_DEGREE = 1.111950 * 1.3
BASE_LAT, BASE_LON = 39.63, 118.18


def scenario(residents: list[dict], volunteers: list[dict], *, current=None, config=None,
             organizations=("ORG1", "ORG2"), services=None) -> Scenario:
    """A scenario from plain dicts; fields left out take sensible defaults."""
    services = services or {
        "companionship": {"name": "陪伴探访", "skills": []},
        "rehab": {"name": "康复训练", "skills": ["rehab"]},
        "escort": {"name": "就医陪护", "skills": ["first_aid", "rehab"]},
    }
    document = {
        "format": "matcher/v1",
        "name": "test",
        "week_of": "2026-12-07",
        "services": services,
        "organizations": [{"id": o, "name": o} for o in organizations],
        "residents": [_resident(r) for r in residents],
        "volunteers": [_volunteer(v) for v in volunteers],
    }
    if current:
        document["current"] = [{"resident": r, "volunteer": v} for r, v in current]
    if config:
        document["config"] = config
    return parse_scenario(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "t.yaml")


def _resident(fields: dict) -> dict:
    result = {"id": "R1", "name": "张秀兰", "kind": "senior", "lat": BASE_LAT, "lon": BASE_LON,
              "needs": [{"service": "companionship", "duration_min": 60,
                         "windows": ["Mon-Fri 09:00-12:00"]}]}
    result.update(fields)
    return result


def _volunteer(fields: dict) -> dict:
    result = {"id": "V1", "name": "刘桂芳", "lat": BASE_LAT, "lon": BASE_LON,
              "availability": ["Mon-Sun 08:00-20:00"], "organization": "ORG1"}
    result.update(fields)
    return result


def dedent(text: str) -> str:
    return textwrap.dedent(text)
