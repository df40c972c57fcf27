"""When each candidate volunteer could attend each need: days and ranges of start minutes.

An *option* is (need, volunteer, day, start ranges): the volunteer may attend a visit of the
need on that day if it starts inside one of the ranges, which keeps the whole visit inside
both a window of the need and a window of the volunteer's availability (rule H3). Skills are
checked here for one-volunteer visits (H4); a shared visit pools the skills of those who
attend, which the solver enforces.

Options are computed for all (need, volunteer) rows at once with numpy: the overlap of two
window lists depends only on the two patterns and the duration, and real data repeats a few
patterns many times, so each distinct combination is worked out once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np

from matcher.candidates import Candidates
from matcher.daywindows import DayIntervals, distinct_day_triples, single_interval_bounds
from matcher.problem import MS_PER_MINUTE, Problem

Ranges = tuple[tuple[int, int], ...]  # inclusive start-minute ranges within one day


def common_starts(range_lists: list[Ranges]) -> list[tuple[int, int]]:
    """Start minutes allowed by every list of inclusive ranges (of one day): when those
    volunteers could all begin one visit together."""
    result = list(range_lists[0])
    for ranges in range_lists[1:]:
        result = [(max(a, c), min(b, d)) for a, b in result for c, d in ranges
                  if max(a, c) <= min(b, d)]
    return sorted(result)


class Option(NamedTuple):
    """One day on which a volunteer could make a visit of a need. A named tuple, not a
    dataclass: a city's search makes millions of them, four times faster so."""

    need: int
    volunteer: int
    day: int
    starts: Ranges
    load_ms: int  # duration plus travel there and back, in ms rounded up (rule H6)
    km: float  # distance from the volunteer's base to the resident


class NeedOptions:
    """Options of every need, as rows (need, volunteer) sorted by need, then distance.

    `by_need[n]` expands a need's rows into `Option`s (one per day); `pairs_of_resident[r]`
    lists the volunteers who may pair with r (pair-level rules), nearest first.
    """

    def __init__(self, need: np.ndarray, volunteer: np.ndarray, km: np.ndarray,
                 load_ms: np.ndarray, day_mask: np.ndarray, range_id: np.ndarray,
                 ranges: list[Ranges], n_needs: int, pairs_of_resident: dict[int, list[int]],
                 radius_km: np.ndarray | None = None):
        self.need, self.volunteer, self.km = need, volunteer, km
        self.load_ms, self.day_mask = load_ms, day_mask
        self.range_id, self.ranges = range_id, ranges  # range_id[row, day] -> ranges, or -1
        self.need_rows = np.searchsorted(need, np.arange(n_needs + 1))
        self.pairs_of_resident = pairs_of_resident
        # Per resident: its candidates are only its nearest volunteers, up to this far (the
        # rest at least as far, see `candidates.Reach`); None or inf: all within reach.
        self.radius_km = radius_km
        self.by_need = _OptionsByNeed(self)

    def nearest_only(self, resident: int) -> bool:
        """Whether the resident's candidates leave out volunteers within reach (at least
        `radius_km` away), so that bounds must allow for them."""
        return self.radius_km is not None and bool(np.isfinite(self.radius_km[resident]))

    def rows_of(self, need: int) -> range:
        return range(int(self.need_rows[need]), int(self.need_rows[need + 1]))

    def row_of_volunteer(self, need: int, among: Iterable[int] | None = None) -> dict[int, int]:
        """The need's option row of each volunteer who has one (only those `among`, if
        given), for looking up many teams' members at once."""
        rows = np.arange(self.need_rows[need], self.need_rows[need + 1], dtype=np.int64)
        volunteers = self.volunteer[rows]
        if among is not None:
            mine = np.isin(volunteers, np.fromiter(among, dtype=np.int64))
            rows, volunteers = rows[mine], volunteers[mine]
        return dict(zip(volunteers.tolist(), rows.tolist(), strict=True))

    def useful_volunteers(self, problem: Problem, r: int) -> list[int]:
        """Volunteers who could attend some need of r, nearest first."""
        best: dict[int, float] = {}
        for n in problem.needs_of(r):
            for row in self.rows_of(n):
                v = int(self.volunteer[row])
                best[v] = min(best.get(v, float(self.km[row])), float(self.km[row]))
        return sorted(best, key=lambda v: (best[v], v))

    def expand(self, row: int) -> list[Option]:
        need, volunteer = int(self.need[row]), int(self.volunteer[row])
        load, km = int(self.load_ms[row]), float(self.km[row])
        return [Option(need, volunteer, day, self.ranges[index], load, km)
                for day, index in enumerate(self.range_id[row].tolist()) if index >= 0]

    def restricted(self, allowed: Mapping[int, Iterable[int]], problem: Problem) -> NeedOptions:
        """Only the pairs `allowed` (resident -> volunteers); used to keep sub-models small."""
        keep_sets = {r: set(vs) for r, vs in allowed.items()}
        # Only the rows of the allowed residents' needs are looked at: a search step
        # restricts a city's options to a dozen residents, many times over.
        picked = [np.zeros(0, dtype=np.int64)]
        for r, keep in keep_sets.items():
            for n in problem.needs_of(r):
                rows = np.arange(self.need_rows[n], self.need_rows[n + 1], dtype=np.int64)
                picked.append(rows[np.isin(self.volunteer[rows], list(keep))])
        rows = np.sort(np.concatenate(picked))  # rows stay sorted by need, then distance
        pairs = {r: [v for v in self.pairs_of_resident.get(r, []) if v in keep]
                 for r, keep in keep_sets.items()}
        return NeedOptions(self.need[rows], self.volunteer[rows], self.km[rows],
                           self.load_ms[rows], self.day_mask[rows], self.range_id[rows],
                           self.ranges, len(self.need_rows) - 1, pairs, self.radius_km)


class _OptionsByNeed(Mapping):
    def __init__(self, options: NeedOptions):
        self._options = options
        self._cache: dict[int, list[Option]] = {}

    def __getitem__(self, need: int) -> list[Option]:
        cached = self._cache.get(need)
        if cached is None:
            cached = [o for row in self._options.rows_of(need) for o in self._options.expand(row)]
            self._cache[need] = cached
        return cached

    def get(self, need, default=None):
        if 0 <= need < len(self._options.need_rows) - 1:
            return self[need]
        return default

    def __iter__(self):
        return iter(range(len(self._options.need_rows) - 1))

    def __len__(self) -> int:
        return len(self._options.need_rows) - 1


_DAYS_IN_MASK = np.array([bin(mask).count("1") for mask in range(128)], dtype=np.int64)


def days_in_mask(day_mask: np.ndarray) -> np.ndarray:
    """How many days each option row's 7-bit day mask holds."""
    return _DAYS_IN_MASK[day_mask]


def visit_options(problem: Problem, candidates: Candidates, residents=None) -> NeedOptions:
    """Options for the needs of the given residents (all residents by default)."""
    if residents is None:
        pick = np.ones(len(candidates), dtype=bool)
    else:
        wanted = np.zeros(problem.n_residents, dtype=bool)
        wanted[np.fromiter((int(r) for r in residents), dtype=np.int64)] = True
        pick = wanted[candidates.resident]
    pair_r, pair_v = candidates.resident[pick], candidates.volunteer[pick]
    pair_km = candidates.distance_km[pick]
    pairs_of_resident = _pairs_nearest_first(pair_r, pair_v, pair_km)
    # One row per (pair, need of the pair's resident).
    counts = np.diff(problem.need_start)[pair_r]
    rows_pair = np.repeat(np.arange(len(pair_r)), counts)
    first_need = problem.need_start[pair_r]
    offsets = np.arange(len(rows_pair)) - np.repeat(np.cumsum(counts) - counts, counts)
    need = (np.repeat(first_need, counts) + offsets).astype(np.int64)
    volunteer = pair_v[rows_pair]
    km = pair_km[rows_pair]
    # Skills: a one-volunteer visit needs all of the service's skills in that volunteer.
    wanted_skills = problem.service_skills[problem.need_service[need]]
    lacking = (wanted_skills & ~problem.volunteer_skills[volunteer]).any(axis=1)
    skilled = ~lacking | (problem.need_volunteers_per_visit[need] > 1)
    need, volunteer, km = need[skilled], volunteer[skilled], km[skilled]
    # Time: windows are split into days, and each distinct (need's day windows, volunteer's
    # day windows, duration) is worked out once: there are few of those even in a city.
    day_ids, day_windows = problem.day_windows
    keys_index, first, second, duration = distinct_day_triples(
        day_ids[problem.need_window_pattern[need]],
        day_ids[problem.volunteer_window_pattern[volunteer]],
        problem.need_duration[need], day_windows)
    range_list = _day_start_ranges(day_windows, first, second, duration)
    lengths = np.append(np.array([len(r) for r in range_list], dtype=np.int64), 0)
    range_id = np.where(lengths[keys_index] > 0, keys_index, -1)
    day_mask = ((range_id >= 0) * (1 << np.arange(7))).sum(axis=1)
    fits = day_mask > 0
    need, volunteer, km = need[fits], volunteer[fits], km[fits]
    range_id, day_mask = range_id[fits], day_mask[fits]
    travel = km / problem.volunteer_speed_kmh[volunteer] * 60
    load_ms = np.ceil((problem.need_duration[need] + 2 * travel) * MS_PER_MINUTE).astype(np.int64)
    # Rows of one need come in volunteer order (the pairs are sorted by resident, then
    # volunteer), and the sort is stable: they end sorted by need, distance, volunteer.
    order = np.lexsort((km, need))
    return NeedOptions(need[order], volunteer[order], km[order], load_ms[order], day_mask[order],
                       range_id[order], range_list, problem.n_needs, pairs_of_resident,
                       candidates.radius_km)


def _pairs_nearest_first(residents: np.ndarray, volunteers: np.ndarray,
                         km: np.ndarray) -> dict[int, list[int]]:
    """Each resident's volunteers by distance, then id. The pairs come sorted by resident,
    then volunteer, and the sort is stable, so two keys are enough."""
    if not len(residents):
        return {}
    order = np.lexsort((km, residents))
    residents, volunteers = residents[order], volunteers[order].tolist()
    starts = np.flatnonzero(np.r_[True, residents[1:] != residents[:-1]])
    ends = np.r_[starts[1:], len(residents)]
    return {r: volunteers[start:end] for r, start, end
            in zip(residents[starts].tolist(), starts.tolist(), ends.tolist(), strict=True)}


def _day_start_ranges(lists: list[DayIntervals], need_lists: np.ndarray,
                      availability_lists: np.ndarray, durations: np.ndarray) -> list[Ranges]:
    """For each (need's day windows, volunteer's day availability, duration): the ranges of
    start minutes at which the visit fits both. Both lists are merged unions, so each
    overlap is one range of starts. Most days hold one interval on each side, which is
    plain arithmetic over all of them at once."""
    start, end, single = single_interval_bounds(lists)
    first = np.maximum(start[need_lists], start[availability_lists])
    last = np.minimum(end[need_lists], end[availability_lists]) - durations
    simple = single[need_lists] & single[availability_lists]
    ranges: list[Ranges] = []
    for a, b, duration, is_simple, low, high in zip(
            need_lists.tolist(), availability_lists.tolist(), durations.tolist(),
            simple.tolist(), first.tolist(), last.tolist(), strict=True):
        if is_simple:
            ranges.append(((low, high),) if low <= high else ())
            continue
        found = []
        for a_start, a_end in lists[a]:
            for b_start, b_end in lists[b]:
                low, high = max(a_start, b_start), min(a_end, b_end) - duration
                if low <= high:
                    found.append((low, high))
        ranges.append(tuple(sorted(found)))
    return ranges
