"""Window patterns split into days, so that overlaps are worked out per distinct day.

A pattern (a volunteer's availability, a need's windows) is a tuple of windows over the
week. Two patterns rarely repeat as a pair, but the windows of one day repeat a great deal
("09:00-12:00" is everybody's morning), so overlaps are computed for each distinct pair of
day-interval lists once and looked up for every (pattern, pattern, day).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from matcher.scenario.model import Window

DayIntervals = tuple[tuple[int, int], ...]


@lru_cache(maxsize=4)
def day_patterns(patterns: tuple[tuple[Window, ...], ...]) -> tuple[np.ndarray, list[DayIntervals]]:
    """Each pattern as 7 ids of its day's intervals (-1 for a day with none), and the lists."""
    ids = np.full((len(patterns), 7), -1, dtype=np.int64)
    known: dict[DayIntervals, int] = {}
    for index, windows in enumerate(patterns):
        per_day: dict[int, list[tuple[int, int]]] = {}
        for window in windows:
            per_day.setdefault(window.day, []).append((window.start, window.end))
        for day, intervals in per_day.items():
            ids[index, day] = known.setdefault(tuple(intervals), len(known))
    ids.setflags(write=False)  # shared through the cache
    return ids, list(known)


def per_day_lookup(first_ids: np.ndarray, second_ids: np.ndarray, extra: np.ndarray,
                   lists: list[DayIntervals], compute: Callable) -> tuple[np.ndarray, list]:
    """`compute(first, second, extra)` for every row and day, each distinct triple once.

    `first_ids` and `second_ids` are [rows, 7] day-pattern ids, `extra` an int per row (a
    duration, say). Returns an index [rows, 7] into the list of results (-1 where a day
    has no interval on either side) and that list.
    """
    valid = (first_ids >= 0) & (second_ids >= 0)
    width = len(lists)
    keys = np.where(valid, (first_ids * width + second_ids) * 1441 + extra[:, None], -1)
    unique, inverse = np.unique(keys[valid], return_inverse=True)
    results = []
    for key in unique.tolist():
        pair, value = divmod(key, 1441)
        first, second = divmod(pair, width)
        results.append(compute(lists[first], lists[second], value))
    index = np.full(keys.shape, -1, dtype=np.int64)
    index[valid] = inverse
    return index, results
