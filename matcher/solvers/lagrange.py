"""A lower bound from pricing volunteers' hours and places (a Lagrangian relaxation).

The alone bound lets every resident have their best volunteer as if nobody else wanted
them. Here the one-to-one residents share volunteers' weekly hours and resident places:
those two limits leave the constraints and enter the cost, at a price per hour and per place
of each volunteer. For any prices that are not negative, each resident then picks their best
volunteer on their own at the priced cost, and the sum of those costs, less the price of
every hour and place on offer, bounds every roster from below (weak duality): a roster keeps
within the limits, so at its choices the priced terms add nothing positive. Subgradient steps
raise the prices of volunteers asked for more than they have, and the best bound seen is
kept. At zero prices the bound is the alone bound (or above it, where fairness outweighs
what a visit saves, which the alone bound then leaves out).

Residents with a team keep their alone bound while the prices are sought: the limits priced
then count only one-to-one residents' visits and places, which a roster's own limits imply,
so the relaxation is valid. At the best prices found, the teams are then priced too, once:
each team resident's least cost alone with its members' places and attendances' hours paid
for (`team_bound.best_team`), the limits now counting the teams' places and hours as well.
That is the Lagrangian of the same relaxation with teams in it, at those prices, and it is
never below the bound without them, since a team's priced cost is never below its alone
cost. (Pricing the teams at every step found higher prices: on a district, 1.0 % above the
bound without teams against 0.3 % for one pass at the end, but it took a hundred times as
long, a minute on a district.)
At the same best prices, the bound priced the other way round (`volunteer_side`) is worked
out too, and the higher is kept: there each volunteer takes whole residents within their
own hours and places, which this linear relaxation splits into fractions.
One resident's visits by one volunteer are counted with the lightest loads first and as many
as the volunteer's hours alone allow and the week's days hold, as in the alone bound. Each
visit also pays what it puts the volunteer above their fair share, counting only that
resident's visits: a volunteer's hours above the share are at least the sum of those (see
`bound.above_share_cost`). Cohesion (never negative) is left out.

Every step is a few numpy passes over all candidate pairs, so it suits a part too large for
the contested program (a district: 100 steps in about 0.6 s).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from matcher.objective import member_costs, unserved_cost
from matcher.options import NeedOptions, days_in_mask
from matcher.problem import MS_PER_HOUR, Problem
from matcher.solvers.bound import above_share_cost, resident_lower_bound
from matcher.solvers.team_bound import Prices, best_team
from matcher.solvers.visit_caps import visit_caps
from matcher.solvers.volunteer_side import running_within, volunteer_side_value

# The residents' prices in the bound priced from the volunteers' side are their best gains
# at the best prices found scaled by each of these, the best kept: higher volunteer prices
# make lower resident prices. Generated district seed 1: 578,460 at 1, 581,382 at 1.25 (the
# best of 1 to 6), 580,980 at 1.5, 579,609 at 2; city seed 1: 11,810,595 at 1, 11,860,068
# at 1.25, 11,887,766 at 2 (the best of 1 to 6). Subgradient steps on the residents' prices
# from there found nothing better. Each scale costs 0.3 s on a city.
VOLUNTEER_SIDE_SCALES = (1.25, 2.0)


@dataclass(frozen=True)
class PricedPairs:
    """The one-to-one residents' candidate pairs, sorted by resident, and the visits each pair
    could make (`slot_*`: one entry per visit, lightest first within a pair)."""

    resident: np.ndarray
    volunteer: np.ndarray
    pair_cost: np.ndarray  # wishes, the member credit, the continuity credit
    saving: np.ndarray  # what one visit made saves: its unmet cost less its distance
    slot_pair: np.ndarray
    slot_hours: np.ndarray
    slot_fairness: np.ndarray  # what each visit adds above the volunteer's fair share
    constant: float  # every resident's cost with nothing done, teams at their alone bound
    hours: np.ndarray  # each volunteer's weekly hours
    places: np.ndarray  # each volunteer's most residents
    starts: np.ndarray  # each resident's first pair
    group: np.ndarray  # each pair's resident, counted 0, 1, ... in pair order

    @property
    def n_volunteers(self) -> int:
        return len(self.hours)


def lagrangian_bound(problem: Problem, options: NeedOptions, residents, target: float,
                     steps: int = 100, alone: Mapping[int, float] | None = None,
                     price_teams: bool = True,
                     found: Callable[[float], None] = lambda bound: None) -> float:
    """The best bound found in `steps` subgradient steps, the bound priced from the
    volunteers' side at the best prices found, and with `price_teams` the teams priced at
    those prices. `target`, the objective of a roster of these
    residents, only sizes the steps (Polyak's rule). `alone`, the residents' alone bounds
    where already worked out, saves working out again those of the teams. `found` is told
    each higher bound on the way, each valid on its own, so that a caller who cannot wait
    for the end keeps the best so far."""
    residents = np.unique(np.asarray(list(residents), dtype=np.int64))
    fixed = residents[held_at_alone_bound(problem, options, residents)].tolist()
    fixed_alone = {r: alone[r] if alone is not None and r in alone
                   else resident_lower_bound(problem, options, r) for r in fixed}
    pairs = priced_pairs(problem, options, residents, fixed_alone)
    # Only teams of candidates alone are priced: a team with a farther volunteer on it
    # has no price to pay for them.
    team_alone = {r: value for r, value in fixed_alone.items()
                  if not options.nearest_only(r)}
    teams = list(team_alone)
    hour_price = np.zeros(pairs.n_volunteers)
    place_price = np.zeros(pairs.n_volunteers)
    best_prices = Prices(hour_price, place_price)
    steps_taken = PolyakSteps(target)
    for _ in range(steps):
        value, hours_over, places_over = priced_value(pairs, hour_price, place_price)
        if value > steps_taken.best:
            best_prices = Prices(hour_price, place_price)  # the steps make new arrays
            found(_rounded(value))
        steps_taken.seen(value)
        hours_over = pushing(hour_price, hours_over)
        places_over = pushing(place_price, places_over)
        norm = float((hours_over ** 2).sum() + (places_over ** 2).sum())
        if norm == 0 or target <= value:
            break
        step = steps_taken.size(value, norm)
        hour_price = np.maximum(0.0, hour_price + step * hours_over)
        place_price = np.maximum(0.0, place_price + step * places_over)
    best = float(steps_taken.best)
    # Multiples of the same prices give each resident's gain, their price in the bound
    # priced the other way round, which sees whole residents in each volunteer's hours
    # and places.
    best = max(best, *(volunteer_side_value(pairs, resident_gains(
        pairs, Prices(scale * best_prices.hour, scale * best_prices.place)))
        for scale in VOLUNTEER_SIDE_SCALES))
    found(_rounded(best))
    if price_teams and teams:
        best = max(best, with_teams_priced(problem, options, pairs, best_prices, team_alone))
    return _rounded(best)


def _rounded(bound: float) -> float:
    """A bound less an allowance for rounding in its sums."""
    return bound - 1e-9 * max(1.0, abs(bound))


def with_teams_priced(problem: Problem, options: NeedOptions, pairs: PricedPairs,
                      prices: Prices, team_alone: Mapping[int, float]) -> float:
    """The Lagrangian's value at `prices` (any, never negative) with the teams priced too:
    `pairs` (whose constant counts the teams of `team_alone` at those alone bounds) at the
    prices, each team resident's alone bound replaced by its least cost at the prices."""
    value = priced_value(pairs, prices.hour, prices.place)[0]
    return value + sum(best_team(problem, options, r, prices=prices).cost - alone
                       for r, alone in team_alone.items())


class PolyakSteps:
    """Step sizes of a subgradient ascent on a Lagrangian dual: Polyak's rule aiming at
    `aim` (a value the dual cannot exceed), halved whenever the dual has not risen for
    five steps, as the steps then overshoot. Also keeps the best dual value seen."""

    def __init__(self, aim: float):
        self.aim = aim
        self.best = -np.inf
        self._scale, self._stalled = 1.0, 0

    def seen(self, value: float) -> None:
        if value > self.best + 1e-9:
            self.best, self._stalled = value, 0
        else:
            self._stalled += 1
            if self._stalled >= 5:
                self._scale, self._stalled = self._scale / 2, 0

    def size(self, value: float, norm: float) -> float:
        """The step along a subgradient whose squared length is `norm` (not zero)."""
        return self._scale * max(self.aim - value, 0.0) / norm


def pushing(price: np.ndarray, excess: np.ndarray) -> np.ndarray:
    """The subgradient's entries that may move a price: one at zero with room to spare
    (negative excess) stays at zero."""
    return np.where((price <= 0) & (excess < 0), 0.0, excess)


def priced_value(pairs: PricedPairs, hour_price: np.ndarray, place_price: np.ndarray
                 ) -> tuple[float, np.ndarray, np.ndarray]:
    """The bound at these prices, and each volunteer's hours and places asked for by the
    residents' choices, less what the volunteer has (the subgradient)."""
    slot = pairs.slot_pair
    cost, made = _priced_costs(pairs, hour_price, place_price)
    value = pairs.constant
    hours_used = np.zeros(pairs.n_volunteers)
    places_used = np.zeros(pairs.n_volunteers)
    if len(pairs.starts):
        # Each resident's choice: their cheapest pair (the first, on a tie), if it gains.
        best, first = least_in_groups(cost, pairs.starts, pairs.group)
        value += float(np.minimum(best, 0.0).sum())
        chosen = np.zeros(len(cost), dtype=bool)
        chosen[first[best < 0]] = True
        places_used = np.bincount(pairs.volunteer[chosen], minlength=pairs.n_volunteers)
        counted = chosen[slot] & made
        hours_used = np.bincount(pairs.volunteer[slot[counted]],
                                 weights=pairs.slot_hours[counted],
                                 minlength=pairs.n_volunteers)
    value -= float(hour_price @ pairs.hours + place_price @ pairs.places)
    return value, hours_used - pairs.hours, places_used - pairs.places


def _priced_costs(pairs: PricedPairs, hour_price: np.ndarray, place_price: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's least cost at these prices, and which of its visits (slots) it makes."""
    slot = pairs.slot_pair
    # A visit is worth making while its saving outweighs the price of its hours and what it
    # adds above the fair share; both grow slot by slot within a pair (loads lightest
    # first), so the visits made are always the lightest ones.
    margin = (hour_price[pairs.volunteer[slot]] * pairs.slot_hours - pairs.saving[slot]
              + pairs.slot_fairness)
    made = margin < 0
    gain = np.bincount(slot, weights=np.where(made, margin, 0.0),
                       minlength=len(pairs.resident))
    return pairs.pair_cost + place_price[pairs.volunteer] + gain, made


def resident_gains(pairs: PricedPairs, prices: Prices) -> np.ndarray:
    """Each one-to-one resident's (in pair order) most saved by one volunteer, their hours
    and place paid for at `prices`; 0 if no volunteer saves anything."""
    if not len(pairs.starts):
        return np.zeros(0)
    cost, _ = _priced_costs(pairs, prices.hour, prices.place)
    return np.maximum(-np.minimum.reduceat(cost, pairs.starts), 0.0)


def least_in_groups(values: np.ndarray, starts: np.ndarray, group: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per run of consecutive entries (`starts`: each run's first entry, none empty;
    `group`: each entry's run): the least value, and the first entry reaching it."""
    least = np.minimum.reduceat(values, starts)
    at = np.flatnonzero(values == least[group])
    return least, at[np.r_[True, np.diff(group[at]) != 0]]


def held_at_alone_bound(problem: Problem, options: NeedOptions,
                        residents: np.ndarray) -> np.ndarray:
    """Which of `residents` keep their alone bound while the prices are sought, taking no
    hours or places of anybody priced: the teams, and residents whose candidates leave out
    farther volunteers (their alone bound counts those)."""
    return (problem.resident_team_size[residents] != 1) | np.array(
        [options.nearest_only(int(r)) for r in residents], dtype=bool)


def priced_pairs(problem: Problem, options: NeedOptions, residents,
                 alone: Mapping[int, float] | None = None) -> PricedPairs:
    p = problem
    weights = p.scenario.config.weights
    residents = np.unique(np.asarray(list(residents), dtype=np.int64))
    fixed = held_at_alone_bound(p, options, residents)
    single = residents[~fixed]
    teams = residents[fixed]
    n_volunteers = p.n_volunteers
    lists = [options.pairs_of_resident.get(int(r), []) for r in single]
    resident = np.repeat(single, [len(vs) for vs in lists]).astype(np.int64)
    volunteer = np.array([v for vs in lists for v in vs], dtype=np.int64)
    key = resident * n_volunteers + volunteer
    order = np.argsort(key, kind="stable")
    resident, volunteer, key = resident[order], volunteer[order], key[order]
    priority = p.resident_priority[resident].astype(float)
    pair_cost = member_costs(p, resident, volunteer)
    # Option rows (need, volunteer) of these residents' needs become visit slots.
    row_resident = p.need_resident[options.need]
    rows = np.flatnonzero(np.isin(row_resident, single))
    row_key = row_resident[rows] * n_volunteers + options.volunteer[rows]
    row_pair = np.searchsorted(key, row_key)
    km = np.zeros(len(key))
    km[row_pair] = options.km[rows]
    count = np.minimum(p.need_visits[options.need[rows]],
                       days_in_mask(options.day_mask[rows])).astype(np.int64)
    slot_pair = np.repeat(row_pair, count)
    slot_load = np.repeat(options.load_ms[rows].astype(np.int64), count)
    by_load = np.lexsort((slot_load, slot_pair))
    slot_pair, slot_load = slot_pair[by_load], slot_load[by_load]
    # As many of the lightest visits as the volunteer's hours hold, and as fit in the week.
    first = np.searchsorted(slot_pair, slot_pair)
    within = running_within(slot_load, first)
    room = p.volunteer_max_ms
    caps = visit_caps(p, options, rows, row_pair, len(key))
    fits = (within <= room[volunteer[slot_pair]]) & (
        np.arange(len(slot_pair)) - first < caps[slot_pair])
    # Within a pair the slots kept are the first ones, so `within` stays each one's
    # running load; what each adds above the volunteer's fair share grows slot by slot.
    made_before = (np.arange(len(slot_pair)) - first)[fits]
    slot_pair, slot_load, within = slot_pair[fits], slot_load[fits], within[fits]
    slot_volunteer = volunteer[slot_pair]
    slot_fairness = (above_share_cost(p, slot_volunteer, within, made_before + 1)
                     - above_share_cost(p, slot_volunteer, within - slot_load, made_before))
    constant = (unserved_cost(p, single.tolist())
                + sum(alone[int(r)] if alone is not None and int(r) in alone
                      else resident_lower_bound(p, options, int(r)) for r in teams))
    starts = np.flatnonzero(np.r_[True, resident[1:] != resident[:-1]]) if len(resident) \
        else np.zeros(0, dtype=np.int64)
    return PricedPairs(
        resident=resident, volunteer=volunteer, pair_cost=pair_cost,
        saving=weights.unmet_visit * priority - weights.distance_km * km,
        # Loads are rounded up to the millisecond: one is taken off each visit priced, so
        # that a roster within the hours by less than that pays nothing positive either.
        slot_pair=slot_pair, slot_hours=(slot_load - 1) / MS_PER_HOUR,
        slot_fairness=slot_fairness,
        constant=constant,
        hours=p.volunteer_max_minutes.astype(float) / 60,
        places=p.volunteer_max_residents.astype(float), starts=starts,
        group=np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(resident)])))
