"""When each candidate volunteer could attend each need: days and ranges of start minutes.

An *option* is (need, volunteer, day, start ranges): the volunteer may attend a visit of the
need on that day if it starts inside one of the ranges, which keeps the whole visit inside
both a window of the need and a window of the volunteer's availability (rule H3). Skills are
checked here for one-volunteer visits (H4); a shared visit pools the skills of those who
attend, which the solver enforces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from matcher.candidates import Candidates
from matcher.problem import Problem
from matcher.scenario.model import Window

Ranges = tuple[tuple[int, int], ...]  # inclusive start-minute ranges within one day


@dataclass(frozen=True)
class Option:
    need: int
    volunteer: int
    day: int
    starts: Ranges
    load_ms: int  # duration plus travel there and back, in ms rounded up (rule H6)
    km: float  # distance from the volunteer's base to the resident


@dataclass(frozen=True)
class NeedOptions:
    """All options, grouped by need; and the pairs each resident may form."""

    by_need: dict[int, list[Option]]
    pairs_of_resident: dict[int, list[int]]  # resident -> candidate volunteers (pair-level)


def visit_options(problem: Problem, candidates: Candidates, residents) -> NeedOptions:
    """Options for the needs of the given residents, from the candidate pairs."""
    residents = np.asarray(sorted(set(int(r) for r in residents)), dtype=np.int64)
    split = np.searchsorted(candidates.resident, np.arange(problem.n_residents + 1))
    by_need: dict[int, list[Option]] = {}
    pairs: dict[int, list[int]] = {}
    for resident in residents.tolist():
        lo, hi = int(split[resident]), int(split[resident + 1])
        volunteers = candidates.volunteer[lo:hi]
        km = candidates.distance_km[lo:hi]
        pairs[resident] = volunteers.tolist()
        travel = km / problem.volunteer_speed_kmh[volunteers] * 60
        for need in problem.needs_of(resident):
            by_need[need] = _need_options(problem, need, volunteers, km, travel)
    return NeedOptions(by_need, pairs)


def _need_options(problem: Problem, need: int, volunteers: np.ndarray, km: np.ndarray,
                  travel: np.ndarray) -> list[Option]:
    duration = int(problem.need_duration[need])
    wanted = problem.service_skills[problem.need_service[need]]
    alone = problem.need_volunteers_per_visit[need] == 1
    pattern = int(problem.need_window_pattern[need])
    options = []
    for volunteer, distance, minutes in zip(volunteers.tolist(), km.tolist(), travel.tolist(),
                                            strict=True):
        if alone and (wanted & ~problem.volunteer_skills[volunteer]).any():
            continue
        per_day = start_ranges(problem.window_patterns, pattern,
                               int(problem.volunteer_window_pattern[volunteer]), duration)
        load_ms = math.ceil((duration + 2 * minutes) * 60_000)
        for day, starts in per_day:
            options.append(Option(need, volunteer, day, starts, load_ms, distance))
    return options


def start_ranges(patterns: tuple[tuple[Window, ...], ...], need_pattern: int,
                 volunteer_pattern: int, duration: int) -> tuple[tuple[int, Ranges], ...]:
    return _start_ranges(patterns[need_pattern], patterns[volunteer_pattern], duration)


@lru_cache(maxsize=200_000)
def _start_ranges(need_windows: tuple[Window, ...], availability: tuple[Window, ...],
                  duration: int) -> tuple[tuple[int, Ranges], ...]:
    # Both window lists are merged unions, so each overlap is one range of starts.
    per_day: dict[int, list[tuple[int, int]]] = {}
    for a in need_windows:
        for b in availability:
            if a.day != b.day:
                continue
            first, last = max(a.start, b.start), min(a.end, b.end) - duration
            if first <= last:
                per_day.setdefault(a.day, []).append((first, last))
    return tuple((day, tuple(sorted(ranges))) for day, ranges in sorted(per_day.items()))
