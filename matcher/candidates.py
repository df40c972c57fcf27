"""Eligible (resident, volunteer) pairs, found without a loop over all pairs.

A spatial index (a k-d tree on points of the unit sphere, where straight-line chord length
grows with great-circle distance) proposes only the volunteers within reach of a resident;
every other rule is then applied as a vectorised filter over those pairs. The rules are
applied in a fixed order and the survivors after each one are counted per resident, so a
report can say which rule leaves a resident with nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from matcher.daywindows import distinct_day_triples
from matcher.problem import EARTH_RADIUS_KM, NO_GENDER, Problem

# The rules in the order they are applied, with the words a coordinator reads.
RULES: tuple[tuple[str, str], ...] = (
    ("distance", "no volunteer lives within reach (H1 distance)"),
    ("safeguarding", "no volunteer within reach has a valid safeguarding check (H10)"),
    ("excluded", "every volunteer within reach is excluded by the resident (H8)"),
    ("gender", "no volunteer within reach meets the required gender (H8)"),
    ("language", "no volunteer within reach speaks a required language (H8)"),
    ("skills", "no volunteer within reach has the skills a need asks (H4)"),
    ("time", "no volunteer within reach is free during a need's windows long enough (H3)"),
)


@dataclass(frozen=True)
class Candidates:
    """Pairs that pass every pair-level hard rule (H1, H8, H10), sorted by (resident, volunteer).

    `useful` marks the pairs where the volunteer could also attend a visit of some need
    alone or with others (skills and time); the rest could only sit on a team idle.
    """

    resident: np.ndarray
    volunteer: np.ndarray
    distance_km: np.ndarray
    useful: np.ndarray
    # survivors[rule][resident]: candidates left for that resident after the rule
    survivors: dict[str, np.ndarray]
    nearest_km: np.ndarray  # nearest volunteer's travel distance per resident (inf if none)
    # Pairs within each volunteer's distance cap, before any other rule (for reports).
    reach_resident: np.ndarray
    reach_volunteer: np.ndarray

    def __len__(self) -> int:
        return len(self.resident)

    def first_blocking_rule(self, resident: int) -> str | None:
        """The first rule after which this resident has no candidate left, if any."""
        for rule, _ in RULES:
            if self.survivors[rule][resident] == 0:
                return rule
        return None


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lmb = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)))


def candidate_pairs(problem: Problem) -> Candidates:
    """Every (resident, volunteer) pair that no pair-level hard rule forbids."""
    residents, volunteers, distance = pairs_within_reach(problem)
    reach = (residents, volunteers)
    nearest = _nearest_km(problem)
    survivors: dict[str, np.ndarray] = {}

    def keep(rule: str, mask: np.ndarray) -> None:
        nonlocal residents, volunteers, distance
        residents, volunteers, distance = residents[mask], volunteers[mask], distance[mask]
        survivors[rule] = np.bincount(residents, minlength=problem.n_residents)

    keep("distance", np.ones(len(residents), dtype=bool))
    keep("safeguarding",
         ~problem.resident_is_child[residents] | problem.volunteer_checked[volunteers])
    if problem.excluded:
        excluded = np.array(sorted(problem.excluded), dtype=np.int64)
        codes = residents * problem.n_volunteers + volunteers
        keep("excluded", ~np.isin(codes, excluded[:, 0] * problem.n_volunteers + excluded[:, 1]))
    else:
        keep("excluded", np.ones(len(residents), dtype=bool))
    wanted = problem.require_gender[residents]
    keep("gender", (wanted == NO_GENDER) | (wanted == problem.volunteer_gender[volunteers]))
    keep("language", speaks_a_required_language(problem, residents, volunteers))
    # Skills and time are need-level rules: they are counted, but the pairs are kept.
    skilled, useful = _serves_some_need(problem, residents, volunteers)
    survivors["skills"] = np.bincount(residents[skilled], minlength=problem.n_residents)
    survivors["time"] = np.bincount(residents[useful], minlength=problem.n_residents)
    return Candidates(residents, volunteers, distance, useful, survivors, nearest, *reach)


def pairs_within_reach(problem: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs within each volunteer's own distance cap, sorted by (resident, volunteer).

    Volunteers are grouped by cap (a handful of distinct values in practice) and each group
    is searched with its own radius, so far fewer pairs are proposed than with the largest
    cap for everyone.
    """
    if problem.n_residents == 0 or problem.n_volunteers == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    resident_tree = cKDTree(unit_vectors(problem.resident_lat, problem.resident_lon))
    found_r, found_v = [], []
    for group, tree, chord in _volunteers_by_cap(problem):
        # Tree against tree, answered as arrays: a city's two million pairs never pass
        # through Python lists.
        found = resident_tree.sparse_distance_matrix(tree, chord, output_type="ndarray")
        found_r.append(found["i"].astype(np.int64))
        found_v.append(group[found["j"]])
    residents, volunteers = np.concatenate(found_r), np.concatenate(found_v)
    order = np.lexsort((volunteers, residents))
    residents, volunteers = residents[order], volunteers[order]
    distance = problem.distance_km(residents, volunteers)
    # The chord test has a hair of slack; the exact distance decides.
    mask = distance <= problem.volunteer_max_distance_km[volunteers]
    return residents[mask], volunteers[mask], distance[mask]


def count_pairs_within_reach(problem: Problem) -> int:
    """How many pairs `pairs_within_reach` proposes (a hair more: the chord's slack), counted
    without making them: a fraction of a second where making them takes many seconds."""
    if problem.n_residents == 0 or problem.n_volunteers == 0:
        return 0
    resident_tree = cKDTree(unit_vectors(problem.resident_lat, problem.resident_lon))
    return sum(int(resident_tree.count_neighbors(tree, chord))
               for _, tree, chord in _volunteers_by_cap(problem))


def _volunteers_by_cap(problem: Problem):
    """For each distinct distance cap: its volunteers, a k-d tree of them, and the chord
    length on the unit sphere that their cap reaches (with a hair of slack)."""
    caps = problem.volunteer_max_distance_km
    for cap in np.unique(caps).tolist():
        group = np.flatnonzero(caps == cap)
        tree = cKDTree(unit_vectors(problem.volunteer_lat[group], problem.volunteer_lon[group]))
        reach_km = cap / problem.detour_factor
        chord = 2 * np.sin(min(reach_km / (2 * EARTH_RADIUS_KM), np.pi / 2)) * (1 + 1e-9)
        yield group, tree, chord


def _nearest_km(problem: Problem) -> np.ndarray:
    if problem.n_volunteers == 0:
        return np.full(problem.n_residents, np.inf)
    tree = cKDTree(unit_vectors(problem.volunteer_lat, problem.volunteer_lon))
    _, nearest = tree.query(unit_vectors(problem.resident_lat, problem.resident_lon))
    return problem.distance_km(np.arange(problem.n_residents), nearest)


def speaks_a_required_language(problem: Problem, residents: np.ndarray,
                                volunteers: np.ndarray) -> np.ndarray:
    if problem.require_languages.shape[1] == 0:
        return np.ones(len(residents), dtype=bool)
    asks = problem.require_languages[residents]
    speaks = problem.volunteer_languages[volunteers]
    return ~asks.any(axis=1) | (asks & speaks).any(axis=1)


def _serves_some_need(problem: Problem, residents: np.ndarray, volunteers: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: whether the volunteer has the skills for at least one need of the resident,
    and whether for at least one need both the skills and the time fit."""
    skilled = np.zeros(len(residents), dtype=bool)
    useful = np.zeros(len(residents), dtype=bool)
    first_need = np.searchsorted(problem.need_resident, np.arange(problem.n_residents))
    need_count = np.bincount(problem.need_resident, minlength=problem.n_residents)
    for k in range(int(need_count.max()) if len(need_count) else 0):
        rows = np.flatnonzero(need_count[residents] > k)
        needs = first_need[residents[rows]] + k
        fit = skill_fits(problem, needs, volunteers[rows])
        skilled[rows[fit]] = True
        # Time is only looked at where the skills fit: it is the costlier test.
        rows, needs = rows[fit], needs[fit]
        useful[rows[time_fits(problem, needs, volunteers[rows])]] = True
    return skilled, useful


def skill_fits(problem: Problem, needs: np.ndarray, volunteers: np.ndarray) -> np.ndarray:
    # A visit by several volunteers pools their skills, so any of them may lack some.
    shared = problem.need_volunteers_per_visit[needs] > 1
    wanted = problem.service_skills[problem.need_service[needs]]
    has = problem.volunteer_skills[volunteers]
    return shared | ~(wanted & ~has).any(axis=1)


def time_fits(problem: Problem, needs: np.ndarray, volunteers: np.ndarray) -> np.ndarray:
    """Some window of the need and of the volunteer overlap for at least the duration.

    Most days hold one interval on each side, whose overlap is plain arithmetic over all
    rows at once; only rows where a day holds several intervals take the general path.
    """
    starts, ends, several = problem.single_day_windows
    need_pattern = problem.need_window_pattern[needs]
    volunteer_pattern = problem.volunteer_window_pattern[volunteers]
    overlap = (np.minimum(ends[need_pattern], ends[volunteer_pattern])
               - np.maximum(starts[need_pattern], starts[volunteer_pattern]))
    longest = overlap.max(axis=1, initial=0)
    general = several[need_pattern] | several[volunteer_pattern]
    if general.any():
        ids, lists = problem.day_windows
        index, first, second, _ = distinct_day_triples(
            ids[need_pattern[general]], ids[volunteer_pattern[general]],
            np.zeros(int(general.sum()), dtype=np.int64), lists)
        overlaps = [_longest_overlap(lists[a], lists[b])
                    for a, b in zip(first.tolist(), second.tolist(), strict=True)]
        table = np.append(np.array(overlaps, dtype=np.int64), 0)  # index -1 reads the 0
        longest[general] = table[index].max(axis=1, initial=0)
    return longest >= problem.need_duration[needs]


def _longest_overlap(first, second) -> int:
    best = 0
    for a_start, a_end in first:
        for b_start, b_end in second:
            best = max(best, min(a_end, b_end) - max(a_start, b_start))
    return best
