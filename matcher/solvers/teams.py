"""Choosing each resident's team: pick one candidate team (plan, see `plans`) per resident.

A CP-SAT model picks at most one plan per resident so that no volunteer exceeds their hours
or number of residents: a set-packing model whose linear relaxation is tight. Visit times
are set afterwards, exactly, with the teams known.
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from matcher.objective import fair_share_minutes, unserved_cost
from matcher.problem import MS_PER_HOUR, MS_PER_MINUTE, Problem
from matcher.solvers.cpsat import (
    FAIRNESS_UNIT_MS,
    SCALE,
    SolverParams,
    ended_by_clock,
    run_cp_sat,
)
from matcher.solvers.plans import Plan
from matcher.solvers.pool import LATE_SECONDS, Workers, shared_problem
from matcher.solvers.priced_start import priced_choice

TIME_LIMIT = "time limit"  # status of a search whose own time ran out before its step budget


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
