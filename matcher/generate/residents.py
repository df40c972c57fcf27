"""Cared-for residents: empty-nest seniors and disabled or seriously ill children."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.generate.geography import Stations, offset
from matcher.generate.names import CHILD, ELDER, draw_names

RESIDENT_COLUMNS = ("id", "name", "kind", "lat", "lon", "station", "priority", "team_size",
                    "require_gender", "require_languages", "prefer_gender", "prefer_languages",
                    "exclude_volunteers")

# The scheme's published figures: over 12,000 seniors and 2,806 children.
CHILD_SHARE = 2_806 / (12_000 + 2_806)
# Women outlive men, so more seniors living alone are women; slightly more boys among the
# children (as in most registers of childhood disability).
FEMALE_P = {"senior": 0.58, "child": 0.45}
PRIORITY_P = {"senior": (0.45, 0.30, 0.14, 0.08, 0.03), "child": (0.30, 0.32, 0.20, 0.12, 0.06)}
TEAM_SIZE_P = {"senior": (0.78, 0.18, 0.04), "child": (0.62, 0.30, 0.08)}
# A station looks after the homes within walking distance around it.
INNER_KM, OUTER_KM = 0.1, 1.5
# Children whose illness keeps them out of school can be visited on weekday mornings.
AT_HOME_P = 0.3


@dataclass(frozen=True)
class ResidentDraw:
    """The residents table (ordered by station) and what the needs and volunteers depend on."""

    table: pd.DataFrame
    station: np.ndarray  # station index per resident, non-decreasing
    child: np.ndarray
    at_home: np.ndarray


def draw_residents(rng: np.random.Generator, count: int, stations: Stations) -> ResidentDraw:
    # Stations differ in how many people they look after: a gamma factor gives sizes that
    # vary by about 40 % around the mean.
    size = rng.gamma(6.0, 1.0, len(stations))
    station = np.sort(rng.choice(len(stations), size=count, p=size / size.sum()))
    # Homes spread evenly over the station's neighbourhood, 100 m to 1.5 km from it.
    distance = np.sqrt(INNER_KM**2 + rng.random(count) * (OUTER_KM**2 - INNER_KM**2))
    lat, lon = offset(stations.lat[station], stations.lon[station], distance,
                      rng.uniform(0.0, 2.0 * np.pi, count))

    child = rng.random(count) < CHILD_SHARE
    kind = np.where(child, "child", "senior")
    female = rng.random(count) < np.where(child, FEMALE_P["child"], FEMALE_P["senior"])
    names = draw_names(rng, np.where(child, CHILD, ELDER), female)
    priority = _by_kind(rng, child, PRIORITY_P, (1, 2, 3, 4, 5))
    team_size = _by_kind(rng, child, TEAM_SIZE_P, (1, 2, 3))
    at_home = child & (rng.random(count) < AT_HOME_P)
    wishes = _wishes(rng, child, female)

    table = pd.DataFrame({
        "id": [f"R{i:05d}" for i in range(1, count + 1)],
        "name": names,
        "kind": kind,
        "lat": np.round(lat, 6),
        "lon": np.round(lon, 6),
        "station": [stations.ids[s] for s in station.tolist()],
        "priority": priority,
        "team_size": team_size,
        **wishes,
        "exclude_volunteers": "",
    }, columns=list(RESIDENT_COLUMNS))
    return ResidentDraw(table, station, child, at_home)


def _by_kind(rng: np.random.Generator, child: np.ndarray, p: dict[str, tuple[float, ...]],
             options: tuple[int, ...]) -> np.ndarray:
    senior = rng.choice(options, size=len(child), p=p["senior"])
    young = rng.choice(options, size=len(child), p=p["child"])
    return np.where(child, young, senior).astype(np.int64)


def _wishes(rng: np.random.Generator, child: np.ndarray, female: np.ndarray) -> dict[str, list]:
    """Hard and soft wishes about who visits.

    Some women living alone will only open the door to a woman; some seniors speak only the
    Tangshan dialect; more merely prefer either. Parents of some girls ask for women.
    """
    count = len(child)
    senior = ~child
    u = rng.random((count, 4))
    own = np.where(female, "female", "male")
    require_gender = np.full(count, "", dtype=object)
    require_gender[senior & female & (u[:, 0] < 0.12)] = "female"
    require_gender[senior & ~female & (u[:, 0] < 0.03)] = "male"
    require_gender[child & female & (u[:, 0] < 0.10)] = "female"
    require_languages = np.where(senior & (u[:, 1] < 0.05), "tangshan_dialect", "")

    prefer_gender = np.full(count, "", dtype=object)
    open_gender = require_gender == ""
    chosen = open_gender & senior & (u[:, 2] < 0.15)
    prefer_gender[chosen] = own[chosen]
    prefer_gender[open_gender & child & (u[:, 2] < 0.10)] = "female"
    prefer_languages = np.full(count, "", dtype=object)
    prefer_languages[senior & (require_languages == "") & (u[:, 3] < 0.20)] = "tangshan_dialect"
    prefer_languages[child & (u[:, 3] < 0.03)] = "putonghua"
    return {"require_gender": require_gender.tolist(),
            "require_languages": require_languages.tolist(),
            "prefer_gender": prefer_gender.tolist(),
            "prefer_languages": prefer_languages.tolist()}
