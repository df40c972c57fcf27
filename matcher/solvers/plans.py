"""Candidate teams (plans): enumerate good teams per resident, each scored on its own.

One-to-one care means one volunteer does every visit of a resident, so who is on a team
matters more than anything else: a volunteer who is free for the weekday companionship
visit but lacks the haircut skill, or is away on Saturdays, serves only part of the week.
Each candidate team (a *plan*) is scored with the visits it can staff on its own (days on
which enough members are free and together hold the service's skills), the travel, wishes,
continuity and cohesion it brings, and the hours it takes from each member. The team
choice (`teams`) then picks at most one plan per resident.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from matcher.objective import preference_misses
from matcher.options import NeedOptions, common_starts, days_in_mask
from matcher.problem import Problem

# How many of a resident's nearest useful volunteers are tried, by team size. Fewer than
# one might think: the alone ranking puts the few that matter first, and a smaller set of
# plans lets the team choice reach more residents in its time (on the district preset 12
# gave lower objectives in less time than 25; on the city, 71 % coverage instead of 67 %).
TEAM_CANDIDATES = {1: 12, 2: 6, 3: 5}
LARGE_TEAM_CANDIDATES = 6
# The quick plans a worker finds first, for every resident, so that a limit too short for
# the full plans leaves a choice of a few good teams rather than the greedy roster's one:
# the three best alone, in teams of every size, none completed (0.46 of the full plans'
# time on the city).
QUICK_TEAM_CANDIDATES = 3
# Holders of a service's skills added to a team's candidates where none is among them.
SKILL_HOLDERS = 2
# A team resident's best plans that are completed where they leave a need short, and the
# best ranked volunteers for that need tried in them: more for a visit made together, as
# the one who makes it possible must be free when a member is, which the ranking does
# not see.
COMPLETED_PLANS, COMPLEMENTS, COMPLEMENTS_TOGETHER = 2, 3, 10


@dataclass(frozen=True)
class Plan:
    resident: int
    team: tuple[int, ...]
    cost: float  # objective cost of this resident with this team (fairness aside)
    load_ms: tuple[int, ...]  # hours taken from each member, in ms
    visits: int


def resident_plans(problem: Problem, options: NeedOptions, r: int,
                   quick: bool = False) -> list[Plan]:
    """Good teams for one resident, each scored on its own (`quick`: fewer, see
    `QUICK_TEAM_CANDIDATES`).

    Every useful volunteer is first ranked by how well they could serve the resident alone;
    teams are then formed from the best of them (and any incumbent, see `candidate_pool`).
    Ranking by that rather than by distance matters: the one volunteer nearby who can also
    cut hair may live farther than twenty who cannot. A team resident's best teams are
    then completed where they leave a need short (see `_completed`).
    """
    size = int(problem.resident_team_size[r])
    incumbents = problem.incumbents_of(r)
    ranked = _ranked_alone(problem, options, r)
    pool = _pool(problem, options, r, ranked, QUICK_TEAM_CANDIDATES if quick else None)
    # Looked up once per resident rather than once per team.
    rows_by_need = {n: options.row_of_volunteer(n, pool) for n in problem.needs_of(r)}
    misses = _misses(problem, r, pool)
    plans = []
    for k in range(1, min(size, len(pool)) + 1):
        for team in itertools.combinations(sorted(pool), k):
            plans.append(_score(problem, options, r, team, incumbents, rows_by_need, misses))
    if size > 1 and not quick:
        plans += _completed(problem, options, r, plans, ranked, rows_by_need, misses)
    return plans


def _misses(problem: Problem, r: int, volunteers: list[int]) -> dict[int, int]:
    return dict(zip(volunteers, preference_misses(problem, np.full(len(volunteers), r),
                                                  np.array(volunteers, dtype=np.int64)).tolist(),
                    strict=True))


def _completed(problem: Problem, options: NeedOptions, r: int, plans: list[Plan],
               ranked: list[int], rows_by_need: dict, misses: dict) -> list[Plan]:
    """More teams for a resident with a team: the best plans, where they leave a need short,
    with one of the best ranked volunteers for that need added or in a member's place.
    The pool's members are each good alone; what a team lacks is often one who is free
    on the one day, or has the one skill, that none of them has."""
    size = int(problem.resident_team_size[r])
    incumbents = problem.incumbents_of(r)
    wanted = {n: int(problem.need_visits[n]) for n in problem.needs_of(r)}
    seen = {plan.team for plan in plans}
    found = []
    for plan in sorted(plans, key=lambda plan: (plan.cost, plan.team))[:COMPLETED_PLANS]:
        if plan.visits >= sum(wanted.values()):
            break  # the best plans make every visit: nothing to complete
        visits, _ = _team_visits(problem, options, r, plan.team, rows_by_need)
        made = {n: 0 for n in wanted}
        for visit in visits:
            made[visit[1]] += 1
        for n in wanted:
            if made[n] >= wanted[n]:
                continue
            able = set(options.volunteer[np.asarray(options.rows_of(n), dtype=np.int64)].tolist())
            most = COMPLEMENTS if problem.need_volunteers_per_visit[n] == 1 \
                else COMPLEMENTS_TOGETHER
            extra = [v for v in ranked if v in able and v not in plan.team][:most]
            for v in extra:
                rows_by_need = _with_rows(options, rows_by_need, v)
                if v not in misses:
                    misses = misses | _misses(problem, r, [v])
                teams = [{*plan.team, v}] if len(plan.team) < size else []
                teams += [set(plan.team) - {out} | {v} for out in plan.team]
                for team in (tuple(sorted(members)) for members in teams):
                    if team not in seen:
                        seen.add(team)
                        found.append(_score(problem, options, r, team, incumbents,
                                            rows_by_need, misses))
    return found


def _with_rows(options: NeedOptions, rows_by_need: dict, v: int) -> dict:
    """`rows_by_need` with volunteer v's option rows too."""
    if all(v in rows for rows in rows_by_need.values()):
        return rows_by_need
    return {n: rows | options.row_of_volunteer(n, [v]) for n, rows in rows_by_need.items()}


def team_plan(problem: Problem, options: NeedOptions, r: int, team: tuple[int, ...]) -> Plan:
    """One given team for r, scored like the enumerated ones."""
    incumbents = problem.incumbents_of(r)
    rows_by_need = {n: options.row_of_volunteer(n, team) for n in problem.needs_of(r)}
    return _score(problem, options, r, tuple(sorted(team)), incumbents, rows_by_need,
                  _misses(problem, r, list(team)))


def candidate_pool(problem: Problem, options: NeedOptions, r: int) -> list[int]:
    """The volunteers r's teams are formed from: any incumbent, the best ranked alone,
    and, for each visit made by several volunteers together whose service asks for skills,
    the best ranked of those who hold them all. The ranking alone would miss them: one
    member cannot make such a visit, so it counts for every member alike, and the nearest
    few, who may all lack a skill as rare as rehabilitation, would come first."""
    return _pool(problem, options, r, _ranked_alone(problem, options, r))


def _pool(problem: Problem, options: NeedOptions, r: int, ranked: list[int],
          limit: int | None = None) -> list[int]:
    size = int(problem.resident_team_size[r])
    if limit is None:
        limit = TEAM_CANDIDATES.get(size, LARGE_TEAM_CANDIDATES)
    pool = [v for v in ranked if v in problem.incumbents_of(r)] + ranked[:limit]
    if size > 1:
        rank = {v: i for i, v in enumerate(ranked)}
        for n in problem.needs_of(r):
            asked = problem.service_skills[problem.need_service[n]]
            if problem.need_volunteers_per_visit[n] == 1 or not asked.any():
                continue
            rows = np.asarray(options.rows_of(n), dtype=np.int64)
            able = options.volunteer[rows]
            holders = able[(problem.volunteer_skills[able] | ~asked).all(axis=1)]
            if not np.isin(holders, pool).any():
                pool += sorted(holders.tolist(), key=rank.__getitem__)[:SKILL_HOLDERS]
    return list(dict.fromkeys(pool))


def _ranked_alone(problem: Problem, options: NeedOptions, r: int) -> list[int]:
    """Useful volunteers of r, best first by an estimate of r's cost with each alone:
    visits they could staff (days, hours; a visit made together in part), travel and
    wishes, all vectorised."""
    weights = problem.scenario.config.weights
    first, last = int(problem.need_start[r]), int(problem.need_start[r + 1])
    lo, hi = int(options.need_rows[first]), int(options.need_rows[last])
    if lo == hi:
        return []
    needs = options.need[lo:hi]
    volunteers = options.volunteer[lo:hi]
    days = days_in_mask(options.day_mask[lo:hi])
    # A visit made by several together counts for each of them in part.
    visits = (np.minimum(problem.need_visits[needs], days)
              / problem.need_volunteers_per_visit[needs])
    ids, inverse = np.unique(volunteers, return_inverse=True)
    staffed = np.bincount(inverse, weights=visits)
    load = np.bincount(inverse, weights=visits * options.load_ms[lo:hi])
    km = np.bincount(inverse, weights=options.km[lo:hi]) / np.bincount(inverse)
    cap = problem.volunteer_max_ms[ids]
    staffed = staffed * np.minimum(1.0, cap / np.maximum(load, 1.0))
    unserved = weights.unmet_visit * int(problem.resident_priority[r])
    misses = preference_misses(problem, np.full(len(ids), r), ids)
    estimate = (-unserved * staffed + weights.distance_km * km * staffed
                + weights.preference * misses)
    order = np.lexsort((ids, estimate))
    return ids[order].tolist()


def _score(problem: Problem, options: NeedOptions, r: int, team: tuple[int, ...],
           incumbents: set[int], rows_by_need: dict, misses: dict) -> Plan:
    if len(team) == 1:
        return _score_alone(problem, options, r, team[0], incumbents, rows_by_need, misses)
    return _score_team(problem, options, r, team, incumbents, rows_by_need, misses)


def _score_team(problem: Problem, options: NeedOptions, r: int, team: tuple[int, ...],
                incumbents: set[int], rows_by_need: dict, misses: dict) -> Plan:
    weights = problem.scenario.config.weights
    priority = int(problem.resident_priority[r])
    visits, load = _team_visits(problem, options, r, team, rows_by_need)
    cost = weights.distance_km * sum(visit[0] for visit in visits)
    missing = sum(int(problem.need_visits[n]) for n in problem.needs_of(r)) - len(visits)
    cost += weights.unmet_visit * priority * missing
    cost += weights.unmet_member * priority * (int(problem.resident_team_size[r]) - len(team))
    cost += weights.preference * sum(misses[v] for v in team)
    cost += weights.churn * (len(incumbents) - len(incumbents & set(team)))
    if len({int(problem.volunteer_organization[v]) for v in team}) > 1:
        cost += weights.cohesion
    return Plan(r, team, cost, tuple(load), len(visits))


def _team_visits(problem: Problem, options: NeedOptions, r: int, team: tuple[int, ...],
                 rows_by_need: dict) -> tuple[list[tuple[float, int, tuple[int, ...],
                                                         tuple[int, ...], int]], list[int]]:
    """The visits a team could make on its own, as (km, need, attendees, their loads, day),
    and the hours (ms) they take from each member."""
    member_index = {v: i for i, v in enumerate(team)}
    visits: list[tuple[float, int, tuple[int, ...], tuple[int, ...], int]] = []
    for n in problem.needs_of(r):
        need_rows = rows_by_need[n]
        rows = {v: row for v in team if (row := need_rows.get(v)) is not None}
        if not rows:
            continue
        per_day = _best_attendees_by_day(problem, options, n, rows)
        per_day.sort()
        for km, attendees, day in per_day[:int(problem.need_visits[n])]:
            visits.append((km, n, attendees, tuple(int(options.load_ms[rows[v]])
                                                   for v in attendees), day))
    # A member who cannot carry all these visits alone hands one on to a member with the
    # hours for it, or else does fewer: their heaviest visit goes, until the hours fit
    # (other residents' claims are the team-choice model's business).
    caps = [int(problem.volunteer_max_ms[v]) for v in team]
    while True:
        load = [0] * len(team)
        for _, _, attendees, loads, _ in visits:
            for v, ms in zip(attendees, loads, strict=True):
                load[member_index[v]] += ms
        over = [i for i, (used, cap) in enumerate(zip(load, caps, strict=True)) if used > cap]
        if not over:
            break
        heavy = team[over[0]]
        handed = _handed_on(options, team, heavy, visits, rows_by_need, load, caps)
        if handed is not None:
            old, new = handed
            visits[visits.index(old)] = new
            continue
        drop = max((visit for visit in visits if heavy in visit[2]),
                   key=lambda visit: (max(visit[3]), visit[1]))
        visits.remove(drop)
    return visits, load


def _handed_on(options: NeedOptions, team: tuple[int, ...], heavy: int, visits: list,
               rows_by_need: dict, load: list[int], caps: list[int]):
    """A one-volunteer visit of `heavy`'s handed on to another member free that day with
    the hours for it, the one travelling least (ties: the lowest id): (the visit, the visit
    handed on), or None if none can take one."""
    best = None
    for visit in visits:
        km, n, attendees, _, day = visit
        if attendees != (heavy,):
            continue
        for i, v in enumerate(team):
            row = rows_by_need[n].get(v)
            if v == heavy or row is None or not options.day_mask[row] >> day & 1:
                continue
            ms = int(options.load_ms[row])
            if load[i] + ms > caps[i]:
                continue
            new = (float(options.km[row]), n, (v,), (ms,), day)
            key = (new[0] - km, v)
            if best is None or key < best[0]:
                best = (key, visit, new)
    return None if best is None else best[1:]


def _score_alone(problem: Problem, options: NeedOptions, r: int, v: int,
                 incumbents: set[int], rows_by_need: dict, misses: dict) -> Plan:
    """`_score_team` of a team of one, worked out directly (most plans of a city are such):
    each need's visits are as many as v has free days, up to those wanted, all at v's
    distance; while they take more than v's hours, a visit of the need with the heaviest
    load goes (which of two needs with the same load makes no difference to the plan).
    The cost adds up term by term as there, so the two agree to the last bit."""
    weights = problem.scenario.config.weights
    priority = int(problem.resident_priority[r])
    needs = list(problem.needs_of(r))
    wanted = [int(problem.need_visits[n]) for n in needs]
    counts, loads, km = [], [], 0.0
    for n, most in zip(needs, wanted, strict=True):
        row = rows_by_need[n].get(v)
        if row is None or int(problem.need_volunteers_per_visit[n]) > 1:
            counts.append(0)
            loads.append(0)
            continue
        counts.append(min(most, int(days_in_mask(options.day_mask[row]))))
        loads.append(int(options.load_ms[row]))
        km = float(options.km[row])  # the pair's distance: the same for every need
    total = sum(count * load for count, load in zip(counts, loads, strict=True))
    cap = int(problem.volunteer_max_ms[v])
    for index in sorted(range(len(needs)), key=loads.__getitem__, reverse=True):
        while total > cap and counts[index]:
            counts[index] -= 1
            total -= loads[index]
    made = sum(counts)
    cost = weights.distance_km * sum([km] * made)
    cost += weights.unmet_visit * priority * (sum(wanted) - made)
    cost += weights.unmet_member * priority * (int(problem.resident_team_size[r]) - 1)
    cost += weights.preference * misses[v]
    cost += weights.churn * (len(incumbents) - len(incumbents & {v}))
    return Plan(r, (v,), cost, (total,), made)


def _best_attendees_by_day(problem: Problem, options: NeedOptions, n: int,
                           rows: dict[int, int]) -> list[tuple[float, tuple[int, ...], int]]:
    """For each day some of the members (`rows`: member -> option row of need n) can visit
    together, the attendees travelling least (ties: the lowest ids), their distance and
    the day."""
    together = int(problem.need_volunteers_per_visit[n])
    members = sorted(rows)
    if len(members) < together:
        return []
    masks = [int(options.day_mask[rows[v]]) for v in members]
    kms = [float(options.km[rows[v]]) for v in members]
    wanted = problem.service_skills[problem.need_service[n]]
    found = []
    for day in range(7):
        free = [i for i, mask in enumerate(masks) if mask >> day & 1]
        if len(free) < together:
            continue
        if together == 1:
            # One attendee: options already hold the service's skills.
            i = min(free, key=kms.__getitem__)
            found.append((kms[i], (members[i],), day))
            continue
        best = None
        for group in itertools.combinations(free, together):
            covered = np.zeros_like(wanted)
            for i in group:
                covered |= problem.volunteer_skills[members[i]]
            if (wanted & ~covered).any():
                continue
            # Free the same day is not enough: they must be free at one time.
            if not common_starts([options.ranges[options.range_id[rows[members[i]], day]]
                                  for i in group]):
                continue
            km = sum(kms[i] for i in group)
            if best is None or km < best[0]:
                best = (km, tuple(members[i] for i in group), day)
        if best is not None:
            found.append(best)
    return found
