"""Choosing each resident's team: enumerate good teams per resident, pick one per resident.

One-to-one care means one volunteer does every visit of a resident, so who is on a team
matters more than anything else: a volunteer who is free for the weekday companionship
visit but lacks the haircut skill, or is away on Saturdays, serves only part of the week.
Each candidate team (a *plan*) is scored with the visits it can staff on its own (days on
which enough members are free and together hold the service's skills), the travel, wishes,
continuity and cohesion it brings, and the hours it takes from each member. A CP-SAT model
then picks at most one plan per resident so that no volunteer exceeds their hours or number
of residents: a set-packing model whose linear relaxation is tight. Visit times are set
afterwards, exactly, with the teams known.
"""

from __future__ import annotations

import itertools
import math
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from matcher.objective import fair_share_minutes, preference_misses, unserved_cost
from matcher.options import NeedOptions, common_starts, days_in_mask
from matcher.problem import MS_PER_HOUR, MS_PER_MINUTE, Problem
from matcher.solvers.cpsat import (
    FAIRNESS_UNIT_MS,
    SCALE,
    SolverParams,
    ended_by_clock,
    run_cp_sat,
)
from matcher.solvers.pool import LATE_SECONDS, Workers, shared_problem
from matcher.solvers.priced_start import priced_choice

TIME_LIMIT = "time limit"  # status of a search whose own time ran out before its step budget
# How many of a resident's nearest useful volunteers are tried, by team size. Fewer than
# one might think: the alone ranking puts the few that matter first, and a smaller set of
# plans lets the team choice reach more residents in its time (on the district preset 12
# gave lower objectives in less time than 25; on the city, 71 % coverage instead of 67 %).
TEAM_CANDIDATES = {1: 12, 2: 6, 3: 5}
LARGE_TEAM_CANDIDATES = 6
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


def resident_plans(problem: Problem, options: NeedOptions, r: int) -> list[Plan]:
    """Good teams for one resident, each scored on its own.

    Every useful volunteer is first ranked by how well they could serve the resident alone;
    teams are then formed from the best of them (and any incumbent, see `candidate_pool`).
    Ranking by that rather than by distance matters: the one volunteer nearby who can also
    cut hair may live farther than twenty who cannot. A team resident's best teams are
    then completed where they leave a need short (see `_completed`).
    """
    size = int(problem.resident_team_size[r])
    incumbents = problem.incumbents_of(r)
    ranked = _ranked_alone(problem, options, r)
    pool = _pool(problem, options, r, ranked)
    # Looked up once per resident rather than once per team.
    rows_by_need = {n: options.row_of_volunteer(n, pool) for n in problem.needs_of(r)}
    misses = _misses(problem, r, pool)
    plans = []
    for k in range(1, min(size, len(pool)) + 1):
        for team in itertools.combinations(sorted(pool), k):
            plans.append(_score(problem, options, r, team, incumbents, rows_by_need, misses))
    if size > 1:
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


def _pool(problem: Problem, options: NeedOptions, r: int, ranked: list[int]) -> list[int]:
    size = int(problem.resident_team_size[r])
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


@dataclass(frozen=True)
class TeamChoice:
    teams: dict[int, tuple[int, ...]]  # resident -> chosen team (absent: no team)
    status: str
    blocks: int  # block models solved


REPORT_SECONDS = 5.0  # between progress lines of the team choice
BLOCK = 48  # residents whose teams are re-chosen together in one model
BLOCK_WORK = 0.08  # CP-SAT deterministic work for one block model
MAX_PASSES = 3


def choose_teams(problem: Problem, plans: list[Plan], residents: list[int], params: SolverParams,
                 max_blocks: int, hint: dict[int, tuple[int, ...]] | None = None,
                 stop=None, workers: Workers | None = None,
                 block_work: float = BLOCK_WORK,
                 say: Callable[[str], None] = lambda message: None) -> TeamChoice:
    """At most one plan per resident, volunteers' hours and resident counts respected.

    Starts from the best plan each resident can still get, by priority (ranked at prices
    on volunteers' hours and places where that gives the lower total), then re-chooses
    the teams of blocks of neighbouring residents exactly, the rest held fixed, pass after
    pass while the budget of `max_blocks` block models lasts. Blocks are small enough for
    CP-SAT to prove each block optimal, which one model of a whole district is not; each
    gets `block_work` of CP-SAT's deterministic work. With several workers, a block is
    solved as soon as every block before it that shares a volunteer with it is done, so
    each block's model is what it would be with the blocks solved one after another, and
    the teams are the same whatever the number of workers or their speed. `say` is told
    every few seconds how many blocks are done.
    """
    workers = workers or Workers()
    by_resident: dict[int, list[Plan]] = {}
    for plan in plans:
        by_resident.setdefault(plan.resident, []).append(plan)
    chosen, claims = _start(problem, by_resident, residents, hint or {})
    order = _spatial_order(problem, residents)
    state = _BlockState(chosen, claims, time.monotonic() + params.time_limit_s,
                        _Reports(say, max_blocks))
    passes = 0
    while (state.solved < max_blocks and not (stop is not None and stop.reason)
           and not state.out_of_time and passes < MAX_PASSES):
        offset = (BLOCK // 2) * (passes % 2)
        chunks = [order[max(0, i - offset):i - offset + BLOCK]
                  for i in range(0, len(order) + offset, BLOCK)]
        blocks = _interleaved([chunk for chunk in chunks if chunk], workers.count)
        if passes == 0 and max_blocks < len(blocks):
            # The budget does not reach every block even once (a city's): the blocks whose
            # residents lost most to their neighbours in the teams held now go first.
            blocks = _most_to_gain_first(problem, blocks, by_resident, chosen)
        state.changed = False
        _solve_blocks(problem, blocks[:max_blocks - state.solved], by_resident, state,
                      _BlockSettings(block_work, params.seed), workers, stop)
        passes += 1
        if not state.changed:
            break
    teams = {r: plan.team for r, plan in chosen.items()}
    status = (TIME_LIMIT if state.out_of_time
              else "blocks optimal" if state.all_optimal else "feasible")
    return TeamChoice(teams, status, state.solved)


@dataclass
class _BlockState:
    """The team choice as blocks are solved: what is chosen, and how the solving went."""

    chosen: dict[int, Plan]
    claims: _Claims
    deadline: float  # the part's, not the whole solve's: no stop for the other parts
    reports: _Reports
    solved: int = 0
    changed: bool = False
    all_optimal: bool = True
    out_of_time: bool = False

    def apply(self, block: list[int], task: _BlockTask, result: _BlockPick) -> None:
        self.solved += 1
        self.reports.blocks_done(self.solved)
        self.out_of_time |= result.clock_ended
        self.all_optimal &= result.optimal
        if result.picked is None:
            return
        picks = {task.plans[i].resident: task.plans[i] for i in result.picked}
        for r in block:
            if self.chosen.get(r) != picks.get(r):
                self.changed = True
            self.claims.replace(self.chosen.get(r), picks.get(r))
            if r in picks:
                self.chosen[r] = picks[r]
            else:
                self.chosen.pop(r, None)


class _Reports:
    """A progress line every `REPORT_SECONDS` while blocks are solved, so that a city's
    team choice (20-30 s) does not look stuck."""

    def __init__(self, say: Callable[[str], None], budget: int):
        self.say, self.budget = say, budget
        self.last = time.monotonic()

    def blocks_done(self, solved: int) -> None:
        if time.monotonic() - self.last >= REPORT_SECONDS:
            self.last = time.monotonic()
            self.say(f"  team choice: {solved:,} of {self.budget:,} blocks re-chosen")


@dataclass(frozen=True)
class _BlockSettings:
    work: float  # CP-SAT deterministic work of one block model
    seed: int


def _solve_blocks(problem: Problem, blocks: list[list[int]], by_resident: dict[int, list[Plan]],
                  state: _BlockState, settings: _BlockSettings, workers: Workers, stop) -> None:
    """Solve `blocks` as if one after another in order, each from the teams the blocks
    before it chose, until the part's time runs out or the solve is stopped. On worker
    processes, a block starts once every earlier block sharing a volunteer with it is done:
    the others cannot change what it may use (its task reads only its plans' volunteers)."""
    def task_of(block: list[int]) -> _BlockTask:
        seconds = max(0.1, state.deadline - time.monotonic())
        return _block_task(block, by_resident, state.chosen, state.claims, seconds,
                           settings.work, settings.seed)

    def may_start() -> bool:
        if stop is not None and stop.reason:
            return False
        state.out_of_time |= time.monotonic() >= state.deadline
        return not state.out_of_time

    if not workers.forked:
        for block in blocks:
            if not may_start():
                return
            task = task_of(block)
            state.apply(block, task, _solve_block(problem, task, stop))
        return
    waits_for = _earlier_sharing_a_volunteer(blocks, by_resident)
    done: set[int] = set()
    waiting = list(range(len(blocks)))
    running: dict[int, _BlockTask] = {}
    finished: queue.SimpleQueue = queue.SimpleQueue()
    while waiting or running:
        if waiting and not may_start():
            waiting = []  # those running finish; their results are kept
        # One more than the workers, so a worker that finishes has its next block at once.
        for i in [i for i in waiting if waits_for[i] <= done][:workers.count + 1 - len(running)]:
            running[i] = task_of(blocks[i])
            waiting.remove(i)
            workers.start(_solve_block_on_worker, running[i],
                          lambda result, i=i: finished.put((i, result)))
        if not running:
            continue
        try:
            i, result = finished.get(timeout=0.2)
        except queue.Empty:
            if time.monotonic() > state.deadline + LATE_SECONDS:
                # A block's model ends by the deadline: one not back by now is lost (a
                # worker killed, say), and the teams chosen so far are kept.
                state.out_of_time = True
                return
            continue
        if isinstance(result, BaseException):
            raise result
        state.apply(blocks[i], running.pop(i), result)
        done.add(i)


def _earlier_sharing_a_volunteer(blocks: list[list[int]],
                                 by_resident: dict[int, list[Plan]]) -> list[set[int]]:
    """For each block, the last block before it with a plan using each of its plans'
    volunteers: once those are done, so is every earlier block sharing a volunteer with it
    (each of those shares that volunteer with the last one, which waited for it)."""
    last: dict[int, int] = {}
    found = []
    for i, block in enumerate(blocks):
        volunteers = {v for r in block for plan in by_resident.get(r, []) for v in plan.team}
        found.append({last[v] for v in volunteers if v in last})
        last.update(dict.fromkeys(volunteers, i))
    return found


class _Claims:
    """Hours and places the chosen plans take from each volunteer, kept up to date."""

    def __init__(self) -> None:
        self.load: dict[int, int] = {}
        self.count: dict[int, int] = {}

    def replace(self, old: Plan | None, new: Plan | None) -> None:
        for plan, sign in ((old, -1), (new, 1)):
            if plan is None:
                continue
            for v, ms in zip(plan.team, plan.load_ms, strict=True):
                self.load[v] = self.load.get(v, 0) + sign * ms
                self.count[v] = self.count.get(v, 0) + sign

    def outside(self, plans: list[Plan], chosen: tuple[bool, ...]) -> tuple[dict, dict]:
        """Hours and places of the plans' volunteers taken by residents other than the
        plans' own (whose chosen plans are flagged in `chosen`)."""
        volunteers = {v for plan in plans for v in plan.team}
        load = {v: self.load.get(v, 0) for v in volunteers}
        count = {v: self.count.get(v, 0) for v in volunteers}
        for plan, is_chosen in zip(plans, chosen, strict=True):
            if is_chosen:
                for v, ms in zip(plan.team, plan.load_ms, strict=True):
                    load[v] -= ms
                    count[v] -= 1
        return load, count


@dataclass(frozen=True)
class _BlockTask:
    """What a worker needs to re-choose one block's teams: small enough to send."""

    plans: list[Plan]  # every plan of the block's residents
    load: dict[int, int]  # ms of each plan volunteer's hours taken outside the block
    count: dict[int, int]  # ... and places
    chosen: tuple[bool, ...]  # the plans chosen now, the search's start
    seconds: float
    work: float
    seed: int


def _block_task(block: list[int], by_resident: dict[int, list[Plan]], chosen: dict[int, Plan],
                claims: _Claims, seconds: float, work: float, seed: int) -> _BlockTask:
    plans = [plan for r in block for plan in by_resident.get(r, [])]
    flags = tuple(chosen.get(plan.resident) is plan for plan in plans)
    load, count = claims.outside(plans, flags)
    return _BlockTask(plans, load, count, flags, seconds, work, seed)


def _interleaved(chunks: list[list[int]], width: int) -> list[list[int]]:
    """Blocks in map order, or, for `width` workers, the i-th block of each of `width`
    stretches of the map in turn: blocks far apart share no volunteer, so the workers can
    solve them at once."""
    stretch = math.ceil(len(chunks) / max(width, 1))
    return [chunks[i + k * stretch] for i in range(stretch) for k in range(width)
            if i + k * stretch < len(chunks)]


def _most_to_gain_first(problem: Problem, blocks: list[list[int]],
                        by_resident: dict[int, list[Plan]],
                        chosen: dict[int, Plan]) -> list[list[int]]:
    """Blocks, those whose residents are furthest from their own best plans first (in
    the order given among equals). A resident at their best plan has nothing to gain
    from a block; one who got a worse team, or none, because a neighbour took the
    volunteers, has."""
    def shortfall(r: int) -> float:
        empty = unserved_cost(problem, [r])
        best = min([plan.cost for plan in by_resident.get(r, [])] + [empty])
        held = chosen[r].cost if r in chosen else empty
        return held - best

    gains = [sum(shortfall(r) for r in block) for block in blocks]
    order = sorted(range(len(blocks)), key=lambda i: (-gains[i], i))
    return [blocks[i] for i in order]


def _start(problem: Problem, by_resident: dict[int, list[Plan]], residents: list[int],
           hint: dict[int, tuple[int, ...]]) -> tuple[dict[int, Plan], _Claims]:
    """The team choice's start: by priority, each resident's best plan still open, first
    as it stands (hinted teams first) and then at priced volunteers; the lower total wins."""
    chosen, claims = _greedy_plans(problem, by_resident, residents, hint)
    empty = {r: unserved_cost(problem, [r]) for r in residents}
    order = _by_priority(problem, residents)
    known = sum(plan.cost - empty[r] for r, plan in chosen.items())
    priced = priced_choice(problem, [plan for r in order for plan in by_resident.get(r, [])],
                           empty, order, known)
    if sum(plan.cost - empty[r] for r, plan in priced.items()) < known:
        chosen, claims = priced, _Claims()
        for plan in priced.values():
            claims.replace(None, plan)
    return chosen, claims


def _by_priority(problem: Problem, residents: list[int]) -> list[int]:
    return sorted(residents, key=lambda r: (-int(problem.resident_priority[r]), r))


def _greedy_plans(problem: Problem, by_resident: dict[int, list[Plan]], residents: list[int],
                  hint: dict[int, tuple[int, ...]]) -> tuple[dict[int, Plan], _Claims]:
    """Each resident's best plan still open, by priority, and what the plans take."""
    claims = _Claims()
    chosen: dict[int, Plan] = {}
    for r in _by_priority(problem, residents):
        options = sorted(by_resident.get(r, []),
                         key=lambda plan: (plan.team != hint.get(r), plan.cost, plan.team))
        for plan in options:
            if all(claims.load.get(v, 0) + ms
                   <= int(problem.volunteer_max_ms[v])
                   and claims.count.get(v, 0) < int(problem.volunteer_max_residents[v])
                   for v, ms in zip(plan.team, plan.load_ms, strict=True)):
                if plan.cost >= unserved_cost(problem, [r]):
                    break
                chosen[r] = plan
                claims.replace(None, plan)
                break
    return chosen, claims


def _spatial_order(problem: Problem, residents: list[int]) -> list[int]:
    """Residents in an order where neighbours in the list are neighbours on the map:
    by station first, then along a zig-zag of latitude bands."""
    stations = problem.scenario.residents
    lat, lon = problem.resident_lat, problem.resident_lon
    band = 0.01  # about 1 km
    def key(r: int):
        row = math.floor(lat[r] / band)
        return (stations[r].station or "", row, lon[r] if row % 2 == 0 else -lon[r], r)
    return sorted(residents, key=key)


@dataclass(frozen=True)
class _BlockPick:
    picked: tuple[int, ...] | None  # indices into the block's plans; None if none was found
    optimal: bool
    clock_ended: bool  # the wall clock ended the model before its work limit


def _solve_block_on_worker(task: _BlockTask) -> _BlockPick:
    return _solve_block(shared_problem()[0], task)


def _solve_block(problem: Problem, task: _BlockTask, stop=None) -> _BlockPick:
    """The best plans of one block given what the rest takes."""
    plans = task.plans
    model = cp_model.CpModel()
    weights = problem.scenario.config.weights
    picks = [model.NewBoolVar(f"p{i}") for i in range(len(plans))]
    by_plan_resident: dict[int, list[int]] = {}
    by_volunteer: dict[int, list[tuple[int, int]]] = {}
    for i, plan in enumerate(plans):
        by_plan_resident.setdefault(plan.resident, []).append(i)
        for v, ms in zip(plan.team, plan.load_ms, strict=True):
            by_volunteer.setdefault(v, []).append((i, ms))
    terms = []
    for r, indices in by_plan_resident.items():
        base = _floor(unserved_cost(problem, [r]))
        model.AddAtMostOne(picks[i] for i in indices)
        terms.extend((_floor(plans[i].cost) - base) * picks[i] for i in indices)
    share_ms = fair_share_minutes(problem) * MS_PER_MINUTE
    fairness_cost = _floor(weights.fairness * FAIRNESS_UNIT_MS / MS_PER_HOUR)
    for v, entries in sorted(by_volunteer.items()):
        cap = int(problem.volunteer_max_ms[v]) - task.load[v]
        room = int(problem.volunteer_max_residents[v]) - task.count[v]
        load = sum(ms * picks[i] for i, ms in entries)
        model.Add(load <= cap)
        model.Add(sum(picks[i] for i, _ in entries) <= room)
        outside = task.load[v] - int(share_ms[v])
        if fairness_cost and any(ms + outside > 0 for _, ms in entries):
            excess = model.NewIntVar(0, max(0, cap + outside) // FAIRNESS_UNIT_MS + 1, f"e{v}")
            model.Add(FAIRNESS_UNIT_MS * excess >= load + outside)
            terms.append(fairness_cost * excess)
    model.Minimize(sum(terms))
    for pick, is_chosen in zip(picks, task.chosen, strict=True):
        model.AddHint(pick, is_chosen)
    params = SolverParams(time_limit_s=task.seconds, seed=task.seed)
    solver, code = run_cp_sat(model, params, task.seconds, task.work, stop)
    clock_ended = ended_by_clock(solver, code, task.work, stop)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _BlockPick(None, False, clock_ended)
    return _BlockPick(tuple(i for i in range(len(plans)) if solver.BooleanValue(picks[i])),
                      code == cp_model.OPTIMAL, clock_ended)


def _floor(value: float) -> int:
    return math.floor(value * SCALE + 1e-9)
