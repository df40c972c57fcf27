"""What-if variants: pure functions from a scenario to a changed scenario.

Each function returns a new `Scenario` (the input is frozen and left as it was) that is
still valid by the format, so that it can be solved, written and read back like any other.
Random choices come from `random.Random(seed)` over the scenario's own order, so the same
scenario and seed always give the same variant.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import replace

from matcher.scenario.model import Need, Pair, Resident, Scenario, Volunteer

MAX_VISITS_PER_WEEK = 7  # the format's bound: visits fall on distinct days of one week

# The volunteer fields a planner may set for everyone, and the type the reader gives each.
VOLUNTEER_CAPS = ("max_distance_km", "max_hours_per_week", "max_residents", "travel")


def with_current(scenario: Scenario, pairs: Iterable[tuple[str, str]]) -> Scenario:
    """The scenario with its `current` roster replaced by `pairs` (resident, volunteer).

    Solving a variant with the base roster as `current` makes churn mean what a planner
    asks: how many families lose the volunteer they have now. Pairs must name residents
    and volunteers of the scenario; a repeated pair counts once.
    """
    residents = {resident.id for resident in scenario.residents}
    volunteers = {volunteer.id for volunteer in scenario.volunteers}
    chosen = list(dict.fromkeys((str(r), str(v)) for r, v in pairs))
    unknown = sorted({f"{r}-{v}" for r, v in chosen if r not in residents or v not in volunteers})
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise ValueError(f"pairs name ids that are not in the scenario: {shown}")
    return replace(scenario, current=tuple(Pair(r, v) for r, v in chosen))


def drop_volunteers(scenario: Scenario, share: float, *, seed: int = 0,
                    ids: Iterable[str] = ()) -> Scenario:
    """The scenario without the volunteers named in `ids` and a seeded random `share` (0..1).

    The random pick removes round(share x N) volunteers (rounded half up), N being all the
    volunteers of the scenario, drawn from those not named in `ids`; the named ones go as
    well. Pairs of `current` and `exclude_volunteers` entries that name a removed volunteer
    are dropped too, since a scenario may not refer to a volunteer it does not hold.
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share must be between 0 and 1, not {share!r}")
    named = set(ids)
    known = {volunteer.id for volunteer in scenario.volunteers}
    unknown = sorted(named - known)
    if unknown:
        raise ValueError(f"not a volunteer of the scenario: {', '.join(unknown)}")
    pool = [volunteer.id for volunteer in scenario.volunteers if volunteer.id not in named]
    count = min(len(pool), math.floor(share * len(scenario.volunteers) + 0.5))
    removed = named | set(random.Random(seed).sample(pool, count))
    if not removed:
        return scenario
    residents = tuple(
        replace(resident, exclude_volunteers=tuple(v for v in resident.exclude_volunteers
                                                   if v not in removed))
        if removed.intersection(resident.exclude_volunteers) else resident
        for resident in scenario.residents)
    return replace(
        scenario,
        volunteers=tuple(v for v in scenario.volunteers if v.id not in removed),
        residents=residents,
        current=tuple(pair for pair in scenario.current if pair.volunteer not in removed),
    )


def scale_demand(scenario: Scenario, factor: float, *, seed: int = 0) -> Scenario:
    """The scenario with every need's `visits_per_week` scaled by `factor`.

    Demand grows by more visits for the same residents, not by more residents: a planner's
    "20 % more demand" is then the same people needing more care, which keeps every other
    input (places, wishes, teams) as it is. Most needs are one visit a week, so plain
    rounding would leave 1 x 1.2 at 1 and change nothing; each need is instead rounded up
    with probability equal to its fraction (seeded), so the expected total is `factor`
    times the original. A need keeps at least one visit (the format asks for one), and
    is capped at 7 and at the number of distinct days its windows cover, but never cut
    below what it asked before when `factor` is 1 or more.
    """
    if not (factor > 0 and math.isfinite(factor)):
        raise ValueError(f"factor must be a number greater than 0, not {factor!r}")
    rng = random.Random(seed)

    def scaled(need: Need) -> Need:
        exact = need.visits_per_week * factor
        # One draw per need, whatever the caps, so a need's rounding does not depend on
        # how the needs before it were capped.
        visits = math.floor(exact) + (1 if rng.random() < exact - math.floor(exact) else 0)
        days = len({window.day for window in need.windows})
        ceiling = min(MAX_VISITS_PER_WEEK, days)
        if factor >= 1:
            ceiling = max(ceiling, need.visits_per_week)
        visits = max(1, min(visits, ceiling))
        return need if visits == need.visits_per_week else replace(need, visits_per_week=visits)

    def resident_scaled(resident: Resident) -> Resident:
        needs = tuple(scaled(need) for need in resident.needs)
        return resident if needs == resident.needs else replace(resident, needs=needs)

    return replace(scenario, residents=tuple(resident_scaled(r) for r in scenario.residents))


def set_volunteer_cap(scenario: Scenario, field: str, value) -> Scenario:
    """The scenario with `field` set to `value` for every volunteer.

    `field` is one of max_distance_km, max_hours_per_week (numbers > 0), max_residents (a
    whole number >= 1) or travel (a mode the config gives a speed for), as in "what if
    volunteers may travel 5 km". The value is converted to the type the scenario reader
    gives that field, so the variant equals the scenario read back from its file.
    """
    checked = _cap_value(scenario, field, value)
    return replace(scenario, volunteers=tuple(_with(volunteer, field, checked)
                                              for volunteer in scenario.volunteers))


def _with(volunteer: Volunteer, field: str, value) -> Volunteer:
    return volunteer if getattr(volunteer, field) == value else replace(volunteer, **{field: value})


def _cap_value(scenario: Scenario, field: str, value):
    if field not in VOLUNTEER_CAPS:
        raise ValueError(f"{field!r} is not a volunteer setting a variant can change "
                         f"(expected one of {', '.join(VOLUNTEER_CAPS)})")
    if field == "travel":
        modes = scenario.config.travel.modes
        if not isinstance(value, str) or value.strip() not in modes:
            raise ValueError(f"travel {value!r} is not a travel mode with a speed "
                             f"(expected one of {', '.join(modes)})")
        return value.strip()
    number = _number(field, value)
    if field == "max_residents":
        if number != int(number) or number < 1:
            raise ValueError(f"max_residents {value!r} must be a whole number at least 1")
        return int(number)
    if number <= 0:
        raise ValueError(f"{field} {value!r} must be a number greater than 0")
    return float(number)


def _number(field: str, value) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{field} {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{field} {value!r} is not a number")
    return number
