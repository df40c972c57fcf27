"""The most visits one volunteer could make for one resident in a week, timing included.

The bounds count a pair's visits need by need: each need's visits up to the days on which
both sides are free for it (rule H3). Two needs met only on the same day are then counted
twice on it, though a resident's visits never overlap (H5): a resident whose companionship
(60 min) and safety check (45 min) both fit only Monday 16:00-17:00 with a volunteer free
from 16:00 can have one of them from that volunteer, not both. Here each pair's count is
capped by the most visits that really fit: each need's visits on distinct days, and on each
day only needs that fit one after another within their start ranges. A cap never counts
fewer visits than a roster could make, so the bounds stay valid.

Most pairs need no scheduling: if every need's visits can go on days of their own (Hall's
condition over the sets of needs, checked for all pairs at once), nothing shares a day and
the need-by-need count is exact. The rest are worked out day by day.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from matcher.options import NeedOptions, days_in_mask
from matcher.problem import Problem

# Pairs with more needs than this keep the need-by-need count (still valid): the check goes
# over every set of a pair's needs. Generated scenarios have at most three.
MOST_NEEDS = 6
DAYS = 7


def visit_caps(problem: Problem, options: NeedOptions, rows: np.ndarray,
               row_pair: np.ndarray, n_pairs: int) -> np.ndarray:
    """For each of `n_pairs` pairs (one resident, one volunteer): the most visits the
    volunteer could make for the resident. `rows` are option rows, `row_pair` each one's
    pair; a pair's rows are its needs the volunteer could attend. Weekly hours are left to
    the callers, who fill them lightest visit first."""
    rows = np.asarray(rows, dtype=np.int64)
    row_pair = np.asarray(row_pair, dtype=np.int64)
    order = np.argsort(row_pair, kind="stable")
    rows, row_pair = rows[order], row_pair[order]
    width = np.bincount(row_pair, minlength=n_pairs)
    most = int(width.max()) if len(width) else 0
    first = np.searchsorted(row_pair, np.arange(n_pairs))
    table = np.full((n_pairs, most), -1, dtype=np.int64)
    for column in range(most):
        present = np.flatnonzero(column < width)
        table[present, column] = rows[first[present] + column]
    return column_caps(problem, options, table)


def column_caps(problem: Problem, options: NeedOptions, table: np.ndarray) -> np.ndarray:
    """`visit_caps` of pairs given as a table: a row per pair, its option rows in columns
    (-1 where none)."""
    present = table >= 0
    rows = table[present]
    counts = np.zeros(table.shape, dtype=np.int64)
    counts[present] = np.minimum(problem.need_visits[options.need[rows]],
                                 days_in_mask(options.day_mask[rows]))
    caps = counts.sum(axis=1)
    width = present.sum(axis=1)
    if table.shape[1] < 2:
        return caps
    if table.shape[1] > MOST_NEEDS:
        # The others' rows moved to their first columns (option rows first, -1 after).
        fewer = np.flatnonzero(width <= MOST_NEEDS)
        packed = -np.sort(-table[fewer], axis=1)[:, :MOST_NEEDS]
        caps[fewer] = column_caps(problem, options, packed)
        return caps
    masks = np.zeros(table.shape, dtype=np.int64)
    masks[present] = options.day_mask[rows]
    crowded = np.zeros(len(table), dtype=bool)
    for subset in range(3, 1 << table.shape[1]):
        columns = [c for c in range(table.shape[1]) if subset >> c & 1]
        if len(columns) < 2:
            continue  # one need's count is within its days already
        union = np.bitwise_or.reduce(masks[:, columns], axis=1)
        crowded |= days_in_mask(union) < counts[:, columns].sum(axis=1)
    for index in np.flatnonzero(crowded & (width > 1)).tolist():
        columns = np.flatnonzero(present[index])
        caps[index] = _most_visits(tuple(
            (_week(problem, options, int(table[index, c])), int(counts[index, c]))
            for c in columns))
    return caps


def _week(problem: Problem, options: NeedOptions, row: int) -> tuple:
    """One option row's visit on each day: (start ranges, duration), or None that day."""
    duration = int(problem.need_duration[int(options.need[row])])
    return tuple(None if index < 0 else (options.ranges[index], duration)
                 for index in options.range_id[row].tolist())


# Both are pure functions of their arguments, which real data repeats many times over (a
# city: a handful of availability patterns and durations), so they are remembered.
@functools.lru_cache(maxsize=1 << 16)
def _most_visits(needs: tuple) -> int:
    """The most visits over the week of `needs` ((week, count) each, see `_week`): day by
    day, every set of needs that fits that day, each need's visits on distinct days and no
    more than it asks."""
    counts = [count for _, count in needs]
    reached = {tuple(0 for _ in needs)}
    for day in range(DAYS):
        jobs = [week[day] for week, _ in needs]
        open_needs = [i for i, job in enumerate(jobs) if job is not None]
        sets = [()]
        for size in range(1, len(open_needs) + 1):
            for chosen in itertools.combinations(open_needs, size):
                if size == 1 or _fit(tuple(sorted(jobs[i] for i in chosen))):
                    sets.append(chosen)
        if len(sets) == 1:
            continue
        after = set()
        for state in reached:
            for chosen in sets:
                grown = list(state)
                for i in chosen:
                    grown[i] = min(counts[i], grown[i] + 1)
                after.add(tuple(grown))
        reached = after
    return max(sum(state) for state in reached)


@functools.lru_cache(maxsize=1 << 16)
def _fit(jobs: tuple) -> bool:
    """Whether visits ((start ranges, duration) each) all fit on one day, one after
    another, in some order."""
    return any(_in_order(order) for order in itertools.permutations(jobs))


def _in_order(jobs) -> bool:
    """Each visit at its earliest start after the one before ends: for a fixed order,
    starting earlier never leaves less room to the next."""
    free_from = -1
    for ranges, duration in jobs:
        start = next((max(low, free_from) for low, high in ranges if high >= free_from), None)
        if start is None:
            return False
        free_from = start + duration
    return True
