"""Weekly time windows of residents' needs and volunteers' availability, as format strings.

Each function takes `draw`, a source of uniform numbers in [0, 1) for one entity, so that the
many small choices of one entity are made from one pre-drawn row of numbers (fast, and
independent of how many choices other entities needed).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from matcher.scenario.model import DAYS

Draw = Callable[[], float]
Slot = tuple[tuple[int, ...], int, int]  # days, start minute, end minute


@dataclass(frozen=True)
class Menu:
    """Options with relative weights, picked by one uniform number."""

    options: tuple
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, *weighted: tuple[object, float]) -> Menu:
        return cls(tuple(o for o, _ in weighted), tuple(accumulate(w for _, w in weighted)))

    def pick(self, u: float):
        index = bisect_right(self.cumulative, u * self.cumulative[-1])
        return self.options[min(index, len(self.options) - 1)]


def one_of(options: Sequence, u: float):
    """An option picked with equal chances by one uniform number."""
    return options[min(int(u * len(options)), len(options) - 1)]


MON_FRI = (0, 1, 2, 3, 4)
# Weekday patterns of a household routine, with how common each is.
WEEKDAYS = Menu.of((MON_FRI, 0.50), ((0, 2, 4), 0.20), ((1, 3), 0.10), ((0, 1, 2, 3), 0.10),
                   ((1, 2, 3, 4), 0.10))
# Students have a few free afternoons between classes, not every day.
STUDENT_WEEKDAYS = Menu.of(((1, 3), 0.30), ((0, 2, 4), 0.25), (MON_FRI, 0.20), ((2,), 0.10),
                           ((0, 3), 0.15))
WEEKEND = Menu.of(((5,), 0.35), ((6,), 0.25), ((5, 6), 0.40))
# After school: most children are home by 16:30 and free until 19:30 or so.
SCHOOL_OUT = Menu.of((960, 0.2), (990, 0.5), (1020, 0.3))
HOMEWORK_ENDS = Menu.of((1140, 0.3), (1170, 0.5), (1200, 0.2))
WEEKEND_SHIFTS = Menu.of((((5,), 540, 720), 0.2), (((6,), 540, 720), 0.15),
                         (((5, 6), 540, 720), 0.25), (((5,), 840, 1080), 0.15),
                         (((6,), 840, 1050), 0.1), (((5, 6), 840, 1020), 0.15))
STUDENT_WEEKENDS = Menu.of((((5, 6), 540, 1020), 0.4), (((5,), 510, 720), 0.2),
                           (((6,), 810, 1050), 0.2), (((5, 6), 840, 1080), 0.2))


@lru_cache(maxsize=256)
def days_label(days: tuple[int, ...]) -> str:
    """`Mon-Fri` for three or more consecutive days, else a comma list like `Tue,Thu`."""
    days = tuple(sorted(days))
    if len(days) >= 3 and days[-1] - days[0] == len(days) - 1:
        return f"{DAYS[days[0]]}-{DAYS[days[-1]]}"
    return ",".join(DAYS[d] for d in days)


def render(slots: Sequence[Slot]) -> list[str]:
    return [f"{days_label(days)} {_hhmm(start)}-{_hhmm(end)}" for days, start, end in slots]


@lru_cache(maxsize=2048)
def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _slot(draw: Draw, days: tuple[int, ...], starts: Sequence[int], lengths: Sequence[int],
          at_least: int) -> Slot:
    # A window is never shorter than the visit it is for, so every need can be served.
    start = one_of(starts, draw())
    return days, start, start + max(one_of(lengths, draw()), at_least)


def _weekdays(draw: Draw, menu: Menu = WEEKDAYS) -> tuple[int, ...]:
    return menu.pick(draw())


# --- residents -----------------------------------------------------------------------------


def need_windows(draw: Draw, child: bool, service: str, duration: int, visits: int,
                 at_home: bool) -> list[str]:
    """When a resident can be visited for one need.

    Seniors are home all day and are visited mostly on weekday mornings and afternoons, with
    some weekend and early-evening windows that working volunteers can take. Hospital escorts
    are morning appointments. Children go to school: after school and at weekends, unless
    their illness keeps them at home (`at_home`), when weekday mornings work too.
    """
    slots: list[Slot] = []
    if child:
        if at_home:
            slots.append(_slot(draw, _weekdays(draw), (540, 570), (150, 180), duration))
            if draw() < 0.5:
                slots.append(_weekend(draw, duration))
            if draw() < 0.3:
                slots.append(_after_school(draw, duration))
        else:
            if draw() < 0.85:
                slots.append(_after_school(draw, duration))
            if not slots or draw() < 0.6:
                slots.append(_weekend(draw, duration))
    elif service == "escort":
        days = MON_FRI if draw() < 0.7 else _weekdays(draw)
        slots.append(_slot(draw, days, (450, 480), (210, 240), duration))
        if draw() < 0.25:
            slots.append(((5,), 480, 480 + max(210, duration)))
    else:
        morning = _slot(draw, _weekdays(draw), (480, 510, 540, 570), (150, 180, 210), duration)
        afternoon = _slot(draw, _weekdays(draw), (840, 870, 900), (120, 150, 180), duration)
        if draw() < 0.55:
            slots.append(morning)
            if draw() < 0.35:
                slots.append(afternoon)
        else:
            slots.append(afternoon)
            if draw() < 0.35:
                slots.append(morning)
        if draw() < 0.4:
            slots.append(_weekend(draw, duration))
        if service in ("companionship", "housekeeping") and draw() < 0.3:
            slots.append(_slot(draw, _weekdays(draw), (1110,), (120,), duration))
    if len({day for days, _, _ in slots for day in days}) < visits:
        # Visits fall on distinct days: widen the first window to every weekday.
        _, start, end = slots[0]
        slots[0] = (MON_FRI, start, end)
    return render(_unique(slots))


def _after_school(draw: Draw, duration: int) -> Slot:
    days = MON_FRI if draw() < 0.6 else _weekdays(draw)
    start = SCHOOL_OUT.pick(draw())
    end = HOMEWORK_ENDS.pick(draw())
    return days, start, max(end, start + duration)


def _weekend(draw: Draw, duration: int) -> Slot:
    days = _weekdays(draw, WEEKEND)
    if draw() < 0.6:
        return _slot(draw, days, (540,), (150, 180), duration)
    return _slot(draw, days, (840, 870), (150, 180), duration)


# --- volunteers ----------------------------------------------------------------------------

RETIREE, WORKER, STUDENT = 0, 1, 2
PROFILES = ("retiree", "worker", "student")


def availability(draw: Draw, profile: int) -> list[str]:
    """When a volunteer can serve, by way of life.

    Retirees give weekday daytime; people in work give evenings (about 18:00-21:00) and
    weekends; university students give free afternoons, early evenings and weekends.
    """
    slots: list[Slot] = []
    if profile == RETIREE:
        if draw() < 0.8:
            slots.append(_span(draw, _weekdays(draw), (480, 510, 540), (660, 690, 720)))
        if not slots or draw() < 0.5:
            slots.append(_span(draw, _weekdays(draw), (840, 870), (1020, 1050)))
        if draw() < 0.2:
            slots.append(_span(draw, _weekdays(draw, WEEKEND), (540,), (690,)))
        if draw() < 0.1:
            slots.append(_span(draw, _weekdays(draw), (1110,), (1230,)))
    elif profile == WORKER:
        if draw() < 0.75:
            slots.append(_span(draw, _weekdays(draw), (1080, 1110, 1140), (1230, 1260)))
        for chance in (0.7, 0.25):
            if not slots or draw() < chance:
                slots.append(WEEKEND_SHIFTS.pick(draw()))
    else:
        if draw() < 0.7:
            slots.append(_span(draw, _weekdays(draw, STUDENT_WEEKDAYS), (960, 990),
                               (1170, 1200, 1260)))
        if draw() < 0.25:
            slots.append(((one_of(MON_FRI, draw()),), 840, 1050))
        if not slots or draw() < 0.8:
            slots.append(STUDENT_WEEKENDS.pick(draw()))
    return render(_unique(slots))


def _span(draw: Draw, days: tuple[int, ...], starts: Sequence[int], ends: Sequence[int]) -> Slot:
    return days, one_of(starts, draw()), one_of(ends, draw())


def _unique(slots: list[Slot]) -> list[Slot]:
    # Two draws can give the same window; writing it twice would only confuse a reader.
    kept: list[Slot] = []
    for slot in slots:
        if slot not in kept:
            kept.append(slot)
    return kept


class RowDraw:
    """Hands out the numbers of one pre-drawn row in turn (see the module docstring)."""

    def __init__(self, row: Sequence[float]):
        self._row = row
        self._next = 0

    def __call__(self) -> float:
        value = self._row[self._next]
        self._next += 1
        return value
