"""Window patterns split into days, so that overlaps are worked out per distinct day.

A pattern (a volunteer's availability, a need's windows) is a tuple of windows over the
week. Two patterns rarely repeat as a pair, but the windows of one day repeat a great deal
("09:00-12:00" is everybody's morning), so overlaps are computed for each distinct pair of
day-interval lists once and looked up for every (pattern, pattern, day).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.scenario.model import Window

DayIntervals = tuple[tuple[int, int], ...]


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
    ids.setflags(write=False)  # kept by the problem, shared by every caller
    return ids, list(known)


def single_day_windows(patterns: tuple[tuple[Window, ...], ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pattern and day: the interval if there is exactly one (else an empty one); and
    per pattern, whether some day holds several. Minutes of a day fit in 16 bits, which
    makes the gathers over millions of pairs a quarter of the memory traffic."""
    starts = np.zeros((len(patterns), 7), dtype=np.int16)
    ends = np.zeros((len(patterns), 7), dtype=np.int16)
    count = np.zeros((len(patterns), 7), dtype=np.int64)
    for index, windows in enumerate(patterns):
        for window in windows:
            starts[index, window.day] = window.start
            ends[index, window.day] = window.end
            count[index, window.day] += 1
    several_on = count > 1
    ends[several_on] = starts[several_on]  # their overlap comes from the general path
    several = several_on.any(axis=1)
    for array in (starts, ends, several):
        array.setflags(write=False)  # kept by the problem, shared by every caller
    return starts, ends, several


def distinct_day_triples(first_ids: np.ndarray, second_ids: np.ndarray, extra: np.ndarray,
                         lists: list[DayIntervals]
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct (first day list, second day list, extra) over all rows and days, so
    that what depends on them is worked out once each.

    `first_ids` and `second_ids` are [rows, 7] day-pattern ids, `extra` an int from 0 to
    1440 per row (a duration, say). Returns an index [rows, 7] into the distinct triples
    (-1 where a day has no interval on either side), and the triples' first list ids,
    second list ids and extras, in increasing order of (first, second, extra).
    """
    valid = (first_ids >= 0) & (second_ids >= 0)
    width = len(lists)
    keys = np.where(valid, (first_ids * width + second_ids) * 1441 + extra[:, None], -1)
    # Hashing, not sorting, the millions of keys of a city; the few distinct ones are
    # then sorted.
    inverse, unique = pd.factorize(keys[valid], sort=True)
    index = np.full(keys.shape, -1, dtype=np.int64)
    index[valid] = inverse
    pair, value = np.divmod(unique, 1441)
    first, second = np.divmod(pair, width)
    return index, first, second, value


def single_interval_bounds(lists: list[DayIntervals]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each day list's start and end, and whether it is a single interval (where it is
    not, the start and end are meaningless)."""
    single = np.array([len(intervals) == 1 for intervals in lists], dtype=bool)
    start = np.array([intervals[0][0] for intervals in lists], dtype=np.int64)
    end = np.array([intervals[0][1] for intervals in lists], dtype=np.int64)
    return start, end, single
