"""Volunteers: where they live, when they are free, what they can do, how far they go."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from matcher.generate.geography import Stations, offset
from matcher.generate.names import ELDER, MIDDLE, YOUTH, draw_names
from matcher.generate.organizations import INDEPENDENT, ORGANIZATIONS
from matcher.generate.timetable import RETIREE, STUDENT, RowDraw, availability

VOLUNTEER_COLUMNS = ("id", "name", "lat", "lon", "gender", "skills", "languages",
                     "organization", "station", "availability", "max_hours_per_week",
                     "max_residents", "max_distance_km", "travel", "background_check_until")

# Retirees, people in work, university students.
PROFILE_P = (0.40, 0.42, 0.18)
FEMALE_P = (0.62, 0.55, 0.60)

SKILLS = ("first_aid", "nursing", "rehab", "tutoring", "sign_language", "haircut", "safety_check")
# Chance of each skill by profile before any organisation's training. Rehabilitation and sign
# language are rare, as they are in life; retired teachers and nurses bring tutoring and
# nursing; students tutor.
SKILL_P: dict[str, tuple[float, float, float]] = {
    "first_aid": (0.12, 0.15, 0.20),
    "nursing": (0.08, 0.04, 0.05),
    "rehab": (0.02, 0.02, 0.04),
    "tutoring": (0.10, 0.07, 0.45),
    "sign_language": (0.01, 0.01, 0.03),
    "haircut": (0.07, 0.05, 0.02),
    "safety_check": (0.05, 0.10, 0.02),
}
PUTONGHUA_P = (0.90, 0.98, 1.0)
DIALECT_P = (0.88, 0.62, 0.30)  # 唐山话: nearly every older local, fewer of the young

# Where a volunteer lives relative to the station: next to a cared-for resident (邻里守望),
# elsewhere in the neighbourhood, or farther out.
NEIGHBOUR, NEARBY, FARTHER = 0, 1, 2
HOME_P = (0.60, 0.28, 0.12)
NEARBY_KM = 2.0  # the neighbourhood: evenly spread up to this far from the station

TRAVEL = ("walk", "bike", "drive")
TRAVEL_P = ((0.88, 0.10, 0.02), (0.62, 0.26, 0.12), (0.68, 0.32, 0.0))
# Walkers keep to 2-3 km, cyclists 3-5 km, drivers 5 km (the cap is on road distance).
DISTANCE_KM = {"walk": ((2.0, 2.5, 3.0), (0.40, 0.35, 0.25)),
               "bike": ((3.0, 4.0, 5.0), (0.35, 0.40, 0.25)),
               "drive": ((5.0,), (1.0,))}
HOURS = (((3, 4, 5, 6, 8), (0.15, 0.3, 0.2, 0.2, 0.15)),
         ((2, 3, 4, 5), (0.3, 0.3, 0.3, 0.1)),
         ((2, 3, 4, 6), (0.25, 0.3, 0.3, 0.15)))
MAX_RESIDENTS = (((1, 2, 3), (0.2, 0.5, 0.3)),
                 ((1, 2, 3), (0.45, 0.45, 0.10)),
                 ((1, 2, 3), (0.35, 0.5, 0.15)))
# Safeguarding check: valid, expired, never done. Universities check their students.
CHECK_P = ((0.55, 0.12, 0.33), (0.62, 0.10, 0.28), (0.85, 0.05, 0.10))


def draw_volunteers(rng: np.random.Generator, count: int, stations: Stations,
                    residents: pd.DataFrame, resident_station: np.ndarray,
                    week_of: dt.date) -> pd.DataFrame:
    """The volunteers table, ordered by station. `resident_station`: station index per resident
    (residents come ordered by station)."""
    per_station = np.bincount(resident_station, minlength=len(stations))
    # Volunteers follow the need; every station keeps a few even with few residents.
    weight = per_station + 2.0
    station = np.sort(rng.choice(len(stations), size=count, p=weight / weight.sum()))
    profile = rng.choice(3, size=count, p=PROFILE_P)
    lat, lon = _homes(rng, station, stations, residents, resident_station, per_station)

    female = rng.random(count) < np.asarray(FEMALE_P)[profile]
    generation = np.where(profile == STUDENT, YOUTH, MIDDLE)
    generation[(profile == RETIREE) & (rng.random(count) < 0.6)] = ELDER
    names = draw_names(rng, generation, female)
    organization = _organizations(rng, profile, female)
    skills = _skills(rng, profile, organization)
    languages = _languages(rng, profile)
    rows = rng.random((count, 24)).tolist()
    windows = [";".join(availability(RowDraw(row), p)) for row, p in
               zip(rows, profile.tolist(), strict=True)]

    hours = _by_profile(rng, profile, HOURS)
    max_residents = _by_profile(rng, profile, MAX_RESIDENTS)
    travel = _by_profile(rng, profile, tuple((TRAVEL, p) for p in TRAVEL_P)).astype(str)
    max_km = np.empty(count)
    for mode, (options, p) in DISTANCE_KM.items():
        mine = travel == mode
        max_km[mine] = rng.choice(options, size=int(mine.sum()), p=p)
    check = _background_checks(rng, profile, week_of)

    org_ids = [o.id for o in ORGANIZATIONS] + [""]
    return pd.DataFrame({
        "id": [f"V{i:06d}" for i in range(1, count + 1)],
        "name": names,
        "lat": np.round(lat, 6),
        "lon": np.round(lon, 6),
        "gender": np.where(female, "female", "male"),
        "skills": skills,
        "languages": languages,
        "organization": [org_ids[o] for o in organization.tolist()],
        "station": [stations.ids[s] for s in station.tolist()],
        "availability": windows,
        "max_hours_per_week": hours.astype(np.int64),
        "max_residents": max_residents.astype(np.int64),
        "max_distance_km": max_km,
        "travel": travel,
        "background_check_until": check,
    }, columns=list(VOLUNTEER_COLUMNS))


def _homes(rng: np.random.Generator, station: np.ndarray, stations: Stations,
           residents: pd.DataFrame, resident_station: np.ndarray,
           per_station: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    count = len(station)
    home = rng.choice(3, size=count, p=HOME_P)
    home[(home == NEIGHBOUR) & (per_station[station] == 0)] = NEARBY
    first = np.searchsorted(resident_station, station, side="left")
    neighbour = np.minimum(first + (rng.random(count) * per_station[station]).astype(np.intp),
                           max(len(resident_station) - 1, 0))
    base_lat = np.where(home == NEIGHBOUR, _at(residents["lat"], neighbour), stations.lat[station])
    base_lon = np.where(home == NEIGHBOUR, _at(residents["lon"], neighbour), stations.lon[station])
    distance = np.select(
        [home == NEIGHBOUR, home == NEARBY],
        [0.05 + 0.45 * rng.beta(1.2, 2.0, count),
         np.sqrt(0.01 + rng.random(count) * (NEARBY_KM**2 - 0.01))],
        2.0 + 3.0 * rng.beta(1.2, 2.0, count))
    return offset(base_lat, base_lon, distance, rng.uniform(0.0, 2.0 * np.pi, count))


def _at(column: pd.Series, index: np.ndarray) -> np.ndarray:
    values = column.to_numpy(dtype=float)
    return values[index] if len(values) else np.zeros(len(index))


def _organizations(rng: np.random.Generator, profile: np.ndarray,
                   female: np.ndarray) -> np.ndarray:
    """Index into ORGANIZATIONS per volunteer; len(ORGANIZATIONS) means independent."""
    result = np.empty(len(profile), dtype=np.intp)
    for p in range(3):
        for is_female in (False, True):
            mine = np.flatnonzero((profile == p) & (female == is_female))
            weights = np.array([0.0 if (o.women_only and not is_female) else o.members[p]
                                for o in ORGANIZATIONS] + [INDEPENDENT[p]])
            result[mine] = rng.choice(len(weights), size=len(mine), p=weights / weights.sum())
    return result


def _skills(rng: np.random.Generator, profile: np.ndarray, organization: np.ndarray) -> list[str]:
    p = np.array([SKILL_P[s] for s in SKILLS]).T[profile]  # volunteer x skill
    trained = np.zeros((len(ORGANIZATIONS) + 1, len(SKILLS)))
    for row, org in enumerate(ORGANIZATIONS):
        for skill, chance in org.skills:
            trained[row, SKILLS.index(skill)] = chance
    p = 1.0 - (1.0 - p) * (1.0 - trained[organization])
    return _joined(rng.random(p.shape) < p, SKILLS)


def _languages(rng: np.random.Generator, profile: np.ndarray) -> list[str]:
    speaks = np.column_stack([rng.random(len(profile)) < np.asarray(PUTONGHUA_P)[profile],
                              rng.random(len(profile)) < np.asarray(DIALECT_P)[profile]])
    speaks[~speaks.any(axis=1), 0] = True  # everyone speaks something
    return _joined(speaks, ("putonghua", "tangshan_dialect"))


def _joined(flags: np.ndarray, labels: tuple[str, ...]) -> list[str]:
    """Each row of a boolean matrix as its `;`-joined labels (one string per bit pattern)."""
    bits = flags.astype(np.int64) @ (1 << np.arange(len(labels), dtype=np.int64))
    patterns = [";".join(label for j, label in enumerate(labels) if m >> j & 1)
                for m in range(1 << len(labels))]
    return [patterns[m] for m in bits.tolist()]


def _by_profile(rng: np.random.Generator, profile: np.ndarray, table: tuple) -> np.ndarray:
    u = rng.random(len(profile))
    result = np.empty(len(profile), dtype=object)
    for p, (options, weights) in enumerate(table):
        mine = profile == p
        edges = np.cumsum(weights) / np.sum(weights)
        picked = np.minimum(np.searchsorted(edges, u[mine], side="right"), len(options) - 1)
        result[mine] = np.asarray(options, dtype=object)[picked]
    return result


def _background_checks(rng: np.random.Generator, profile: np.ndarray,
                       week_of: dt.date) -> list[str]:
    count = len(profile)
    u = rng.random(count)
    p = np.asarray(CHECK_P)[profile]
    valid = u < p[:, 0]
    expired = ~valid & (u < p[:, 0] + p[:, 1])
    ahead = rng.integers(14, 3 * 365, count)  # valid: runs out some weeks to three years on
    behind = rng.integers(1, 540, count)      # expired: lapsed up to a year and a half ago
    days = np.where(valid, ahead, -behind)
    base = np.datetime64(week_of.isoformat(), "D")
    dates = np.datetime_as_string(base + days.astype("timedelta64[D]")).tolist()
    return [d if (v or e) else "" for d, v, e in zip(dates, valid.tolist(), expired.tolist(),
                                                      strict=True)]

