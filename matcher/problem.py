"""The compiled, numeric form of a scenario that solvers and analyses read.

Ids become integer indices (in input order), windows become minutes, and every per-entity
field becomes a read-only numpy array. Nothing here refers back to files or YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from matcher.daywindows import DayIntervals, day_patterns, single_day_windows
from matcher.scenario.model import GENDERS, Scenario, Window

EARTH_RADIUS_KM = 6371.0088
MS_PER_MINUTE = 60_000
MINUTES_PER_HOUR = 60
MS_PER_HOUR = MINUTES_PER_HOUR * MS_PER_MINUTE
NO_GENDER = -1


@dataclass(frozen=True)
class Problem:
    scenario: Scenario
    detour_factor: float
    # residents
    resident_ids: tuple[str, ...]
    resident_lat: np.ndarray
    resident_lon: np.ndarray
    resident_is_child: np.ndarray
    resident_priority: np.ndarray
    resident_team_size: np.ndarray
    require_gender: np.ndarray  # gender index or NO_GENDER
    require_languages: np.ndarray  # bool [resident, language]
    prefer_gender: np.ndarray
    prefer_languages: np.ndarray
    excluded: frozenset[tuple[int, int]]  # (resident, volunteer)
    # needs, flattened over residents in input order
    need_resident: np.ndarray
    need_service: np.ndarray
    need_visits: np.ndarray
    need_duration: np.ndarray
    need_volunteers_per_visit: np.ndarray
    need_window_pattern: np.ndarray  # index into window_patterns
    need_start: np.ndarray  # needs of resident r are need_start[r] .. need_start[r + 1] - 1
    # volunteers
    volunteer_ids: tuple[str, ...]
    volunteer_lat: np.ndarray
    volunteer_lon: np.ndarray
    volunteer_gender: np.ndarray
    volunteer_skills: np.ndarray  # bool [volunteer, skill]
    volunteer_languages: np.ndarray  # bool [volunteer, language]
    volunteer_max_minutes: np.ndarray  # float, weekly service + travel cap
    volunteer_max_residents: np.ndarray
    volunteer_max_distance_km: np.ndarray
    volunteer_speed_kmh: np.ndarray
    volunteer_checked: np.ndarray  # safeguarding valid for the roster week
    volunteer_window_pattern: np.ndarray
    volunteer_organization: np.ndarray  # organization index, or -1 for none
    # shared vocabularies
    service_ids: tuple[str, ...]
    service_skills: np.ndarray  # bool [service, skill]
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    window_patterns: tuple[tuple[Window, ...], ...]
    current: np.ndarray  # int [k, 2]: (resident, volunteer)

    @property
    def n_residents(self) -> int:
        return len(self.resident_ids)

    @property
    def n_volunteers(self) -> int:
        return len(self.volunteer_ids)

    @property
    def n_needs(self) -> int:
        return len(self.need_resident)

    def travel_minutes(self, residents, volunteers) -> np.ndarray:
        """Minutes for each volunteer to travel from their base to each resident."""
        return self.distance_km(residents, volunteers) / self.volunteer_speed_kmh[volunteers] * 60

    def resident_travel_minutes(self, first, second, volunteers) -> np.ndarray:
        """Minutes for a volunteer to travel from one resident's home to another's."""
        km = self.detour_factor * haversine_km(
            self.resident_lat[first], self.resident_lon[first],
            self.resident_lat[second], self.resident_lon[second])
        return km / self.volunteer_speed_kmh[volunteers] * 60

    @cached_property
    def day_windows(self) -> tuple[np.ndarray, list[DayIntervals]]:
        """`daywindows.day_patterns` of the window patterns, worked out once."""
        return day_patterns(self.window_patterns)

    @cached_property
    def single_day_windows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`daywindows.single_day_windows` of the window patterns, worked out once."""
        return single_day_windows(self.window_patterns)

    @cached_property
    def current_pairs(self) -> frozenset[tuple[int, int]]:
        """The (resident, volunteer) pairs of the roster in force."""
        return frozenset((int(r), int(v)) for r, v in self.current.tolist())

    @cached_property
    def incumbents(self) -> dict[int, frozenset[int]]:
        """Each resident's volunteers in the roster in force (residents with none left out).

        Built once: asking the pair list resident by resident costs the square of the city.
        """
        found: dict[int, set[int]] = {}
        for r, v in self.current_pairs:
            found.setdefault(r, set()).add(v)
        return {r: frozenset(vs) for r, vs in found.items()}

    @cached_property
    def volunteer_max_ms(self) -> np.ndarray:
        """Each volunteer's weekly cap (rule H6) in whole milliseconds, the unit of the
        solvers' loads: a load in milliseconds keeps the rule when it is at most this."""
        caps = np.floor(self.volunteer_max_minutes * MS_PER_MINUTE).astype(np.int64)
        caps.setflags(write=False)
        return caps

    @cached_property
    def fair_share_minutes(self) -> np.ndarray:
        """Each volunteer's fair share of the week's work, in minutes: their weekly cap
        times the ratio of the visit minutes asked for to those offered (at most 1).
        Fairness counts the hours worked above it."""
        demanded = float((self.need_visits * self.need_duration
                          * self.need_volunteers_per_visit).sum())
        offered = float(self.volunteer_max_minutes.sum())
        ratio = min(1.0, demanded / offered) if offered > 0 else 0.0
        share = self.volunteer_max_minutes * ratio
        share.setflags(write=False)
        return share

    @cached_property
    def current_keys(self) -> np.ndarray:
        """The pairs in force as sorted keys `resident * n_volunteers + volunteer`, for
        looking up many pairs at once."""
        keys = np.unique(self.current[:, 0].astype(np.int64) * self.n_volunteers
                         + self.current[:, 1]) if len(self.current) else np.zeros(0, np.int64)
        keys.setflags(write=False)
        return keys

    def is_current(self, residents: np.ndarray, volunteers: np.ndarray) -> np.ndarray:
        """For each (resident, volunteer) pair given, whether it is in force."""
        keys = residents * self.n_volunteers + volunteers
        at = np.minimum(np.searchsorted(self.current_keys, keys), len(self.current_keys) - 1)
        return (self.current_keys[at] == keys) if len(self.current_keys) \
            else np.zeros(len(keys), dtype=bool)

    def incumbents_of(self, resident: int) -> frozenset[int]:
        return self.incumbents.get(resident, frozenset())

    def needs_of(self, resident: int) -> range:
        """Indices of a resident's needs (needs are stored resident by resident)."""
        return range(int(self.need_start[resident]), int(self.need_start[resident + 1]))

    def distance_km(self, residents: np.ndarray, volunteers: np.ndarray) -> np.ndarray:
        """Travel distance (haversine x detour factor) between residents and volunteers."""
        return self.detour_factor * haversine_km(
            self.resident_lat[residents], self.resident_lon[residents],
            self.volunteer_lat[volunteers], self.volunteer_lon[volunteers])


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                 lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance on a sphere of radius 6371.0088 km, element-wise."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def compile_problem(scenario: Scenario) -> Problem:
    """Turn a validated scenario into arrays. Pure: the scenario is not changed."""
    residents, volunteers = scenario.residents, scenario.volunteers
    resident_index = {r.id: i for i, r in enumerate(residents)}
    volunteer_index = {v.id: i for i, v in enumerate(volunteers)}
    service_index = {s.id: i for i, s in enumerate(scenario.services)}
    organization_index = {o.id: i for i, o in enumerate(scenario.organizations)}
    skills = _vocabulary([s.skills for s in scenario.services] + [v.skills for v in volunteers])
    languages = _vocabulary([v.languages for v in volunteers]
                            + [r.require.languages for r in residents]
                            + [r.prefer.languages for r in residents])
    patterns: dict[tuple[Window, ...], int] = {}

    by_identity: dict[int, int] = {}

    def pattern(windows: tuple[Window, ...]) -> int:
        # Entities read from one table share each distinct cell's windows: looked up by
        # identity first, a registry's volunteers need not hash theirs one by one.
        index = by_identity.get(id(windows))
        if index is None:
            index = by_identity[id(windows)] = patterns.setdefault(windows, len(patterns))
        return index

    needs = [(i, need) for i, r in enumerate(residents) for need in r.needs]
    travel = scenario.config.travel
    return Problem(
        scenario=scenario,
        detour_factor=travel.detour_factor,
        resident_ids=tuple(resident_index),
        resident_lat=_frozen([r.lat for r in residents], float),
        resident_lon=_frozen([r.lon for r in residents], float),
        resident_is_child=_frozen([r.kind == "child" for r in residents], bool),
        resident_priority=_frozen([r.priority for r in residents], np.int64),
        resident_team_size=_frozen([r.team_size for r in residents], np.int64),
        require_gender=_frozen([_gender(r.require.gender) for r in residents], np.int64),
        require_languages=_membership([r.require.languages for r in residents], languages),
        prefer_gender=_frozen([_gender(r.prefer.gender) for r in residents], np.int64),
        prefer_languages=_membership([r.prefer.languages for r in residents], languages),
        excluded=frozenset((resident_index[r.id], volunteer_index[v])
                           for r in residents for v in r.exclude_volunteers),
        need_resident=_frozen([i for i, _ in needs], np.int64),
        need_service=_frozen([service_index[n.service] for _, n in needs], np.int64),
        need_visits=_frozen([n.visits_per_week for _, n in needs], np.int64),
        need_duration=_frozen([n.duration_min for _, n in needs], np.int64),
        need_volunteers_per_visit=_frozen([n.volunteers_per_visit for _, n in needs], np.int64),
        need_window_pattern=_frozen([pattern(n.windows) for _, n in needs], np.int64),
        need_start=_frozen(np.concatenate(([0], np.cumsum([len(r.needs) for r in residents]))),
                           np.int64),
        volunteer_ids=tuple(volunteer_index),
        volunteer_lat=_frozen([v.lat for v in volunteers], float),
        volunteer_lon=_frozen([v.lon for v in volunteers], float),
        volunteer_gender=_frozen([_gender(v.gender) for v in volunteers], np.int64),
        volunteer_skills=_membership([v.skills for v in volunteers], skills),
        volunteer_languages=_membership([v.languages for v in volunteers], languages),
        volunteer_max_minutes=_frozen([v.max_hours_per_week * 60 for v in volunteers], float),
        volunteer_max_residents=_frozen([v.max_residents for v in volunteers], np.int64),
        volunteer_max_distance_km=_frozen([v.max_distance_km for v in volunteers], float),
        volunteer_speed_kmh=_frozen([travel.speed(v.travel) for v in volunteers], float),
        volunteer_checked=_frozen([
            v.background_check_until is not None and v.background_check_until >= scenario.week_of
            for v in volunteers], bool),
        volunteer_window_pattern=_frozen([pattern(v.availability) for v in volunteers], np.int64),
        volunteer_organization=_frozen([organization_index.get(v.organization, -1)
                                        for v in volunteers], np.int64),
        service_ids=tuple(service_index),
        service_skills=_membership([s.skills for s in scenario.services], skills),
        skills=skills,
        languages=languages,
        window_patterns=tuple(patterns),
        current=_frozen([(resident_index[p.resident], volunteer_index[p.volunteer])
                         for p in scenario.current], np.int64).reshape(-1, 2),
    )


def _vocabulary(lists: list[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(sorted({item for items in lists for item in items}))


def _gender(gender: str | None) -> int:
    return NO_GENDER if gender is None else GENDERS.index(gender)


def _membership(lists: list[tuple[str, ...]], vocabulary: tuple[str, ...]) -> np.ndarray:
    index = {item: i for i, item in enumerate(vocabulary)}
    matrix = np.zeros((len(lists), len(vocabulary)), dtype=bool)
    for row, items in enumerate(lists):
        for item in items:
            matrix[row, index[item]] = True
    matrix.setflags(write=False)
    return matrix


def _frozen(values: list, dtype) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array
