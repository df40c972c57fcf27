"""A lower bound priced the other way round: each volunteer chooses, within their own limits.

The priced bound (`lagrange`) prices volunteers' hours and places and lets each one-to-one
resident choose a volunteer; it is a linear relaxation, in which a volunteer's hours and
places may be shared out in fractions. Here the other limit is priced: each one-to-one
resident has at most one volunteer, and a price `gain[r]` (never negative) is paid for every
volunteer who takes resident r on, less one. Each volunteer then takes, on their own, the
residents whose visits save them most at those prices, exactly within their weekly hours
and places (a small knapsack over their candidate residents). For any prices this bounds
every roster from below (weak duality). The residents' prices are taken from the priced
bound's best prices for the volunteers: each resident's best gain at a few multiples of
those (`lagrange.lagrangian_bound`). At those prices themselves it is never below that
bound's one-to-one part, and above it where whole residents do not fit a volunteer's hours
or places the way fractions did; at somewhat higher ones it was higher still.

Teams keep their alone bound, and the hours and places they would take are left to the
one-to-one residents: a relaxation, so the bound stays valid, but it does not see teams
competing with anybody (the priced bound, with its teams priced, may then be higher). A
resident's visits by one volunteer are counted as the priced bound counts them (lightest
first, within the week's days, each paying what it puts the volunteer above the fair share
counting that resident's visits alone), so one volunteer's choice adds those up over the
residents they take, which the fairness term never exceeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matcher.solvers.lagrange import PricedPairs


def volunteer_side_value(pairs: PricedPairs, gain: np.ndarray) -> float:
    """The bound with `gain` (never negative, one per one-to-one resident in pair order,
    as `lagrange.resident_gains` gives) each resident's price (see the module's text)."""
    if not len(pairs.resident):
        return pairs.constant
    return (pairs.constant - float(gain.sum())
            + sum(_volunteer_choices(pairs, gain[pairs.group])))


def _volunteer_choices(pairs: PricedPairs, price: np.ndarray):
    """Each volunteer's best choice's cost (negative) at `price` per pair, for volunteers
    with any pair worth taking."""
    # A pair's options: k of its visits (its first k slots), costing its pair cost, the
    # price, and what the k visits add; taking k hours of the volunteer's.
    slot = pairs.slot_pair
    step = pairs.slot_fairness - pairs.saving[slot]
    first = np.searchsorted(slot, np.arange(len(pairs.resident)))
    last = np.searchsorted(slot, np.arange(len(pairs.resident)), side="right")
    start = first[slot]
    running_cost = running_within(step, start)
    running_hours = running_within(pairs.slot_hours, start)
    best_made = np.zeros(len(pairs.resident))
    has_slots = last > first
    if has_slots.any():
        best_made[has_slots] = np.minimum(
            np.minimum.reduceat(running_cost, first[has_slots]), 0.0)
    worth = np.flatnonzero(pairs.pair_cost + price + best_made < 0)
    if not len(worth):
        return
    order = worth[np.argsort(pairs.volunteer[worth], kind="stable")]
    volunteers = pairs.volunteer[order]
    cuts = np.flatnonzero(np.diff(volunteers)) + 1
    for group in np.split(order, cuts):
        v = int(pairs.volunteer[group[0]])
        options = []
        for q in group.tolist():
            base = pairs.pair_cost[q] + price[q]
            costs = base + np.r_[0.0, running_cost[first[q]:last[q]]]
            hours = np.r_[0.0, running_hours[first[q]:last[q]]]
            options.append(_frontier(hours, costs))
        yield _best_choice(options, float(pairs.hours[v]), int(pairs.places[v]))


def running_within(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Running sums of `values` restarting at each run of entries, `start` holding each
    entry's run's first index (a pair's first slot), in the dtype of `values`."""
    running = np.cumsum(values)
    return running - np.where(start > 0, running[start - 1], 0)


def _frontier(hours: np.ndarray, costs: np.ndarray) -> list[tuple[float, float]]:
    """The options (hours, cost) worth taking: negative, each cheaper than every option
    taking fewer hours (hours grow with the visits)."""
    kept, cheapest = [], 0.0
    for h, c in zip(hours.tolist(), costs.tolist(), strict=True):
        if c < cheapest:
            kept.append((h, c))
            cheapest = c
    return kept


def _best_choice(options: list[list[tuple[float, float]]], hours: float, places: int) -> float:
    """The least total cost of at most `places` pairs, one option each, within `hours`."""
    # A frontier's costs fall as its hours grow: its last option is its cheapest.
    best_each = sorted((pair[-1][1], pair[-1][0]) for pair in options)
    taken = best_each[:places]
    if sum(h for _, h in taken) <= hours + 1e-9:
        return sum(c for c, _ in taken)  # the best of each, so the least overall
    # Otherwise exactly: states (pairs taken, hours) kept where no state with as many
    # pairs and fewer hours costs less.
    states: dict[int, list[tuple[float, float]]] = {0: [(0.0, 0.0)]}
    for pair in options:
        grown = {n: list(s) for n, s in states.items()}
        for n, frontier in states.items():
            if n >= places:
                continue
            for h0, c0 in frontier:
                for h, c in pair:
                    if h0 + h <= hours + 1e-9:
                        grown.setdefault(n + 1, []).append((h0 + h, c0 + c))
        states = {n: _pruned(s) for n, s in grown.items()}
    return min(c for frontier in states.values() for _, c in frontier)


def _pruned(states: list[tuple[float, float]]) -> list[tuple[float, float]]:
    kept, cheapest = [], np.inf
    for h, c in sorted(states):
        if c < cheapest - 1e-12:
            kept.append((h, c))
            cheapest = c
    return kept
