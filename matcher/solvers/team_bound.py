"""The least cost of a resident with a team, alone: exact over who is on the team.

A roster gives a resident with a team at most `team_size` members, and every visit of a need
is made by members on one day: a one-volunteer visit by a member free that day, a visit of
two or more by that many members free that day whose skills together cover the service. So
whichever team a roster picks, its cost for this resident is at least:
- each member's pair cost (soft wishes missed, less the unmet member and churn it saves);
- for each need, every visit unmet beyond the days the team can staff, each visit made at
  least the distance of the nearest members who could make it;
- and with the volunteers' hours: no more visits than leave each member time for the
  attendances the others cannot make, and the members who could attend time for all of
  them at their lightest load.
Taking the least of this over every team of candidates is a lower bound on the resident's
cost in any roster. It leaves out the clock within a day, fairness and cohesion (none of
which can lower a roster's cost), and counts no volunteer as taken by another resident. It
is far tighter than letting each need take the best of all eligible volunteers: a team of
two cannot staff three needs from three different volunteers' days (district preset: 74,305
against 32,288 for its 257 teams; city preset: 1.91 M against 1.16 M).

The teams are enumerated, but only over candidates that are not dominated. A candidate is
dominated by another that costs no more as a pair, has no fewer hours, and is, for every
need, at least as useful: eligible wherever it is, free on every day it is, no farther, no
longer a visit, with every skill it has. One dominated by `team_size` others is never
needed: in any team, one of those others is off the team and takes its place at no more
cost, and the maximal ones among them are kept (see `undominated`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from matcher.objective import preference_misses, unserved_cost
from matcher.options import NeedOptions
from matcher.problem import Problem

MS_PER_MINUTE = 60_000
DAYS = 7
# Teams whose cost is looked at again with the volunteers' hours, at most, per resident:
# past it the bound is the next team's cost without them, which is still a lower bound.
MOST_TEAMS_WITH_HOURS = 200
_BITS = np.array([bin(mask).count("1") for mask in range(1 << DAYS)], dtype=np.int64)


@dataclass(frozen=True)
class _NeedColumns:
    """One need's figures per candidate (`usable` False where it has no visit option)."""

    wanted: int
    together: int
    usable: np.ndarray  # bool [candidate]
    day_mask: np.ndarray  # int [candidate], bit d: free on day d
    km: np.ndarray  # float [candidate], inf where not usable
    load: np.ndarray  # float [candidate]: minutes one visit takes, travel included
    skills: np.ndarray  # int [candidate]: the service's skills held, as bits
    required: int  # every skill of the service, as bits


def team_lower_bound(problem: Problem, options: NeedOptions, r: int) -> float:
    """The least cost resident r with a team could have with the volunteers all to
    themselves, the team's make-up exact (see the module's notes)."""
    weights = problem.scenario.config.weights
    priority = int(problem.resident_priority[r])
    size = int(problem.resident_team_size[r])
    empty = unserved_cost(problem, [r])
    candidates = np.unique(np.asarray(options.pairs_of_resident.get(r, []), dtype=np.int64))
    if not len(candidates):
        return empty
    incumbents = problem.incumbents_of(r)
    pair_cost = (weights.preference
                 * preference_misses(problem, np.full(len(candidates), r), candidates)
                 - weights.unmet_member * priority
                 - weights.churn * np.isin(candidates, list(incumbents)))
    hours = problem.volunteer_max_minutes[candidates].astype(float)
    needs = [_need_columns(problem, options, n, candidates, hours) for n in problem.needs_of(r)]
    kept = undominated(pair_cost, hours, needs, size)
    unserved = weights.unmet_visit * priority
    teams, costs = [], []
    for members in range(1, min(size, len(kept)) + 1):
        some = np.array(list(itertools.combinations(kept.tolist(), members)), dtype=np.int64)
        cost = empty + pair_cost[some].sum(axis=1)
        for need in needs:
            cost += _visits_cost(need, _days_staffed(need, some),
                                 weights.distance_km * _nearest_km(need, some), unserved)
        teams.append(some)
        costs.append(cost)
    if not teams:
        return empty
    costs = np.concatenate(costs)
    # The volunteers' hours only raise a team's cost: the teams are looked at again with
    # them, cheapest first, until the next one's cost without them is no less than the best.
    order = np.argsort(costs, kind="stable")
    best = empty
    for looked, index in enumerate(order.tolist()):
        if costs[index] >= best:
            return best
        if looked == MOST_TEAMS_WITH_HOURS:
            return min(best, float(costs[index]))  # no team left costs less than this
        team = _team_at(teams, index)
        best = min(best, _with_hours(team, float(costs[index]), needs, hours, weights, unserved))
    return best


def undominated(pair_cost: np.ndarray, hours: np.ndarray, needs: list[_NeedColumns],
                size: int) -> np.ndarray:
    """Indices of the candidates dominated by fewer than `size` others, in order. Of equal
    candidates the first dominates the later ones, so that domination is a strict order;
    then each dropped candidate has at least `size` kept ones dominating it (a dropped one
    that is maximal among the dropped that dominate it is dominated only by kept ones).
    Besides the module's criteria, a dominating candidate has no fewer hours and no longer
    visits, which the teams' costs with hours count."""
    # A candidate with no visit to make is dominated by every one with no greater pair
    # cost: only the `size` first of those in order of pair cost can be kept.
    useful = np.logical_or.reduce([need.usable for need in needs])
    rank = np.empty(len(pair_cost), dtype=np.int64)
    rank[np.lexsort((np.arange(len(pair_cost)), pair_cost))] = np.arange(len(pair_cost))
    looked = np.flatnonzero(useful | (rank < size))
    cost, hours = pair_cost[looked], hours[looked]
    at_least = (cost[:, None] <= cost[None, :]) & (hours[:, None] >= hours[None, :])  # [u, v]
    for need in needs:
        usable, day_mask, km, load, skills = (need.usable[looked], need.day_mask[looked],
                                              need.km[looked], need.load[looked],
                                              need.skills[looked])
        as_good = (usable[:, None]
                   & (day_mask[:, None] & day_mask[None, :] == day_mask[None, :])
                   & (km[:, None] <= km[None, :])
                   & (load[:, None] <= load[None, :])
                   & (skills[:, None] & skills[None, :] == skills[None, :]))
        at_least &= as_good | ~usable[None, :]
    index = np.arange(len(looked))
    dominates = at_least & (~at_least.T | (index[:, None] < index[None, :]))
    np.fill_diagonal(dominates, False)
    return looked[dominates.sum(axis=0) < size]


def _team_at(teams: list[np.ndarray], index: int) -> tuple[int, ...]:
    """The team at `index` of the teams of every size, counted one size after another."""
    for some in teams:
        if index < len(some):
            return tuple(some[index].tolist())
        index -= len(some)
    raise IndexError(index)


def _need_columns(problem: Problem, options: NeedOptions, n: int, candidates: np.ndarray,
                  hours: np.ndarray) -> _NeedColumns:
    rows = np.asarray(options.rows_of(n), dtype=np.int64)
    at = np.searchsorted(candidates, options.volunteer[rows]) if len(rows) else rows
    usable = np.zeros(len(candidates), dtype=bool)
    day_mask = np.zeros(len(candidates), dtype=np.int64)
    km = np.full(len(candidates), np.inf)
    usable[at] = True
    day_mask[at] = options.day_mask[rows]
    km[at] = options.km[rows]
    load = np.zeros(len(candidates))
    load[at] = options.load_ms[rows] / MS_PER_MINUTE
    # A volunteer whose week cannot hold one visit makes none.
    usable &= load <= hours
    day_mask[~usable] = 0
    km[~usable] = np.inf
    asked = np.flatnonzero(problem.service_skills[problem.need_service[n]])
    bits = 1 << np.arange(len(asked), dtype=np.int64)
    skills = (problem.volunteer_skills[candidates][:, asked].astype(np.int64) * bits).sum(axis=1)
    return _NeedColumns(int(problem.need_visits[n]), int(problem.need_volunteers_per_visit[n]),
                        usable, day_mask, km, load, skills, int(bits.sum()))


def _days_staffed(need: _NeedColumns, teams: np.ndarray) -> np.ndarray:
    """For each team (rows of candidate indices), the days on which it can make a visit."""
    usable = need.usable[teams]
    masks = np.where(usable, need.day_mask[teams], 0)
    if need.together == 1:
        # Candidates with an option have every skill a one-volunteer visit asks for.
        return _BITS[np.bitwise_or.reduce(masks, axis=1)]
    days = np.zeros(len(teams), dtype=np.int64)
    for day in range(DAYS):
        free = (masks >> day) & 1 == 1
        skills = np.bitwise_or.reduce(np.where(free, need.skills[teams], 0), axis=1)
        days += (free.sum(axis=1) >= need.together) & (skills == need.required)
    return days


def _nearest_km(need: _NeedColumns, teams: np.ndarray) -> np.ndarray:
    """The least distance one visit of the need adds: its `together` nearest members who
    could make it (inf where fewer could)."""
    km = np.sort(need.km[teams], axis=1)[:, :need.together]
    if km.shape[1] < need.together:
        return np.full(len(teams), np.inf)
    return km.sum(axis=1)


def _visits_cost(need: _NeedColumns, staffed: np.ndarray, per_visit: np.ndarray,
                 unserved: float) -> np.ndarray:
    """What the need's visits add to each team's cost, as many made as it can staff: each
    saves its unmet cost and adds its distance (none made where that adds more)."""
    worth = per_visit < unserved
    return np.where(worth, np.minimum(need.wanted, staffed)
                    * (np.where(worth, per_visit, 0.0) - unserved), 0.0)


def _with_hours(team: tuple[int, ...], cost: float, needs: list[_NeedColumns],
                hours: np.ndarray, weights, unserved: float) -> float:
    """A team's cost (`cost`, without hours) with each member's hours counted: the visits
    made are chosen again, need by need, so that every member has time for the attendances
    the others cannot make (each attends a visit once, on a day they are free), and all of
    them for the attendances made, each at its least load."""
    members = list(team)
    ranges, gains, base = [], [], cost
    for need in needs:
        staffed = int(_days_staffed(need, np.array([members]))[0])
        per_visit = float(weights.distance_km * _nearest_km(need, np.array([members]))[0])
        most = min(need.wanted, staffed) if per_visit < unserved else 0
        gain = per_visit - unserved if most else 0.0  # (the distance may be infinite)
        ranges.append(range(most + 1))
        gains.append(gain)
        base -= most * gain
    best = math.inf
    for served in itertools.product(*ranges):
        value = base + sum(count * gain for count, gain in zip(served, gains, strict=True))
        if value < best and _hours_suffice(members, served, needs, hours):
            best = value
    return best


def _hours_suffice(members: list[int], served: tuple[int, ...], needs: list[_NeedColumns],
                   hours: np.ndarray) -> bool:
    forced = {m: 0.0 for m in members}
    attending: set[int] = set()  # members who could attend a visit made
    total = 0.0
    for count, need in zip(served, needs, strict=True):
        if not count:
            continue
        most = {m: min(count, _BITS[need.day_mask[m]]) if need.usable[m] else 0 for m in members}
        asked = need.together * count
        for m in members:
            left = asked - (sum(most.values()) - most[m])
            if left > most[m]:
                return False
            forced[m] += max(0, left) * need.load[m]
        able = [m for m in members if need.usable[m]]
        attending.update(able)
        total += asked * min(need.load[m] for m in able)
    # Only members who could attend count: one who could not would leave the same team,
    # with someone else in their place, no better off (see `undominated`).
    return (all(forced[m] <= hours[m] for m in members)
            and total <= sum(hours[m] for m in attending))
