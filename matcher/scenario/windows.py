"""The time-window grammar: `DAYS HH:MM-HH:MM`, e.g. `Mon-Fri 09:00-11:30`, `Mon,Wed 14:00-16:00`."""

from __future__ import annotations

import re
from functools import lru_cache

from matcher.scenario.model import DAYS, MINUTES_PER_DAY, Window

WINDOW_EXAMPLE = "'Mon-Fri 09:00-11:30'"

_WINDOW = re.compile(
    r"^\s*(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)
_DAY_INDEX = {day.lower(): index for index, day in enumerate(DAYS)}


class WindowSyntaxError(ValueError):
    """A window string that does not follow the grammar; the message says why."""


@lru_cache(maxsize=65536)
def parse_window(text: str) -> tuple[Window, ...]:
    """One window string to one `Window` per day it names, in day order.

    Cached because real data repeats the same few availability patterns many thousand times.
    """
    match = _WINDOW.match(text)
    if match is None:
        raise WindowSyntaxError("is not a time window")
    days = _parse_days(match["days"])
    start = _parse_clock(match["start"])
    end = _parse_clock(match["end"])
    if end <= start:
        raise WindowSyntaxError("ends before it starts")
    return tuple(Window(day, start, end) for day in days)


def parse_windows(texts: list[str] | tuple[str, ...]) -> tuple[Window, ...]:
    """A list of window strings to their union, as sorted, merged windows."""
    windows: list[Window] = []
    for text in texts:
        windows.extend(parse_window(text))
    return merge_windows(windows)


def merge_windows(windows: list[Window] | tuple[Window, ...]) -> tuple[Window, ...]:
    """Sorted union: overlapping or touching intervals on one day become one."""
    return _merge(tuple(windows))


@lru_cache(maxsize=65536)
def _merge(windows: tuple[Window, ...]) -> tuple[Window, ...]:
    merged: list[Window] = []
    for window in sorted(windows):
        last = merged[-1] if merged else None
        if last is not None and last.day == window.day and window.start <= last.end:
            merged[-1] = Window(last.day, last.start, max(last.end, window.end))
        else:
            merged.append(window)
    return tuple(merged)


def format_windows(windows: tuple[Window, ...]) -> str:
    return "; ".join(str(window) for window in windows)


def _parse_days(text: str) -> list[int]:
    days: set[int] = set()
    for item in text.replace(" ", "").split(","):
        if "-" in item:
            first, _, last = item.partition("-")
            start, end = _day(first), _day(last)
            if end < start:
                raise WindowSyntaxError(f"day range '{item}' runs backwards")
            days.update(range(start, end + 1))
        else:
            days.add(_day(item))
    return sorted(days)


def _day(text: str) -> int:
    index = _DAY_INDEX.get(text.lower())
    if index is None:
        raise WindowSyntaxError(f"'{text}' is not a day (expected one of {', '.join(DAYS)})")
    return index


def _parse_clock(text: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    # 24:00 is allowed as the end of a day; it is still inside one day.
    if minutes > 59 or hours > 24 or hours * 60 + minutes > MINUTES_PER_DAY:
        raise WindowSyntaxError(f"'{text}' is not a time of day")
    return hours * 60 + minutes
