"""The greedy baseline: residents by priority, each visit to the nearest volunteer still free.

It is what a coordinator would do by hand, and the yardstick the optimiser must beat. It
also gives the search a quick first roster. It respects every hard rule, travel included.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from matcher.options import NeedOptions, Option
from matcher.problem import Problem
from matcher.solution import Solution, Visit


@dataclass
class _State:
    """What is taken so far: pairs, loads and each volunteer's and resident's day plans."""

    problem: Problem
    pairs: set = field(default_factory=set)
    team: dict = field(default_factory=lambda: defaultdict(set))  # resident -> volunteers
    residents_of: dict = field(default_factory=lambda: defaultdict(set))
    load_ms: dict = field(default_factory=lambda: defaultdict(int))
    busy: dict = field(default_factory=lambda: defaultdict(list))  # (v, day) -> [(s, e, r)]
    resident_busy: dict = field(default_factory=lambda: defaultdict(list))  # (r, day) -> [(s, e)]
    visits: list = field(default_factory=list)

    def can_pair(self, r: int, v: int) -> bool:
        if (r, v) in self.pairs:
            return True
        p = self.problem
        return (len(self.team[r]) < int(p.resident_team_size[r])
                and len(self.residents_of[v]) < int(p.volunteer_max_residents[v]))

    def has_hours(self, option: Option) -> bool:
        cap = int(self.problem.volunteer_max_ms[option.volunteer])
        return self.load_ms[option.volunteer] + option.load_ms <= cap

    def earliest_start(self, option: Option, r: int, duration: int,
                       others: tuple[Option, ...] = ()) -> int | None:
        """First start in the option's ranges that clashes with nothing already planned."""
        for lo, hi in option.starts:
            start = lo
            while start <= hi:
                moved = self._push_past_clashes(option.volunteer, option.day, r, start, duration)
                for other in others:
                    moved = max(moved, self._push_past_clashes(other.volunteer, other.day, r,
                                                               moved, duration))
                if moved == start:
                    if all(_inside(other.starts, start) for other in others):
                        return start
                    start += 1
                    continue
                start = moved
        return None

    def _push_past_clashes(self, v: int, day: int, r: int, start: int, duration: int) -> int:
        """The earliest start >= `start` free of clashes with v's and r's plans that day."""
        p = self.problem
        changed = True
        while changed:
            changed = False
            for s, e in self.resident_busy[r, day]:
                if start < e and s < start + duration:
                    start, changed = e, True
            for s, e, other in self.busy[v, day]:
                gap = 0 if other == r else _travel_gap(p, other, r, v)
                back = 0 if other == r else _travel_gap(p, r, other, v)
                if start < e + gap and s < start + duration + back:
                    start, changed = e + gap, True
        return start

    def commit(self, need: int, r: int, day: int, start: int, options: tuple[Option, ...]) -> None:
        duration = int(self.problem.need_duration[need])
        for option in options:
            v = option.volunteer
            if (r, v) not in self.pairs:
                self.pairs.add((r, v))
                self.team[r].add(v)
                self.residents_of[v].add(r)
            self.load_ms[v] += option.load_ms
            self.busy[v, day].append((start, start + duration, r))
        self.resident_busy[r, day].append((start, start + duration))
        self.visits.append(Visit(need, day, start, tuple(sorted(o.volunteer for o in options))))


def greedy_roster(problem: Problem, options: NeedOptions, residents=None) -> Solution:
    """Nearest free volunteer first, residents by priority (highest first), then input order."""
    order = range(problem.n_residents) if residents is None else sorted(residents)
    order = sorted(order, key=lambda r: (-int(problem.resident_priority[r]), r))
    state = _State(problem)
    for r in order:
        for need in problem.needs_of(r):
            # A full team takes no one new: only its members' options can be used (a
            # one-to-one resident's later needs then read one volunteer's, not ~136).
            full = len(state.team[r]) >= int(problem.resident_team_size[r])
            _schedule_need(state, need, r,
                           _NearestFirst(options, need, state.team[r] if full else None))
    return Solution.of(state.pairs, state.visits)


class _NearestFirst:
    """A need's options nearest volunteer first, expanded only as far as they are read:
    the nearest few usually suffice, and a city has millions of options.

    A volunteer's days are tried from a day that depends on the need, so that equal
    choices spread over the week instead of all landing on Monday.
    """

    def __init__(self, options: NeedOptions, need: int, among: set[int] | None = None):
        self._options = options
        rows = options.rows_of(need)
        if among is not None:
            # Only these volunteers' rows, in the same order.
            rows = np.arange(rows.start, rows.stop, dtype=np.int64)
            rows = rows[np.isin(options.volunteer[rows], list(among))].tolist()
        self._rows = iter(rows)
        self._seen: list[Option] = []
        self._first_day = need % 7

    def __iter__(self):
        yield from self._seen
        for row in self._rows:
            expanded = sorted(self._options.expand(row),
                              key=lambda option: (option.day - self._first_day) % 7)
            self._seen.extend(expanded)
            yield from expanded

    def all(self) -> list[Option]:
        for _ in self:
            pass
        return self._seen


def _schedule_need(state: _State, need: int, r: int, need_options: _NearestFirst) -> None:
    p = state.problem
    together = int(p.need_volunteers_per_visit[need])
    duration = int(p.need_duration[need])
    wanted = p.service_skills[p.need_service[need]]
    used_days: set[int] = set()
    # Rows come sorted by distance, then volunteer.
    by_distance = need_options.all() if together > 1 else need_options
    # A visit's partners are on its day: each day's options, still nearest first.
    by_day: dict[int, list[Option]] = {}
    if together > 1:
        for option in by_distance:
            by_day.setdefault(option.day, []).append(option)
    for _ in range(int(p.need_visits[need])):
        placed = False
        for option in by_distance:
            if option.day in used_days or not state.can_pair(r, option.volunteer):
                continue
            if not state.has_hours(option):
                continue
            partners = _partners(state, option, by_day[option.day], r, together, wanted) \
                if together > 1 else ()
            if partners is None:
                continue
            start = state.earliest_start(option, r, duration, partners)
            if start is None:
                continue
            state.commit(need, r, option.day, start, (option, *partners))
            used_days.add(option.day)
            placed = True
            break
        if not placed:
            return


def _partners(state: _State, first: Option, same_day: list[Option], r: int, together: int,
              wanted: np.ndarray) -> tuple[Option, ...] | None:
    """Nearest others free that day (`same_day`: the need's options on `first`'s day,
    nearest first) who, with `first`, cover the service's skills."""
    p = state.problem
    chosen = [first]
    pairs_needed = 0 if (r, first.volunteer) in state.pairs else 1
    for option in same_day:
        if len(chosen) == together:
            break
        if option.volunteer in {o.volunteer for o in chosen}:
            continue
        new_pair = (r, option.volunteer) not in state.pairs
        if new_pair and (len(state.team[r]) + pairs_needed + 1 > int(p.resident_team_size[r])
                         or len(state.residents_of[option.volunteer])
                         >= int(p.volunteer_max_residents[option.volunteer])):
            continue
        if not state.has_hours(option):
            continue
        chosen.append(option)
        pairs_needed += int(new_pair)
    if len(chosen) < together:
        return None
    covered = np.zeros_like(wanted)
    for option in chosen:
        covered |= p.volunteer_skills[option.volunteer]
    if (wanted & ~covered).any():
        return None
    return tuple(chosen[1:])


def _inside(ranges, start: int) -> bool:
    return any(lo <= start <= hi for lo, hi in ranges)


def _travel_gap(problem: Problem, first: int, second: int, v: int) -> int:
    return math.ceil(float(problem.resident_travel_minutes(first, second, v)) - 1e-9)
