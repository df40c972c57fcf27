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
    # Per resident: every eligible volunteer left out is at least this far (km); inf where
    # every volunteer within reach was looked at (see `pairs_within_reach`).
    radius_km: np.ndarray

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
    """Every (resident, volunteer) pair that no pair-level hard rule forbids; for a
    resident with more volunteers within reach than the scenario can afford (see
    `nearest_share`), its nearest, up to its `radius_km`."""
    reach = pairs_within_reach(problem)
    candidates, need_served = _eligible(problem, reach)
    # A resident whose nearest volunteers cannot make some need is looked at whole, so that
    # every need keeps its options and a reason for one unmet is never "nobody within reach"
    # while somebody farther is.
    lacking = np.zeros(problem.n_residents, dtype=bool)
    lacking[problem.need_resident[~need_served]] = True
    lacking &= np.isfinite(reach.radius_km)
    if lacking.any():
        whole, _ = _eligible(problem, every_pair_of(problem, lacking))
        candidates = _replaced(candidates, whole, lacking)
    return candidates


def _replaced(candidates: Candidates, whole: Candidates, residents: np.ndarray) -> Candidates:
    """`candidates` with the pairs of `residents` (a mask) those of `whole`."""
    def merged(first_r, first_v, second_r, second_v, *more):
        keep = ~residents[first_r]
        resident = np.concatenate([first_r[keep], second_r])
        volunteer = np.concatenate([first_v[keep], second_v])
        order = np.lexsort((volunteer, resident))
        return [resident[order], volunteer[order]] + [
            np.concatenate([a[keep], b])[order] for a, b in zip(more[::2], more[1::2],
                                                                 strict=True)]

    resident, volunteer, distance, useful = merged(
        candidates.resident, candidates.volunteer, whole.resident, whole.volunteer,
        candidates.distance_km, whole.distance_km, candidates.useful, whole.useful)
    reach_resident, reach_volunteer = merged(candidates.reach_resident,
                                             candidates.reach_volunteer,
                                             whole.reach_resident, whole.reach_volunteer)
    survivors = {rule: np.where(residents, whole.survivors[rule], counts)
                 for rule, counts in candidates.survivors.items()}
    return Candidates(resident, volunteer, distance, useful, survivors, candidates.nearest_km,
                      reach_resident, reach_volunteer,
                      np.where(residents, np.inf, candidates.radius_km))


def _eligible(problem: Problem, reach: Reach) -> tuple[Candidates, np.ndarray]:
    """The pairs within reach that keep the pair-level rules, and per need whether one of
    them has the skills and the time for it."""
    residents, volunteers, distance = reach.resident, reach.volunteer, reach.distance_km
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
    skilled, useful, need_served = _serves_some_need(problem, residents, volunteers)
    survivors["skills"] = np.bincount(residents[skilled], minlength=problem.n_residents)
    survivors["time"] = np.bincount(residents[useful], minlength=problem.n_residents)
    return Candidates(residents, volunteers, distance, useful, survivors, nearest,
                      reach.resident, reach.volunteer, reach.radius_km), need_served


@dataclass(frozen=True)
class Reach:
    """Pairs within each volunteer's distance cap, sorted by (resident, volunteer); for a
    resident with `radius_km` finite, only the nearest, up to that far (and its current
    pairs): every volunteer within reach left out is at least that far."""

    resident: np.ndarray
    volunteer: np.ndarray
    distance_km: np.ndarray
    radius_km: np.ndarray  # per resident; inf where every pair within reach is made


def pairs_within_reach(problem: Problem) -> Reach:
    """Pairs within each volunteer's own distance cap (see `Reach`).

    Volunteers are grouped by cap (a handful of distinct values in practice) and each group
    is searched with its own radius, so far fewer pairs are proposed than with the largest
    cap for everyone.
    """
    radius = np.full(problem.n_residents, np.inf)
    if problem.n_residents == 0 or problem.n_volunteers == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Reach(empty, empty, np.zeros(0), radius)
    points = unit_vectors(problem.resident_lat, problem.resident_lon)
    groups = list(_volunteers_by_cap(problem))
    counts = _counts_within_reach(points, groups)
    share = nearest_share(counts, problem.n_residents)
    nearest_only = counts > share
    found_r, found_v = _every_pair(points, groups, np.flatnonzero(~nearest_only))
    if nearest_only.any():
        residents, volunteers, radius_km = _nearest_in_reach(
            problem, points, np.flatnonzero(nearest_only), int(share))
        found_r, found_v = np.r_[found_r, residents], np.r_[found_v, volunteers]
        radius[nearest_only] = radius_km
    return _sorted_within_caps(problem, found_r, found_v, radius)


def every_pair_of(problem: Problem, residents: np.ndarray) -> Reach:
    """Every pair within reach of the residents `residents` (a mask)."""
    points = unit_vectors(problem.resident_lat, problem.resident_lon)
    found_r, found_v = _every_pair(points, list(_volunteers_by_cap(problem)),
                                   np.flatnonzero(residents))
    return _sorted_within_caps(problem, found_r, found_v, np.full(problem.n_residents, np.inf))


def _every_pair(points: np.ndarray, groups: list, residents: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of `residents` within reach (a hair more: the chord's slack)."""
    found_r, found_v = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    if len(residents):
        resident_tree = cKDTree(points[residents])
        for group, tree, chord in groups:
            # Tree against tree, answered as arrays: a city's two million pairs never pass
            # through Python lists.
            found = resident_tree.sparse_distance_matrix(tree, chord, output_type="ndarray")
            found_r.append(residents[found["i"].astype(np.int64)])
            found_v.append(group[found["j"]])
    return np.concatenate(found_r), np.concatenate(found_v)


def _sorted_within_caps(problem: Problem, residents: np.ndarray, volunteers: np.ndarray,
                        radius: np.ndarray) -> Reach:
    order = np.lexsort((volunteers, residents))
    residents, volunteers = residents[order], volunteers[order]
    distance = problem.distance_km(residents, volunteers)
    # The chord test has a hair of slack; the exact distance decides.
    mask = distance <= problem.volunteer_max_distance_km[volunteers]
    return Reach(residents[mask], volunteers[mask], distance[mask], radius)


# A scenario may make this many pairs within reach, or this many per resident if more, with
# every volunteer within reach of every resident: the city preset makes 2.3 M (153 per
# resident), its 30,000-resident twin 4.6 M. Past that, residents with the most volunteers
# within reach keep only the nearest: a city of 15,000 residents beside a whole registry of
# 1.47 M volunteers would make 57 M pairs (tens of gigabytes, and minutes, to solve), where
# the nearest 200 or so of each are as good as all for a weekly roster.
LEAST_PAIRS_AFFORDED = 3_000_000
PAIRS_AFFORDED_PER_RESIDENT = 200


def nearest_share(counts: np.ndarray, residents: int) -> float:
    """How many pairs within reach each resident keeps at most (the nearest): the most
    such that all residents' pairs stay within what the scenario affords; inf if all of
    them do."""
    afforded = max(LEAST_PAIRS_AFFORDED, PAIRS_AFFORDED_PER_RESIDENT * residents)
    if counts.sum() <= afforded:
        return np.inf
    ordered = np.sort(counts)
    # Kept with a share of ordered[i]: all of the first i+1, ordered[i] for each after.
    kept = np.cumsum(ordered) + ordered * (len(ordered) - 1 - np.arange(len(ordered)))
    within = np.flatnonzero(kept <= afforded)
    if not len(within):
        return float(max(afforded // max(residents, 1), 1))
    i = within[-1]
    # Between ordered[i] and ordered[i+1], every resident past i keeps the same number.
    spare = (afforded - kept[i]) // (len(ordered) - 1 - i)
    return float(ordered[i] + spare)


def _nearest_in_reach(problem: Problem, points: np.ndarray, residents: np.ndarray,
                      share: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each of `residents`: its `share` nearest volunteers within the largest cap (and
    the volunteers of its current pairs), and the distance that every volunteer left out is
    at least (the farthest kept's). Chord lengths order volunteers as their distances do,
    so only that bound is worked out as a distance. The caller keeps the volunteers within
    their own caps."""
    tree = cKDTree(unit_vectors(problem.volunteer_lat, problem.volunteer_lon))
    chords, volunteers = tree.query(points[residents], k=share,
                                    distance_upper_bound=_chord(problem, max(
                                        problem.volunteer_max_distance_km)))
    chords = chords.reshape(len(residents), -1)
    volunteers = volunteers.reshape(len(residents), -1)
    kept = np.isfinite(chords)
    # Where all `share` nearest were within reach, more may be as far as the last or
    # farther.
    unseen = np.where(kept[:, -1], chords[:, -1], np.inf)
    rows = np.repeat(residents, kept.sum(axis=1))
    picked = volunteers[kept]
    # Current pairs stay candidates, however far within reach: continuity is worth keeping.
    current = problem.current.astype(np.int64).reshape(-1, 2)
    row_of = np.full(problem.n_residents, -1)
    row_of[residents] = np.arange(len(residents))
    current = current[row_of[current[:, 0]] >= 0]
    at = row_of[current[:, 0]]
    new = ~((volunteers[at] == current[:, 1:]) & kept[at]).any(axis=1)
    rows = np.concatenate([rows, current[new, 0]])
    picked = np.concatenate([picked, current[new, 1]])
    return rows, picked, _chord_km(problem, unseen)


def _chord_km(problem: Problem, chord: np.ndarray) -> np.ndarray:
    """The travel distance (km) of a chord length on the unit sphere (inf stays inf), less
    a hair for rounding: a bound on distances must never be above them."""
    angle = 2 * np.arcsin(np.minimum(chord, 2.0) / 2)
    km = angle * EARTH_RADIUS_KM * problem.detour_factor * (1 - 1e-9)
    return np.where(np.isfinite(chord), km, np.inf)


def count_pairs_within_reach(problem: Problem) -> int:
    """How many pairs `pairs_within_reach` proposes (a hair more: the chord's slack; the
    current pairs of residents that keep their nearest aside), counted without making
    them: a fraction of a second where making them takes seconds."""
    if problem.n_residents == 0 or problem.n_volunteers == 0:
        return 0
    counts = _counts_within_reach(unit_vectors(problem.resident_lat, problem.resident_lon),
                                  list(_volunteers_by_cap(problem)))
    return int(np.minimum(counts, nearest_share(counts, problem.n_residents)).sum())


def _counts_within_reach(points: np.ndarray, groups: list) -> np.ndarray:
    """Per resident (`points`), the volunteers within reach (a hair more: the chord's
    slack), counted without making the pairs."""
    return sum(tree.query_ball_point(points, chord, return_length=True)
               for _, tree, chord in groups)


def _volunteers_by_cap(problem: Problem):
    """For each distinct distance cap: its volunteers, a k-d tree of them, and the chord
    length on the unit sphere that their cap reaches (with a hair of slack)."""
    caps = problem.volunteer_max_distance_km
    for cap in np.unique(caps).tolist():
        group = np.flatnonzero(caps == cap)
        tree = cKDTree(unit_vectors(problem.volunteer_lat[group], problem.volunteer_lon[group]))
        yield group, tree, _chord(problem, cap)


def _chord(problem: Problem, cap_km: float) -> float:
    """The chord length on the unit sphere that a distance cap reaches, with a hair of
    slack (the exact distance decides after)."""
    reach_km = cap_km / problem.detour_factor
    return 2 * np.sin(min(reach_km / (2 * EARTH_RADIUS_KM), np.pi / 2)) * (1 + 1e-9)


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
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: whether the volunteer has the skills for at least one need of the resident,
    and whether for at least one need both the skills and the time fit; per need, whether
    some pair fits it."""
    skilled = np.zeros(len(residents), dtype=bool)
    useful = np.zeros(len(residents), dtype=bool)
    need_served = np.zeros(problem.n_needs, dtype=bool)
    first_need = np.searchsorted(problem.need_resident, np.arange(problem.n_residents))
    need_count = np.bincount(problem.need_resident, minlength=problem.n_residents)
    for k in range(int(need_count.max()) if len(need_count) else 0):
        rows = np.flatnonzero(need_count[residents] > k)
        needs = first_need[residents[rows]] + k
        fit = skill_fits(problem, needs, volunteers[rows])
        skilled[rows[fit]] = True
        # Time is only looked at where the skills fit: it is the costlier test.
        rows, needs = rows[fit], needs[fit]
        fits = time_fits(problem, needs, volunteers[rows])
        useful[rows[fits]] = True
        need_served[needs[fits]] = True
    return skilled, useful, need_served


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
