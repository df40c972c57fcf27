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
  them at their lightest load;
- and the fairness cost of that work: each member's forced attendances above their fair
  share, or all the attendances above the attending members' shares together, whichever is
  more (a volunteer's hours above the share are at least the sum of what each resident's
  visits alone would put above it, so these add up over residents).
Taking the least of this over every team of candidates is a lower bound on the resident's
cost in any roster. It leaves out the clock within a day and cohesion (neither can lower a
roster's cost), and counts no volunteer as taken by another resident. It
is far tighter than letting each need take the best of all eligible volunteers: a team of
two cannot staff three needs from three different volunteers' days (district preset: 74,305
against 32,288 for its 257 teams; city preset: 1.88 M against 1.16 M).

The teams are enumerated, but only over candidates that are not dominated. A candidate is
dominated by another that costs no more as a pair, has no fewer hours, and is, for every
need, at least as useful: eligible wherever it is, free on every day it is, no farther, no
longer a visit, with every skill it has. One dominated by `team_size` others is never
needed: in any team, one of those others is off the team and takes its place at no more
cost, and the maximal ones among them are kept (see `undominated`).

With prices on the volunteers' hours and places (a Lagrangian bound's, never negative), each
member also pays for their place and each visit for the hours of its `together` cheapest
members who could make it: a roster's attendees pay no less. A dominating candidate must
then also cost no more an attendance at those prices.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from matcher.objective import member_costs, unserved_cost
from matcher.options import NeedOptions, days_in_mask
from matcher.problem import MINUTES_PER_HOUR, MS_PER_MINUTE, Problem

DAYS = 7
# Teams whose cost is looked at again with the volunteers' hours, at most, per resident:
# past it the bound is the next team's cost without them, which is still a lower bound.
MOST_TEAMS_WITH_HOURS = 200
TEAMS_PER_CHUNK = 20_000
# Loads are rounded up to the millisecond (rule H6), so each attendance counted here is
# one millisecond lighter, in minutes, than its load: never above what a roster pays.
ROUNDING_MINUTES = 1 / MS_PER_MINUTE


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
    price: np.ndarray  # float [candidate]: what the hours of one attendance cost, at prices


@dataclass(frozen=True)
class Prices:
    """What an hour of each volunteer's work and one of their resident places cost, by
    volunteer index (a Lagrangian relaxation's prices, never negative)."""

    hour: np.ndarray
    place: np.ndarray


@dataclass(frozen=True)
class BestTeam:
    """A team resident's least cost alone, and the team reaching it (none if no team costs
    less than nobody)."""

    cost: float
    members: tuple[int, ...] = ()  # volunteer indices


def team_lower_bound(problem: Problem, options: NeedOptions, r: int,
                     with_fairness: bool = True) -> float:
    """The least cost resident r with a team could have with the volunteers all to
    themselves, the team's make-up exact (see the module's notes). `with_fairness=False`
    leaves out what the members' work for r puts them above their fair shares."""
    return best_team(problem, options, r, with_fairness=with_fairness).cost


def best_team(problem: Problem, options: NeedOptions, r: int, *, with_fairness: bool = True,
              prices: Prices | None = None) -> BestTeam:
    """`team_lower_bound`, with the team reaching it, and with `prices` the least cost at
    those prices (never less than without them)."""
    weights = problem.scenario.config.weights
    priority = int(problem.resident_priority[r])
    size = int(problem.resident_team_size[r])
    empty = unserved_cost(problem, [r])
    candidates = np.unique(np.asarray(options.pairs_of_resident.get(r, []), dtype=np.int64))
    if not len(candidates):
        return BestTeam(empty)
    pair_cost = member_costs(problem, np.full(len(candidates), r), candidates)
    hour_price = np.zeros(len(candidates))
    if prices is not None:
        pair_cost = pair_cost + prices.place[candidates]
        hour_price = prices.hour[candidates]
    hours = problem.volunteer_max_minutes[candidates].astype(float)
    fairness = _Fairness(weights.fairness if with_fairness else 0.0,
                         np.append(problem.fair_share_minutes[candidates], 0.0))
    needs = [_need_columns(problem, options, n, candidates, hours, hour_price)
             for n in problem.needs_of(r)]
    kept = undominated(pair_cost, hours, needs, size)
    # One more place, `nobody`, stands for a place left empty in a smaller team.
    nobody = len(candidates)
    pair_cost, hours = np.append(pair_cost, 0.0), np.append(hours, 0.0)
    unserved = weights.unmet_visit * priority
    # The cheapest teams without hours, found a chunk at a time so that a resident with
    # many candidates needs no more memory than a chunk.
    # Kept for each of them: per need, the visits made and what each adds.
    teams = np.zeros((0, size), dtype=np.int64)
    costs = np.zeros(0)
    floors = np.zeros(0)  # the least each team could cost with its hours and fairness
    made = np.zeros((0, len(needs)), dtype=np.int64)
    adds = np.zeros((0, len(needs)))
    for some in _teams_in_chunks(kept, size, nobody):
        visits = [_visits(need, some, weights.distance_km, unserved) for need in needs]
        some_made = np.stack([count for count, _ in visits], axis=1)
        some_adds = np.stack([each for _, each in visits], axis=1)
        cost = empty + pair_cost[some].sum(axis=1) + (some_made * some_adds).sum(axis=1)
        floor = cost + _fairness_floor(needs, some, some_made, some_adds, fairness)
        teams, costs = np.concatenate([teams, some]), np.concatenate([costs, cost])
        floors = np.concatenate([floors, floor])
        made, adds = np.concatenate([made, some_made]), np.concatenate([adds, some_adds])
        cheapest = np.argsort(floors, kind="stable")[:MOST_TEAMS_WITH_HOURS + 1]
        teams, costs, floors = teams[cheapest], costs[cheapest], floors[cheapest]
        made, adds = made[cheapest], adds[cheapest]
    # The volunteers' hours only raise a team's cost: the teams are looked at again with
    # them, least floor first, until the next one's floor is no less than the best.
    best = BestTeam(empty)
    for looked, (team, cost, floor) in enumerate(zip(teams.tolist(), costs.tolist(),
                                                     floors.tolist(), strict=True)):
        if floor >= best.cost:
            break
        members = [m for m in team if m != nobody]
        if looked == MOST_TEAMS_WITH_HOURS:
            # No team left costs less than this floor; this team stands for the one that
            # reaches it.
            value = floor
        else:
            value = _with_hours(members, cost, made[looked].tolist(), adds[looked].tolist(),
                                needs, hours, fairness)
        if value < best.cost:
            best = BestTeam(value, tuple(int(candidates[m]) for m in members))
    return best


def _fairness_floor(needs: list[_NeedColumns], teams: np.ndarray, made: np.ndarray,
                    adds: np.ndarray, fairness: _Fairness) -> np.ndarray:
    """For each team, at most what `_with_hours` adds to its cost without hours (`made`
    visits of each need, each adding `adds`): the fairness cost of all those attendances
    at the team's lightest load, above all the members' shares together. Where one visit
    fewer could save more fairness cost than the visit saves, none is counted, since the
    team might then make fewer visits."""
    if fairness.weight <= 0:
        return np.zeros(len(teams))
    per_minute = fairness.weight / MINUTES_PER_HOUR
    minutes = np.zeros(len(teams))
    counted = np.ones(len(teams), dtype=bool)
    for column, need in enumerate(needs):
        count = made[:, column]
        # A team makes visits only where a member is usable: elsewhere `count` is 0.
        # Columns one by one, as in `_days_staffed`.
        lightest = functools.reduce(np.minimum, [np.where(need.usable[place], need.load[place],
                                                          np.inf) for place in teams.T])
        lightest = np.where(count > 0, lightest, 0.0)
        minutes += need.together * count * np.maximum(lightest - ROUNDING_MINUTES, 0.0)
        counted &= -adds[:, column] >= per_minute * need.together * lightest
    above = np.maximum(minutes - sum(fairness.share[place] for place in teams.T), 0.0)
    return np.where(counted, per_minute * above, 0.0)


def _teams_in_chunks(kept: np.ndarray, size: int, nobody: int):
    """Every team of 1 to `size` of the `kept` candidates, as rows of `size` indices
    (`nobody` for a place left empty), at most `TEAMS_PER_CHUNK` rows at a time, smaller
    teams first and each size in the order of `itertools.combinations`."""
    for members in range(1, min(size, len(kept)) + 1):
        flat = itertools.chain.from_iterable(itertools.combinations(kept.tolist(), members))
        while True:
            chunk = np.fromiter(itertools.islice(flat, TEAMS_PER_CHUNK * members), np.int64)
            if not len(chunk):
                break
            rows = np.full((len(chunk) // members, size), nobody, dtype=np.int64)
            rows[:, :members] = chunk.reshape(-1, members)
            yield rows


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
    useful = np.logical_or.reduce([need.usable[:len(pair_cost)] for need in needs])
    rank = np.empty(len(pair_cost), dtype=np.int64)
    rank[np.lexsort((np.arange(len(pair_cost)), pair_cost))] = np.arange(len(pair_cost))
    looked = np.flatnonzero(useful | (rank < size))
    cost, hours = pair_cost[looked], hours[looked]
    at_least = (cost[:, None] <= cost[None, :]) & (hours[:, None] >= hours[None, :])  # [u, v]
    for need in needs:
        usable, day_mask, km, load, skills = (need.usable[looked], need.day_mask[looked],
                                              need.km[looked], need.load[looked],
                                              need.skills[looked])
        price = need.price[looked]
        as_good = (usable[:, None]
                   & (day_mask[:, None] & day_mask[None, :] == day_mask[None, :])
                   & (km[:, None] <= km[None, :])
                   & (load[:, None] <= load[None, :])
                   & (price[:, None] <= price[None, :])
                   & (skills[:, None] & skills[None, :] == skills[None, :]))
        at_least &= as_good | ~usable[None, :]
    index = np.arange(len(looked))
    dominates = at_least & (~at_least.T | (index[:, None] < index[None, :]))
    np.fill_diagonal(dominates, False)
    return looked[dominates.sum(axis=0) < size]


def _need_columns(problem: Problem, options: NeedOptions, n: int, candidates: np.ndarray,
                  hours: np.ndarray, hour_price: np.ndarray) -> _NeedColumns:
    rows = np.asarray(options.rows_of(n), dtype=np.int64)
    at = np.searchsorted(candidates, options.volunteer[rows]) if len(rows) else rows
    # One entry more than the candidates: `nobody`, who makes no visit.
    count = len(candidates) + 1
    usable = np.zeros(count, dtype=bool)
    day_mask = np.zeros(count, dtype=np.int64)
    km = np.full(count, np.inf)
    usable[at] = True
    day_mask[at] = options.day_mask[rows]
    km[at] = options.km[rows]
    load = np.zeros(count)
    load[at] = options.load_ms[rows] / MS_PER_MINUTE
    # A volunteer whose week cannot hold one visit makes none.
    usable[:-1] &= load[:-1] <= hours
    day_mask[~usable] = 0
    km[~usable] = np.inf
    asked = np.flatnonzero(problem.service_skills[problem.need_service[n]])
    bits = 1 << np.arange(len(asked), dtype=np.int64)
    skills = np.append(
        (problem.volunteer_skills[candidates][:, asked].astype(np.int64) * bits).sum(axis=1), 0)
    price = np.append(hour_price, 0.0) * (load - ROUNDING_MINUTES) / MINUTES_PER_HOUR
    price[~usable] = np.inf
    return _NeedColumns(int(problem.need_visits[n]), int(problem.need_volunteers_per_visit[n]),
                        usable, day_mask, km, load, skills, int(bits.sum()), price)


def _days_staffed(need: _NeedColumns, teams: np.ndarray) -> np.ndarray:
    """For each team (rows of candidate indices), the days on which it can make a visit."""
    # Columns one by one: teams have two or three members, and a ufunc's reduce along so
    # short an axis costs more than the sum of its steps.
    masks = [need.day_mask[column] for column in teams.T]  # none where not usable
    if need.together == 1:
        # Candidates with an option have every skill a one-volunteer visit asks for.
        return days_in_mask(functools.reduce(np.bitwise_or, masks))
    skills = [need.skills[column] for column in teams.T]
    days = np.zeros(len(teams), dtype=np.int64)
    for day in range(DAYS):
        free = [(mask >> day) & 1 for mask in masks]
        held = functools.reduce(np.bitwise_or, [f * s for f, s in zip(free, skills, strict=True)])
        days += (sum(free) >= need.together) & (held == need.required)
    return days


def _cheapest_attendance(need: _NeedColumns, teams: np.ndarray, per_km: float) -> np.ndarray:
    """The least one visit of the need adds in distance and priced hours: its `together`
    cheapest members who could make it (inf where fewer could)."""
    # A candidate who cannot make the need is priced inf, and is at an inf distance too:
    # that distance is left out, as with distance weighed 0 it would be 0 * inf, not a
    # number.
    per_candidate = per_km * np.where(need.usable, need.km, 0.0) + need.price
    each = np.sort(per_candidate[teams], axis=1)[:, :need.together]
    if each.shape[1] < need.together:
        return np.full(len(teams), np.inf)
    return each.sum(axis=1)


def _visits(need: _NeedColumns, teams: np.ndarray, per_km: float, unserved: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """For each team, the need's visits made, as many as it can staff, and what each adds
    to the cost: its distance (and hours, at prices) less the unmet cost it saves (none
    made where that would add more)."""
    per_visit = _cheapest_attendance(need, teams, per_km)
    worth = per_visit < unserved
    count = np.where(worth, np.minimum(need.wanted, _days_staffed(need, teams)), 0)
    return count, np.where(count > 0, np.where(worth, per_visit, 0.0) - unserved, 0.0)


@dataclass(frozen=True)
class _Fairness:
    weight: float  # per hour above the fair share
    share: np.ndarray  # float [candidate]: minutes, 0 for `nobody`


def _with_hours(members: list[int], cost: float, made: list[int], adds: list[float],
                needs: list[_NeedColumns], hours: np.ndarray, fairness: _Fairness) -> float:
    """A team's cost (`cost`, without hours, with `made` visits of each need, each adding
    `adds`) with each member's hours counted: the visits made are chosen again, need by
    need, so that every member has time for the attendances the others cannot make (each
    attends a visit once, on a day they are free), and the members who could attend time
    for all of them, each at its least load. What that work puts the members above their
    fair shares is added."""
    base = cost - sum(count * each for count, each in zip(made, adds, strict=True))
    choices = sorted((base + sum(count * each for count, each in zip(served, adds, strict=True)),
                      served) for served in itertools.product(*(range(count + 1)
                                                                for count in made)))
    # Cheapest first; the fairness added is never negative, so once a choice costs no
    # less than the best found, none after it is better (making none is always allowed,
    # and adds nothing above the shares).
    best = np.inf
    for value, served in choices:
        if value >= best:
            break
        above = _above_shares(members, served, needs, hours, fairness)
        if above is not None:
            best = min(best, value + above)
    return best


def _above_shares(members: list[int], served: tuple[int, ...], needs: list[_NeedColumns],
                  hours: np.ndarray, fairness: _Fairness) -> float | None:
    """None if the members' hours cannot hold the visits `served`, else the least fairness
    cost their work for them adds."""
    forced = {m: 0.0 for m in members}
    attending: set[int] = set()  # members who could attend a visit made
    total = 0.0
    attendances = 0
    for count, need in zip(served, needs, strict=True):
        if not count:
            continue
        most = {m: min(count, int(days_in_mask(need.day_mask[m]))) if need.usable[m] else 0
                for m in members}
        asked = need.together * count
        for m in members:
            left = asked - (sum(most.values()) - most[m])
            if left > most[m]:
                return None
            forced[m] += max(0, left) * need.load[m]
        able = [m for m in members if need.usable[m]]
        attending.update(able)
        total += asked * min(need.load[m] for m in able)
        attendances += asked
    # Only members who could attend count: one who could not would leave the same team,
    # with someone else in their place, no better off (see `undominated`).
    if not (all(forced[m] <= hours[m] for m in members)
            and total <= sum(hours[m] for m in attending)):
        return None
    if fairness.weight <= 0 or not attendances:
        return 0.0
    # A member's hours above the share are at least those of their forced attendances;
    # all members' together, at least those of all attendances above all the shares.
    guard = ROUNDING_MINUTES  # off each attendance
    each = sum(max(0.0, forced[m] - guard * attendances - fairness.share[m]) for m in members)
    together = total - guard * attendances - sum(fairness.share[m] for m in attending)
    return fairness.weight * max(each, together, 0.0) / MINUTES_PER_HOUR
