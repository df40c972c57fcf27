"""The solve pipeline: candidates, independent parts, exact CP-SAT or greedy + LNS per part.

1. Candidate pairs are found with a spatial index and vectorised rules.
2. The candidate graph splits into independent parts (connected components); residents with
   no candidate at all are unmet at once.
3. A part small enough is solved exactly by CP-SAT (`SMALL_PART` residents); its bound is valid.
4. A larger part has its teams chosen (candidate teams per resident, taken by priority at
   priced volunteers, then exact blocks of neighbouring residents), its visits set exactly,
   and is improved by large neighbourhood search: a seed resident (unmet demand first) and
   its nearest neighbours are freed and re-solved exactly by CP-SAT, with the rest of the
   roster fixed, and the change is kept when the whole objective does not get worse.
5. With several workers, independent parts are solved side by side on forked processes; a
   single part of `PARALLEL_RESIDENTS` or more finds its candidate teams and alone bound,
   solves its blocks and sets its teams' visits on them instead, and works out its priced
   bound on a forked process while its repairs run here. Parts that together reach
   `PARALLEL_RESIDENTS` are joined into one such part (see `_joined_for_workers`).

Determinism: every CP-SAT call uses one search worker, a fixed seed and a deterministic work
limit; neighbourhoods are drawn from a seeded generator; each part's step budgets are its
share of the configured limit by size, less an estimate (from counts) of the work not
counted in steps; and results from workers are combined in a fixed order. So the same
inputs, config, seed and number of workers give the same roster. The wall-clock limit is
only a safety net: a run stopped by it says so in its status.
"""

from __future__ import annotations

import functools
import itertools
import math
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from matcher.background import Background
from matcher.candidates import Candidates, candidate_pairs, unit_vectors
from matcher.objective import (
    evaluate,
    objective_change,
    preference_misses,
    unserved_cost,
    volunteer_load_minutes,
)
from matcher.options import NeedOptions, visit_options
from matcher.problem import Problem
from matcher.solution import Solution
from matcher.solvers.bound import (
    Relaxation,
    contested_lower_bound,
    contested_relaxation,
    instant_lower_bound,
    lower_bound,
    resident_lower_bound,
)
from matcher.solvers.cpsat import WORK_PER_SECOND, SolverParams, solve_part
from matcher.solvers.greedy import greedy_roster
from matcher.solvers.lagrange import lagrangian_bound
from matcher.solvers.pool import (
    LATE_SECONDS,
    Pending,
    Workers,
    can_fork,
    shared_problem,
    workers_for,
)
from matcher.solvers.roster_index import RosterIndex
from matcher.solvers.teams import (
    BLOCK,
    BLOCK_WORK,
    TIME_LIMIT,
    Plan,
    choose_teams,
    resident_plans,
    team_plan,
)

SMALL_PART = 8  # residents: solved as one exact model
CONTESTED_BOUND_PAIRS = 50_000  # candidate pairs up to which the linear bound is built
INTEGER_BOUND_PAIRS = 10_000  # ... and up to which it is solved with whole pairs
INTEGER_BOUND_SECONDS = 5.0
# A part's integer relaxation is solved within this much of its time: a larger share on a
# forked process beside the search than before it in one process.
RELAXATION_SECONDS = 45.0
RELAXATION_SHARE_BESIDE, RELAXATION_SHARE = 0.75, 0.7
RELAXATION_FLOOR = 0.25  # of the part's step budget, kept for the search whatever the above
WAIT_REPORT_SECONDS = 5.0  # between progress lines while waiting for another process
SEARCH_REPORT_SECONDS = 2.0  # ... and while the search or its repairs run
BOUND_SHARE = 0.1  # of a part's time, kept for its contested bound
# The alone bound's cost, kept from a large part's time; most of it is the teams' (city
# preset, 2.04 M pairs, one core: 3.4-4.2 s for the one-to-one residents and 7.3-9.2 s for
# the teams over several runs, 5.2-6.6e-6 s per pair). Counting fairness made it about a
# fifth dearer (on a faster machine, 3.7 s became 4.5 s), and the visit caps another
# second for the one-to-one residents (1.4-1.6 s became 2.4-2.8 s, faster machine); the
# margins of the other estimates, which overstate their work, absorb that.
ALONE_BOUND_SECONDS_PER_PAIR = 5.5e-6
PRICED_STEPS = 100  # subgradient steps of the priced bound of a part above the contested size
# Where the time left beside a city's repairs holds fewer steps, this share of it is given
# to as many as fit, if at least the least (30,000 residents at 90 s, with the machine
# loaded: the steps did not fit, and the alone bound left a gap of 18.3 % against 14.7 %).
SHORT_BOUND_SHARE, LEAST_PRICED_STEPS = 0.8, 10
PRICED_SECONDS_PER_PAIR_STEP = 4e-8  # district preset: 0.55 s for 100 steps (222,277 pairs)
# Pricing the teams once at the end, per candidate pair of a resident with a team (one
# core: city preset 5.0-6.2 s for 498,382 pairs, district 0.5 s for 54,177; the rest is
# margin for a slower machine).
TEAM_PRICING_SECONDS_PER_PAIR = 1.4e-5
NEIGHBOURHOOD = 12  # residents freed in one LNS step
# Volunteers each freed resident may choose from in one step, and the step's CP-SAT
# deterministic work. A resident left short because their volunteer went to a neighbour
# often needs a volunteer further down their list and the work to find the exchange: on
# generated districts (seeds 1-3, and the bundled one), 12 and 0.2 at 0.6 times the steps
# gave rosters 0.4-1.3 % better in three of four, 0.14 % worse in one, in the same time,
# against 8 and 0.1.
NEARBY_VOLUNTEERS = 12
STEP_WORK = 0.2
# A repair re-solves one resident over up to this many of the nearest volunteers who could
# serve them (all, nearly always), with this much CP-SAT work. Repairs take this share of
# a part's counted steps, out of the search's, at a nominal cost each (about 0.03 s on a
# district or a city, now that a step sees only the roster around it). Generated
# districts, seeds 1-3: 692,852 / 655,279 / 714,310 against 705,823 / 671,102 / 717,304
# for the search alone, in about the same time (0.25 of the steps: within 10 of those, up
# to 3.6 s slower). On the city, where the search's share goes to blocks, repairs in
# place of blocks came out even (seed 1: 13,516,410 with 0.05 of the steps, 13,529,265
# with 0.25, against 13,518,476), so only its two search steps' worth; and, with 2 workers,
# as many more as fit in the estimated time of its priced bound's steps, worked out
# meanwhile on another process.
REPAIR_VOLUNTEERS = 40
REPAIR_WORK = 0.2
REPAIR_SHARE, SECONDS_PER_REPAIR = 0.15, 0.08
# Shares of the counted steps' seconds, and the nominal cost of one step of each kind.
BLOCK_SHARE, SECONDS_PER_BLOCK = 0.45, 0.5  # team choice by blocks of residents
# Where the blocks' budget does not reach every block once (a city's), each block gets this
# share of its work and of its nominal cost, so twice as many blocks are re-chosen. City
# preset, seed 1: 140 blocks at half the work gave 14,384,082 against 14,449,453 for 70
# at the whole, 2 s later (the other half-work block costs less than its share). Where a
# pass does reach every block (a district), the whole work does better (bundled district
# 742,681 against 745,687 at half).
BROAD_BLOCK_SHARE = 0.5
SEARCH_SHARE, SECONDS_PER_ROUND = 0.25, 1.3  # neighbourhood search
SCHEDULE_SHARE = 0.2  # setting the visits of fixed teams, as CP-SAT work
SCHEDULE_BATCH = 64  # groups of residents whose visits are set between two looks at the clock
# Candidate teams must be found within this share of the limit (a safety net: a city's
# take about a third of it in one process, a sixth on two workers).
PLAN_SHARE = 0.55
# Work not counted in steps (candidate pairs and visit options, the greedy passes, the
# candidate teams and a large part's alone bound) is estimated from the counts, never
# measured, so the roster does not depend on the machine. The steps fill what it leaves of
# the budget, less a margin for the machine being slower than these figures.
PREPARE_SECONDS_PER_PAIR = 6e-6  # candidate pairs and visit options
GREEDY_SECONDS_PER_RESIDENT = 0.55e-3  # the first greedy pass
# Candidate teams, on one worker: 0.8 ms are measured on the city; the rest is margin, for
# with 1.0e-3 the one-worker city's larger block budget ran into the clock.
PLAN_SECONDS_PER_RESIDENT = 1.7e-3
FINISH_SECONDS_PER_RESIDENT = 0.15e-3  # the greedy pass of the chosen teams, and filling them
START_SECONDS_PER_RESIDENT = 0.15e-3  # the team choice's priced start (city: 2.0 s)
STEPS_MARGIN = 0.03  # of the budget
UNCOUNTED_MARGIN = 0.08  # of the uncounted work's estimate, which is the less certain
# Blocks on workers: each starts once the blocks before it that share a volunteer with it
# are done, so the workers stay busy, and w of them take this times 1/w of one block each.
# City preset, seed 1: 140 blocks took 12.5 s on 2 workers (17.7 s of solving in all, with
# the alone bound on them at first); solved in pairs, each pair waiting for its slower
# block, they took 14.7 s, and a pair was costed 1.2 blocks.
SIDE_BY_SIDE_COST = 1.0
STALL_ROUNDS = 150  # LNS steps without improvement before a part is left as it is
# A part this large on its own has its candidate teams found and its blocks chosen on the
# workers. Blocks of a smaller part (a district of 1,000) nearly all share volunteers, so
# they could not run side by side: there the workers changed the roster (objective within
# 0.7 % either way) without making it better.
PARALLEL_RESIDENTS = 2_000
# A part solved beside others has its steps sized by its share of the limit, and its own
# clock (the safety net, within the whole solve's) a little longer: a small part's fixed
# costs (building its first models, handing it over) are not in the figures above and grow
# with the machine's load, and a clock of the share alone cut 91 residents of a 5,000-
# resident city in one run of several, changing its roster.
PART_CLOCK_FACTOR, PART_CLOCK_SLACK = 1.5, 2.0
PLAN_CHUNK = 100  # residents whose candidate teams one worker finds in one go


@dataclass(frozen=True)
class Outcome:
    solution: Solution
    status: str  # "optimal", "feasible" or "time limit" / "interrupted" when stopped early
    bound: float | None  # proven lower bound on the objective, or None if none is known
    seconds: float
    candidates: Candidates
    options: NeedOptions


class StopFlag:
    """Set from a signal handler to stop the search and keep the best roster so far."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.active_solver = None  # the CP-SAT solver running now, to be stopped at once

    def stop(self, reason: str = "interrupted") -> None:
        self.reason = reason
        solver = self.active_solver
        if solver is not None:
            solver.StopSearch()


Progress = Callable[[str], None]


def solve_problem(problem: Problem, params: SolverParams, *, hint: Solution | None = None,
                  progress: Progress | None = None, stop: StopFlag | None = None) -> Outcome:
    started = time.monotonic()
    deadline = started + params.time_limit_s
    say = progress or (lambda message: None)
    stop = stop or StopFlag()
    candidates = candidate_pairs(problem)
    options = visit_options(problem, candidates, range(problem.n_residents))
    parts = independent_parts(problem, candidates)
    say(f"{problem.n_residents} residents, {problem.n_volunteers} volunteers, "
        f"{len(candidates)} candidate pairs, {len(parts)} independent parts")
    if params.workers > 1 and can_fork():
        joined = _joined_for_workers(parts)
        if len(joined) < len(parts):
            say(f"{len(parts) - len(joined) + 1} parts of more than {SMALL_PART} residents "
                f"solved as one ({len(joined[0])} residents), on {params.workers} workers")
        parts = joined
    hint = hint or _hint_from_current(problem)
    # Each part's step budgets come from its share of the configured limit, by size alone,
    # so the roster does not depend on how long anything took; the clock is the safety net.
    total = sum(len(part) for part in parts) or 1
    results: dict[int, tuple[Solution, str, float]] = {}
    for index, part in enumerate(parts):
        if not any(len(options.rows_of(n)) for r in part for n in problem.needs_of(r)) and \
                not any(options.pairs_of_resident.get(r) for r in part):
            # Nobody can serve these residents: nothing to decide.
            results[index] = (Solution(), "optimal", lower_bound(problem, options, part))
    todo = [index for index in range(len(parts)) if index not in results]
    side_by_side = (params.workers > 1 and can_fork()
                    and sum(len(parts[index]) > SMALL_PART for index in todo) >= 2)
    steps = params.steps_s
    if side_by_side:
        # Parts side by side each take up to `workers` times their share, so that together
        # they fill every worker's limit; the candidates and options made before any part
        # started (estimated from their count, as every budget is) come off each of those.
        # Each part's budget then counts its own share of them again, as a part on its own
        # does, which is margin. (15,000 residents beside 300,000 volunteers, whose nearest
        # make 33 parts, took 16 s for them: the parts were cut by the clock.)
        steps = max(steps - PREPARE_SECONDS_PER_PAIR * len(candidates), 0.5 * steps)
    shares = [steps * len(part) / total for part in parts]
    if side_by_side:
        results |= _parts_on_workers(problem, options, parts, todo, shares, params, hint,
                                     deadline, say, stop)
    else:
        work = sum(len(parts[index]) for index in todo) or 1
        # The one part of a station: its integer relaxation may take most of the limit.
        # Beside other parts it would take theirs, so there it is only a bound, after.
        alone = sum(len(parts[index]) > SMALL_PART for index in todo) == 1
        for index in todo:
            part = parts[index]
            if not stop.reason and deadline - time.monotonic() <= 0:
                stop.stop(TIME_LIMIT)
            if stop.reason:
                break
            remaining = deadline - time.monotonic()
            clock = max(remaining * len(part) / work, min(remaining, 1.0))
            work -= len(part)
            part_params = replace(params, time_limit_s=clock, budget_s=shares[index])
            results[index] = _solve_one(problem, options, part, part_params, hint, say, stop,
                                        relax_first=alone)
            if len(parts) > 1 and len(part) > 1:
                say(f"part {index + 1}/{len(parts)}: {len(part)} residents, "
                    f"{results[index][1]}")
    solution = Solution()
    statuses: list[str] = []
    # Every part adds a valid bound: its relaxed bound if it is never solved (every roster
    # pays at least that), else the best bound its solve proved.
    bound_total = 0.0
    for index, part in enumerate(parts):
        if index in results:
            part_solution, status, bound = results[index]
            statuses.append(status)
        else:
            # Out of time or interrupted: the parts not reached still get the quick greedy
            # roster rather than none at all, and the instant bound (the alone bounds of a
            # city take 8-14 s, which a stopped run should not make anyone wait for).
            part_solution = greedy_roster(problem, options, part)
            bound = instant_lower_bound(problem, options, part)
        solution = solution.merged(part_solution)
        bound_total += bound
    evaluation = evaluate(problem, solution)
    if stop.reason:
        status = stop.reason
    elif TIME_LIMIT in statuses:
        status = TIME_LIMIT
    elif statuses and all(s == "optimal" for s in statuses):
        status = "optimal"
    else:
        status = "feasible"
    bound = min(bound_total, evaluation.objective)
    if status == "optimal" and abs(bound - evaluation.objective) < 1e-6:
        bound = evaluation.objective
    return Outcome(solution, status, bound, time.monotonic() - started, candidates, options)


def _solve_one(problem: Problem, options: NeedOptions, part: list[int], params: SolverParams,
               hint: Solution, say: Progress, stop: StopFlag,
               relax_first: bool = False) -> tuple[Solution, str, float]:
    """One part's roster, status and proven bound. With `relax_first`, a part small enough
    starts with its integer relaxation (see below)."""
    nearest_only = any(options.nearest_only(r) for r in part)
    if len(part) <= SMALL_PART:
        result = solve_part(problem, options, part, Solution(), params,
                            hint=hint.restricted_to(set(part), problem.need_resident), stop=stop)
        bound = lower_bound(problem, options, part)
        status = (TIME_LIMIT if result.clock_ended and result.status != "optimal"
                  else result.status)
        if not nearest_only:
            bound = max(result.bound if result.bound is not None else -math.inf, bound)
        elif status == "optimal" and not _meets(
                _part_objective(problem, part, result.solution), bound):
            # Optimal among the candidates only: farther volunteers were left out of them.
            status = "feasible"
        return result.solution, status, bound
    # The bound is worked out within the part's time: after the search, or, for a part on
    # worker processes, its alone bound on the workers at the start and, time allowing,
    # its priced bound after the search. With
    # `relax_first`, a part small enough has its contested relaxation solved as an integer
    # program instead, on a forked process while the search runs (or first, in one
    # process): the program's optimum is the part's bound, and its teams are one more
    # start for the search.
    started = time.monotonic()
    pairs = _pair_count(options, part)
    workers = _workers_of_part(part, params)
    alone_early = workers > 1 and pairs > CONTESTED_BOUND_PAIRS
    relaxed = None
    steps = params.steps_s
    if relax_first and pairs <= INTEGER_BOUND_PAIRS and not nearest_only:
        beside = params.workers > 1 and can_fork()
        share = RELAXATION_SHARE_BESIDE if beside else RELAXATION_SHARE
        seconds = min(RELAXATION_SECONDS, share * params.time_limit_s)
        say(f"integer relaxation of {len(part)} residents ({pairs:,} pairs), up to "
            f"{seconds:.0f} s, " + ("beside the search" if beside else "before the search"))
        relaxed = (Background(_integer_relaxation, problem, options, part, seconds, None)
                   if beside else _Done(_integer_relaxation(problem, options, part, seconds, stop)))
        # The search waits for the relaxation (or runs after it): its budget leaves room
        # for the relaxation's whole limit, so that the clock never cuts its steps.
        search_params = replace(params, time_limit_s=params.time_limit_s - (
            time.monotonic() - started), budget_s=max(
                steps - min(RELAXATION_SECONDS, share * steps), RELAXATION_FLOOR * steps))
    else:
        bound_seconds = 0.0 if alone_early else _bound_seconds(pairs, params.time_limit_s)
        # The priced bound's time comes off the clock only, not off the step budget, so the
        # roster is what it was without it.
        # A part on the workers (a city) keeps no time for it: its budgets fill the limit
        # more tightly, and the priced bound only runs if time is left after the search.
        clock_kept = bound_seconds + (0.0 if alone_early else _priced_seconds(
            pairs, _team_pair_count(problem, options, part)))
        search_params = replace(params, time_limit_s=max(params.time_limit_s - clock_kept,
                                                         0.5 * params.time_limit_s),
                                budget_s=steps if alone_early else max(
                                    steps - _bound_seconds(pairs, steps), 0.5 * steps))
    # A part on the workers (a city) works out its priced bound on a forked process beside
    # its repairs, which then take that time too.
    beside = (_PricedBeside(problem, options, part, pairs, started + params.time_limit_s)
              if alone_early else None)
    solution, status, bound, alone = _teams_then_search(
        problem, options, part, search_params, hint, say, stop, workers, alone_early, relaxed,
        beside)
    if relaxed is not None:
        return solution, status, max(bound if bound is not None else -math.inf,
                                     float(sum(alone.values())) if alone is not None
                                     else lower_bound(problem, options, part))
    if bound is None and alone_early:
        # The workers' alone bounds did not come (a stop, or a clock past the part's time):
        # worked out here, they would hold a city's roster back for 8-14 s.
        bound = instant_lower_bound(problem, options, part)
    elif bound is None:
        bound, alone = _part_bound(problem, options, part, pairs, bound_seconds, alone)
    if beside is not None:
        priced = beside.result(stop, say)
        return solution, status, bound if priced is None else max(bound, priced)
    left = started + params.time_limit_s - time.monotonic()
    if pairs > CONTESTED_BOUND_PAIRS and not stop.reason and _priced_seconds(pairs) < left:
        # The teams are priced too if the time left holds it; the bound is valid either way.
        bound = max(bound, lagrangian_bound(
            problem, options, part, target=_part_objective(problem, part, solution),
            steps=PRICED_STEPS, alone=alone,
            price_teams=_priced_seconds(pairs, _team_pair_count(problem, options, part)) < left))
    return solution, status, bound


class _PricedBeside:
    """A part's priced bound, worked out on a forked process while its repairs run here.

    Its steps are sized by the roster before the repairs (any roster's objective sizes
    them; the bound is valid whatever it is), so it needs nothing the repairs change. It
    prices the teams only if the time left then holds it all, and takes fewer steps where
    it holds only some of them (at least `LEAST_PRICED_STEPS`, or it does not run); it is
    given up once the part's time has passed, keeping the best bound it had found (each
    step's is valid), or else the alone bound."""

    def __init__(self, problem: Problem, options: NeedOptions, part: list[int], pairs: int,
                 deadline: float):
        self.problem, self.options, self.part = problem, options, part
        self.pairs, self.deadline = pairs, deadline
        self.team_pairs = _team_pair_count(problem, options, part)
        self._running: Background | None = None
        # The best bound the forked process has found so far, kept if it is given up.
        self._so_far = (multiprocessing.get_context("fork").Value("d", -math.inf)
                        if can_fork() else None)

    @property
    def seconds(self) -> float:
        """The estimate of the bound's subgradient steps alone, which run whenever the
        bound does."""
        return _priced_seconds(self.pairs)

    @property
    def repair_seconds(self) -> float:
        """The repairs' extra time: the estimate of the whole bound, its teams priced too,
        as it runs when the time left holds it. The main process then repairs while the
        bound runs instead of waiting for it: on city seed 1, with repairs for the steps
        alone, they ended 5-7 s before the bound; with these, about when it does, 0.3 %
        lower. Where the teams are not priced, the repairs take about 7 s longer than the
        bound."""
        return _priced_seconds(self.pairs, self.team_pairs)

    def start(self, solution: Solution, alone: dict[int, float], say: Progress) -> None:
        left = self.deadline - time.monotonic()
        steps = _priced_steps(left, self.seconds)
        if self.pairs <= CONTESTED_BOUND_PAIRS or not steps:
            return
        target = _part_objective(self.problem, self.part, solution)
        say(f"priced bound on another process ({steps} steps), sized by the objective "
            f"{target:,.3f}")
        self._running = Background(
            functools.partial(lagrangian_bound, steps=steps, alone=alone,
                              price_teams=_priced_seconds(self.pairs, self.team_pairs) < left,
                              found=self._record),
            self.problem, self.options, self.part, target)

    def _record(self, bound: float) -> None:
        if self._so_far is not None:  # in the forked process: shared memory
            self._so_far.value = bound

    def result(self, stop: StopFlag, say: Progress) -> float | None:
        """The bound, or, given up (the part's time passed, or a stop), the best it had
        found (on a slow run, its subgradient steps without the teams priced), or None."""
        if self._running is None:
            return None
        value = self._running.result(_waiting(
            say, stop, "priced bound", "the repairs are done",
            give_up=lambda: time.monotonic() > self.deadline))
        if value is None and self._so_far is not None and self._so_far.value > -math.inf:
            say(f"priced bound given up: its best so far {self._so_far.value:,.1f} is kept")
            return self._so_far.value
        return value


def _priced_steps(left: float, seconds: float) -> int:
    """Subgradient steps of a priced bound estimated to take `seconds` for all of them,
    with `left` seconds to go: all if they fit, else as many as fit in a share of the time,
    or none if fewer than the least worth taking."""
    if seconds < left:
        return PRICED_STEPS
    steps = int(PRICED_STEPS * SHORT_BOUND_SHARE * left / seconds)
    return steps if steps >= LEAST_PRICED_STEPS else 0


class _Done:
    """A value already worked out, asked for like a `Background`'s."""

    def __init__(self, value):
        self._value = value

    def result(self, give_up=None):
        return self._value


def _integer_relaxation(problem: Problem, options: NeedOptions, part: list[int],
                        seconds: float, stop: StopFlag | None) -> Relaxation:
    return contested_relaxation(problem, options, part, integer=True, time_limit_s=seconds,
                                stop=stop)


@dataclass(frozen=True)
class _PartTask:
    index: int  # of the part, among all
    part: list[int]
    params: SolverParams
    hint: Solution  # the hint's pairs and visits of this part only
    deadline: float  # the whole solve's, on the monotonic clock the workers share


def _parts_on_workers(problem: Problem, options: NeedOptions, parts: list[list[int]],
                      todo: list[int], shares: list[float], params: SolverParams,
                      hint: Solution, deadline: float, say: Progress,
                      stop: StopFlag) -> dict[int, tuple[Solution, str, float]]:
    """Independent parts solved side by side, each on one worker, largest first.

    With `w` workers running at once, each part may take `w` times its share of the limit
    (the whole limit at most). Results are taken as parts finish and kept by part, so the
    order they finish in does not matter. A part not finished when the limit passes, or on
    Ctrl-C, is left out (the caller gives it the greedy roster); one finished by then is
    kept, even behind a larger part still running."""
    results: dict[int, tuple[Solution, str, float]] = {}
    order = sorted(todo, key=lambda index: (-len(parts[index]), index))
    with workers_for(problem, options, params.workers) as workers:
        scale = workers.count
        whole = sum(shares)
        tasks = []
        for index in order:
            budget = min(whole, scale * shares[index])  # the whole at most
            seconds = min(params.time_limit_s, PART_CLOCK_FACTOR * budget + PART_CLOCK_SLACK)
            tasks.append(_PartTask(index, parts[index], replace(params, time_limit_s=seconds,
                                                         budget_s=budget),
                                   hint.restricted_to(set(parts[index]), problem.need_resident),
                                   deadline))
        say(f"{len(tasks)} parts side by side on {workers.count} workers")
        found = workers.imap_unordered(_solve_part_on_worker, tasks)
        for _ in order:
            finished = _next_or_stop(found, deadline, stop)
            if finished is None:
                break
            index, result = finished
            results[index] = result
            part = parts[index]
            say(f"part {index + 1}/{len(parts)}: {len(part)} residents, {result[1]}")
    return results


def _next_or_stop(results, deadline: float, stop: StopFlag):
    """The next result to finish; once the limit has passed or the solve was interrupted,
    only one finished already (None if there is none left)."""
    while True:
        if not stop.reason and time.monotonic() > deadline:
            stop.stop(TIME_LIMIT)
        try:
            return results.next(timeout=0 if stop.reason else 0.2)
        except multiprocessing.TimeoutError:
            if stop.reason:
                return None


def _solve_part_on_worker(task: _PartTask) -> tuple[int, tuple[Solution, str, float]]:
    problem, options = shared_problem()
    seconds = min(task.params.time_limit_s, task.deadline - time.monotonic())
    params = replace(task.params, time_limit_s=max(seconds, 0.1))
    return task.index, _solve_one(problem, options, task.part, params, task.hint,
                                  lambda message: None, StopFlag())


def greedy_outcome(problem: Problem) -> Outcome:
    """The greedy baseline alone, as an outcome like the optimiser's."""
    started = time.monotonic()
    candidates = candidate_pairs(problem)
    options = visit_options(problem, candidates)
    solution = greedy_roster(problem, options)
    return Outcome(solution, "feasible", None, time.monotonic() - started, candidates, options)


def _joined_for_workers(parts: list[list[int]]) -> list[list[int]]:
    """The parts of more than `SMALL_PART` residents joined into one (first, residents in
    order) where together they reach `PARALLEL_RESIDENTS`; the small ones, solved exactly,
    as they were.

    Side by side, each part has one worker and a share of the limit, and pays its fixed
    costs (its first models, its least steps) out of that share; joined, they share the
    workers step by step as one part of a city does. Measured at 90 s with 2 workers
    (objectives, side by side against joined, `benchmarks/solve_city.py`): a city of
    5,000 residents in 12 parts, 4,320,583 against 4,318,082 (51 s where side by side took
    58); the city preset's residents beside 300,000 volunteers, 33 parts, 8,451,776
    against 8,032,969; beside a registry of 1.47 million, 90 parts, 16,260,338 against
    6,578,219, where most parts
    side by side never began and kept the greedy roster. Below that size a joined part
    runs on one worker: a city of 1,000 residents in 14 parts is 798,403 side by side,
    805,244 joined."""
    large = [part for part in parts if len(part) > SMALL_PART]
    if len(large) < 2 or sum(len(part) for part in large) < PARALLEL_RESIDENTS:
        return parts
    return [sorted(r for part in large for r in part)] + [
        part for part in parts if len(part) <= SMALL_PART]


def independent_parts(problem: Problem, candidates: Candidates) -> list[list[int]]:
    """Residents grouped by connected component of the candidate graph, in input order.

    Components of the sparse resident-volunteer graph come from scipy: building a networkx
    graph of a city's two million candidate pairs took seconds by itself.
    """
    n = problem.n_residents + problem.n_volunteers
    graph = coo_matrix((np.ones(len(candidates), dtype=np.int8),
                        (candidates.resident, candidates.volunteer + problem.n_residents)),
                       shape=(n, n))
    _, label = connected_components(graph, directed=False)
    resident_label = label[:problem.n_residents]
    order = np.argsort(resident_label, kind="stable")
    bounds = np.flatnonzero(np.diff(resident_label[order])) + 1
    parts = [group.tolist() for group in np.split(order, bounds) if group.size]
    return sorted(parts, key=lambda part: part[0])


def _pair_count(options: NeedOptions, part: list[int]) -> int:
    return sum(len(options.pairs_of_resident.get(r, ())) for r in part)


def _bound_seconds(pairs: int, budget: float) -> float:
    """Time to keep out of a part's `budget` for the bound of its `pairs` candidate pairs."""
    if pairs > CONTESTED_BOUND_PAIRS:
        return ALONE_BOUND_SECONDS_PER_PAIR * pairs
    return min(INTEGER_BOUND_SECONDS, BOUND_SHARE * budget)


def _workers_of_part(part: list[int], params: SolverParams) -> int:
    """Worker processes a part's own search uses: only a part large enough has pieces
    (blocks of distant residents) that can run at once."""
    if len(part) >= PARALLEL_RESIDENTS and params.workers > 1 and can_fork():
        return params.workers
    return 1


def _team_pair_count(problem: Problem, options: NeedOptions, part: list[int]) -> int:
    return _pair_count(options, [r for r in part if problem.resident_team_size[r] != 1])


def _priced_seconds(pairs: int, team_pairs: int = 0) -> float:
    """Time the priced (Lagrangian) bound of a part too large for the contested relaxation
    takes, with `team_pairs` its teams priced too: kept off the clock of a part solved in
    one process (a district), and what a part on the workers (a city) must have left after
    its search to run it."""
    if pairs <= CONTESTED_BOUND_PAIRS:
        return 0.0
    return (PRICED_SECONDS_PER_PAIR_STEP * PRICED_STEPS * pairs
            + TEAM_PRICING_SECONDS_PER_PAIR * team_pairs)


def _part_objective(problem: Problem, part: list[int], solution: Solution) -> float:
    """The objective of a part's roster on its own: its residents with nothing done, plus
    what the roster changes (the residents of other parts would cancel out)."""
    nothing = np.zeros(problem.n_volunteers)
    return (unserved_cost(problem, part)
            + objective_change(problem, Solution(), solution, nothing).value)


def _part_bound(problem: Problem, options: NeedOptions, part: list[int], pairs: int,
                seconds: float, alone: dict[int, float] | None = None
                ) -> tuple[float, dict[int, float]]:
    """The best proven bound affordable for a part: the contested relaxation (as a MIP
    for a small part, a linear program for a mid-sized one), else each resident alone;
    and each resident's alone bound (`alone`, if already worked out). `seconds` limits the
    contested model; whatever it has proved by then is valid."""
    if alone is None:
        alone = {r: resident_lower_bound(problem, options, r) for r in part}
    total = float(sum(alone.values()))
    if pairs > CONTESTED_BOUND_PAIRS:
        return total, alone
    integer = pairs <= INTEGER_BOUND_PAIRS
    contested = contested_lower_bound(problem, options, part, integer=integer,
                                      time_limit_s=max(seconds, 0.1))
    return (total if contested is None else max(total, contested)), alone


def _hint_from_current(problem: Problem) -> Solution:
    return Solution.of([(int(r), int(v)) for r, v in problem.current.tolist()], [])


def _teams_then_search(problem: Problem, options: NeedOptions, part: list[int],
                       params: SolverParams, hint: Solution, say: Progress, stop: StopFlag,
                       count: int, alone_early: bool, relaxed=None,
                       beside: _PricedBeside | None = None
                       ) -> tuple[Solution, str, float | None, dict[int, float] | None]:
    """Choose teams, set the visits exactly, then improve by large neighbourhood search.
    With `alone_early`, the part's alone bound is worked out on the workers too and
    returned as the bound. `relaxed` (a `Background` of the part's integer relaxation)
    gives the bound returned, and if it was solved to optimality, its teams are set too
    and the search starts from whichever roster is better. Otherwise the bound returned is
    None. Each resident's alone bound, which steers the search, is returned too (None if
    the solve was stopped first)."""
    started = time.monotonic()
    deadline = started + params.time_limit_s
    with workers_for(problem, options, count) as workers:
        # Worker processes find the candidate teams and the alone bound while this process
        # makes the greedy roster; in one process, the same happens one after the other.
        # The candidate teams go first: the roster needs them by their deadline, while the
        # alone bound is needed only once the visits are set (with the alone bound first,
        # the teams of a city of 30,000 began at about half their deadline's time, and on
        # a slower run missed it).
        chunks = [part[i:i + PLAN_CHUNK] for i in range(0, len(part), PLAN_CHUNK)]
        plan_deadline = started + PLAN_SHARE * params.time_limit_s
        found = workers.submit(_plans_of, [(chunk, plan_deadline) for chunk in chunks])
        alone = workers.submit(_alone_bounds_of, chunks) if alone_early else None
        greedy = greedy_roster(problem, options, part)
        greedy_value = evaluate(problem, greedy).objective
        plans, out_of_time = _plans_found(problem, options, chunks, found, greedy, stop,
                                          deadline)
        say(f"{len(plans):,} candidate teams for {len(part)} residents; greedy roster "
            f"{greedy_value:,.1f}" + (f" ({workers.count} workers)" if workers.count > 1 else ""))
        hint_teams = _teams_of(greedy) | _teams_of(hint)
        # Budgets in steps, not seconds, so that the same inputs give the same roster; they
        # are sized to fit the time limit on an ordinary machine, which remains the safety
        # net.
        steps = _steps_for(params.steps_s, len(part), _pair_count(options, part),
                           workers.count, alone_early,
                           beside.repair_seconds if beside is not None else 0.0)
        choice = None
        if stop.reason:
            # Stopped before any team was chosen: the greedy roster is the best so far, and
            # setting the visits of a priced start would keep the user waiting (6 s on a
            # city) for a roster nobody asked to wait for.
            solution = greedy
        else:
            choice = choose_teams(
                problem, plans, part,
                replace(params, time_limit_s=max(0.5, deadline - time.monotonic())),
                max_blocks=steps.blocks, hint=hint_teams, stop=stop, workers=workers,
                block_work=steps.block_work, say=say)
            teams = choice.teams or _teams_of(greedy)
            planned = {plan.resident: plan.visits for plan in plans
                       if teams.get(plan.resident) == plan.team}
            solution, visits_cut = _schedule_teams(problem, options, part, teams, planned,
                                                   params, steps.schedule_work, deadline,
                                                   stop, workers)
            out_of_time |= visits_cut
            solution = _fill_teams(problem, solution, teams, options, part)
        # The alone bounds are waited for no longer than the part's time or a stop: if they
        # are not in by then, the part reports the instant bound (see `_solve_one`).
        bounds = (alone.get(lambda: stop.reason is not None or time.monotonic() > deadline)
                  if alone is not None else None)
        out_of_time |= alone is not None and bounds is None and not stop.reason
        best = evaluate(problem, solution).objective
        if greedy_value < best:
            solution, best = greedy, greedy_value
        if choice is not None:
            say(f"teams chosen ({choice.status}, {choice.blocks} blocks) and visits set: "
                f"objective {best:,.1f}")
        relaxation = (relaxed.result(_waiting(say, stop, "integer relaxation",
                                              f"best roster so far {best:,.1f}"))
                      if relaxed is not None else None)
        if relaxed is not None and not stop.reason and not (
                relaxation is not None and relaxation.optimal):
            # Its own clock ended the relaxation unproven: where it is proved in time (a
            # faster run), its teams start the search, and the roster may differ.
            out_of_time = True
        if relaxation is not None and relaxation.optimal:
            # Every group is solved exactly, not only those the greedy pass leaves short:
            # these teams are the optimum's but for the clock, so exact visits for them are
            # most often the roster's optimum, with no search left to do.
            start, visits_cut = _schedule_teams(
                problem, options, part, relaxation.teams, relaxation.visits, params,
                steps.schedule_work, deadline, stop, workers, every_group=True)
            out_of_time |= visits_cut
            start = _fill_teams(problem, start, relaxation.teams, options, part)
            value = evaluate(problem, start).objective
            say(f"integer relaxation: bound {relaxation.bound:,.1f}, its teams' roster "
                f"{value:,.1f}")
            if value < best:
                solution, best = start, value
    proven = relaxation.bound if relaxation is not None else None
    # What a roster must reach to meet the bound, the solver's error allowed for.
    reach = None if proven is None else proven + relaxation.tolerance
    # Objectives here are of the whole problem with only this part's roster in it: the
    # residents of other parts count as unserved. The part's bound is put on that scale.
    others = (unserved_cost(problem, sorted(set(range(problem.n_residents)) - set(part)))
              if proven is not None else 0.0)
    if bounds is not None:
        # The chunks' bounds come back in the part's order.
        alone_bounds = dict(zip(part, itertools.chain.from_iterable(bounds), strict=True))
    elif alone_early or stop.reason:
        alone_bounds = None  # stopped: not worth working out here
    else:
        alone_bounds = {r: resident_lower_bound(problem, options, r) for r in part}
    if beside is not None and alone_bounds is not None and not stop.reason:
        # Once stopped, the bound would only be given up: no process is forked for it.
        beside.start(solution, alone_bounds, say)
    solution, best, search_cut = _improve(
        problem, options, part, solution, best, params, steps.rounds, deadline, say, stop,
        None if reach is None else reach + others, alone_bounds,
        steps.repairs + steps.repairs_beside)
    out_of_time |= (choice is not None and choice.status == TIME_LIMIT) or search_cut
    status = TIME_LIMIT if out_of_time else "feasible"
    if proven is not None:
        return (solution, "optimal" if _meets(best - others, reach) else status, proven,
                alone_bounds)
    if bounds is None:
        return solution, status, None, alone_bounds
    return solution, status, float(sum(alone_bounds.values())), alone_bounds


def _waiting(say: Progress, stop: StopFlag, what: str, detail: str,
             give_up: Callable[[], bool] = lambda: False) -> Callable[[], bool]:
    """A `give_up` for a result worked out elsewhere: true once the solve is stopped (or
    `give_up()` is), and meanwhile a progress line every few seconds, so a long wait does
    not look stuck."""
    started = last = time.monotonic()

    def stopped() -> bool:
        nonlocal last
        now = time.monotonic()
        if now - last >= WAIT_REPORT_SECONDS:
            last = now
            say(f"  waiting for the {what}: {now - started:.0f} s; {detail}")
        return stop.reason is not None or give_up()

    return stopped


def _meets(objective: float, bound: float | None) -> bool:
    """Does the objective meet the proven bound, within the solvers' own tolerance?"""
    return bound is not None and objective <= bound + 1e-6 * max(1.0, abs(bound))


@dataclass(frozen=True)
class _Steps:
    blocks: int  # block models in the team choice
    schedule_work: float  # CP-SAT work for setting the visits of the chosen teams
    rounds: int  # neighbourhood search steps
    block_work: float = BLOCK_WORK  # CP-SAT work of one block model
    repairs: int = 0  # residents re-solved alone before the neighbourhood search
    repairs_beside: int = 0  # ... more of them, in the time of a bound worked out meanwhile


def _steps_for(budget: float, residents: int, pairs: int, workers: int,
               alone_early: bool, beside_s: float = 0.0) -> _Steps:
    """A part's step budgets for `budget` seconds: what the uncounted work's estimate and
    the margin leave, shared out, and never more than the budget itself; and repairs for
    `beside_s`, the estimated time of a bound worked out on another process meanwhile,
    unless the budget cannot even hold the least steps (the clock will then be short)."""
    uncounted = (PREPARE_SECONDS_PER_PAIR * pairs
                 + (FINISH_SECONDS_PER_RESIDENT + START_SECONDS_PER_RESIDENT) * residents
                 + (GREEDY_SECONDS_PER_RESIDENT + PLAN_SECONDS_PER_RESIDENT) * residents / workers)
    if alone_early:
        uncounted += ALONE_BOUND_SECONDS_PER_PAIR * pairs / workers
    shares = BLOCK_SHARE + SEARCH_SHARE + SCHEDULE_SHARE
    counted = max(0.0, min(budget, (budget * (1 - STEPS_MARGIN)
                                    - uncounted * (1 + UNCOUNTED_MARGIN)) / shares))
    block_cost = SECONDS_PER_BLOCK * (SIDE_BY_SIDE_COST / workers if workers > 1 else 1.0)
    blocks = int(BLOCK_SHARE * counted / block_cost)
    rounds = int(SEARCH_SHARE * counted / SECONDS_PER_ROUND)
    if blocks * BLOCK < residents:
        # Not even one pass of blocks: most residents would keep their first team. A block
        # re-chooses 48 teams at once where a search step re-solves 12 residents, so the
        # search's time goes to blocks (on the city preset: 0.1 % from 12 search steps),
        # and blocks are made cheaper so that more of them are re-chosen. Two search steps'
        # worth is kept for repairs of the residents most short (city preset, seed 1: the
        # two steps found nothing, 32 repairs 17,932 in 1.3 s).
        blocks = int((BLOCK_SHARE * counted + SEARCH_SHARE * counted
                      - 2 * SECONDS_PER_ROUND) / (BROAD_BLOCK_SHARE * block_cost))
        return _Steps(max(4, blocks), SCHEDULE_SHARE * WORK_PER_SECOND * counted, 0,
                      BROAD_BLOCK_SHARE * BLOCK_WORK,
                      int(2 * SECONDS_PER_ROUND / SECONDS_PER_REPAIR),
                      _repairs_beside(beside_s, blocks))
    repairs = int(REPAIR_SHARE * counted / SECONDS_PER_REPAIR)
    rounds = int((SEARCH_SHARE - REPAIR_SHARE) * counted / SECONDS_PER_ROUND)
    return _Steps(max(4, blocks), SCHEDULE_SHARE * WORK_PER_SECOND * counted, max(2, rounds),
                  BLOCK_WORK, repairs, _repairs_beside(beside_s, blocks))


def _repairs_beside(beside_s: float, blocks: int) -> int:
    """Repairs in `beside_s`, or none where the budget leaves fewer than the least blocks."""
    return int(beside_s / SECONDS_PER_REPAIR) if blocks >= 4 else 0


def _plans_found(problem: Problem, options: NeedOptions, chunks: list[list[int]],
                 found: Pending, greedy: Solution, stop: StopFlag,
                 deadline: float) -> tuple[list[Plan], bool]:
    """Candidate teams of every resident, chunk by chunk. A chunk not begun by its deadline
    (or any, once the solve is interrupted, or if they are not all in by the part's
    `deadline`, a worker lost) keeps the greedy roster's teams as its only plans, so the
    limit is kept at any size. Says whether that happened."""
    results = (found.get(lambda: stop.reason is not None or time.monotonic() > deadline)
               or [None] * len(chunks))
    greedy_teams = _teams_of(greedy)
    plans: list[Plan] = []
    for chunk, chunk_plans in zip(chunks, results, strict=True):
        if chunk_plans is not None:
            plans.extend(chunk_plans)
            continue
        plans.extend(team_plan(problem, options, r, greedy_teams[r])
                     for r in chunk if r in greedy_teams)
    return plans, any(chunk_plans is None for chunk_plans in results)


def _plans_of(task: tuple[list[int], float]) -> list[Plan] | None:
    """A chunk's candidate teams, or None if its deadline has passed before it begins."""
    residents, deadline = task
    if time.monotonic() > deadline:
        return None
    problem, options = shared_problem()
    return [plan for r in residents for plan in resident_plans(problem, options, r)]


def _alone_bounds_of(residents: list[int]) -> list[float]:
    problem, options = shared_problem()
    return [resident_lower_bound(problem, options, r) for r in residents]


def _fill_teams(problem: Problem, solution: Solution, teams: dict[int, tuple[int, ...]],
                options: NeedOptions, part: list[int]) -> Solution:
    """Fill short teams with members who attend no visit, where that lowers the objective:
    a member on the team (a backup, or for later weeks) still counts for `unmet_member`."""

    def problem_candidates(r: int) -> list[int]:
        return options.pairs_of_resident.get(r, [])

    weights = problem.scenario.config.weights
    pairs = set(solution.pairs)
    members: dict[int, set[int]] = {}
    residents_of: dict[int, int] = {}
    for r, v in pairs:
        members.setdefault(r, set()).add(v)
        residents_of[v] = residents_of.get(v, 0) + 1
    current = problem.current_pairs
    for r in sorted(part):
        have = members.setdefault(r, set())
        size = int(problem.resident_team_size[r])
        # The chosen team first, then anyone else eligible, nearest first.
        for v in itertools.chain(teams.get(r, ()), problem_candidates(r)):
            if len(have) >= size:
                break  # full: nobody else can join (a city's residents have ~136 candidates)
            if v in have:
                continue
            if residents_of.get(v, 0) >= int(problem.volunteer_max_residents[v]):
                continue
            organizations = {int(problem.volunteer_organization[m]) for m in have}
            spans_now = len(organizations) > 1
            spans_after = len(organizations | {int(problem.volunteer_organization[v])}) > 1
            misses = float(preference_misses(problem, np.array([r]), np.array([v]))[0])
            delta = (-weights.unmet_member * int(problem.resident_priority[r])
                     + weights.preference * misses
                     + weights.cohesion * (spans_after and not spans_now)
                     - weights.churn * ((r, v) in current))
            if delta < 0:
                pairs.add((r, v))
                have.add(v)
                residents_of[v] = residents_of.get(v, 0) + 1
    return Solution.of(pairs, solution.visits)


def _teams_of(solution: Solution) -> dict[int, tuple[int, ...]]:
    teams: dict[int, list[int]] = {}
    for r, v in solution.pairs:
        teams.setdefault(r, []).append(v)
    return {r: tuple(sorted(vs)) for r, vs in teams.items()}


def _schedule_teams(problem: Problem, options: NeedOptions, part: list[int],
                    teams: dict[int, tuple[int, ...]], planned: dict[int, int],
                    params: SolverParams, work: float, deadline: float, stop: StopFlag,
                    workers: Workers, every_group: bool = False) -> tuple[Solution, bool]:
    """Days, times and attendees for fixed teams, and whether the clock cut any of it short.

    The greedy pass places most visits; each group of residents sharing a volunteer where it
    places fewer visits than the teams promised (or, with `every_group`, each group) is
    solved exactly by CP-SAT, with `work` (CP-SAT's deterministic time) shared among them.
    The groups share no volunteer, so they are solved side by side on the workers, and each
    is kept if it lowers the objective.
    """
    allowed = {r: teams.get(r, ()) for r in part}
    restricted = options.restricted(allowed, problem)
    solution = greedy_roster(problem, restricted, part)
    done: dict[int, int] = {}
    for visit in solution.visits:
        r = int(problem.need_resident[visit.need])
        done[r] = done.get(r, 0) + 1
    graph = nx.Graph()
    graph.add_nodes_from(part)
    for r, team in allowed.items():
        for v in team:
            graph.add_edge(r, ("v", v))
    groups = sorted((sorted(n for n in c if not isinstance(n, tuple))
                     for c in nx.connected_components(graph)), key=lambda g: g[0])
    short = [group for group in groups if every_group
             or sum(planned.get(r, 0) for r in group) > sum(done.get(r, 0) for r in group)]
    work_each = max(0.05, work / max(1, len(short)))
    # A stop reaches only the models solved here; on workers each ends by its work limit.
    solve = (_schedule_group if workers.forked
             else functools.partial(_schedule_group, stop=stop))
    load = volunteer_load_minutes(problem, solution)
    pieces = _pieces_by_resident(problem, solution)
    changed: set[int] = set()
    better: list[Solution] = []
    clock_ended = False
    for batch in range(0, len(short), SCHEDULE_BATCH):
        if stop.reason:
            break
        if time.monotonic() > deadline:
            clock_ended = True
            break
        tasks = [_GroupTask(group, {r: allowed[r] for r in group}, pieces.of(group),
                            replace(params, work_limit=work_each), deadline)
                 for group in short[batch:batch + SCHEDULE_BATCH]]
        results = workers.submit(solve, tasks).get(
            lambda: time.monotonic() > deadline + LATE_SECONDS)
        if results is None:  # a worker lost: these groups keep the greedy pass's visits
            clock_ended = True
            break
        for task, (found, cut) in zip(tasks, results, strict=True):
            clock_ended |= cut
            # Groups share no volunteer, so each change is judged and kept on its own.
            change = objective_change(problem, task.piece, found, load)
            if change.value < -1e-9:
                changed.update(task.group)
                better.append(found)
                load = change.load
    if not better:
        return solution, clock_ended
    kept = solution.without(changed, problem.need_resident)
    return Solution.of(kept.pairs + tuple(p for s in better for p in s.pairs),
                       kept.visits + tuple(v for s in better for v in s.visits)), clock_ended


class _Pieces:
    """A roster's pairs and visits by resident, to take out many groups' pieces quickly."""

    def __init__(self, pairs: dict[int, list], visits: dict[int, list]):
        self._pairs, self._visits = pairs, visits

    def of(self, residents: list[int]) -> Solution:
        return Solution(tuple(sorted(p for r in residents for p in self._pairs.get(r, ()))),
                        tuple(sorted(v for r in residents for v in self._visits.get(r, ()))))


def _pieces_by_resident(problem: Problem, solution: Solution) -> _Pieces:
    pairs: dict[int, list] = {}
    visits: dict[int, list] = {}
    for pair in solution.pairs:
        pairs.setdefault(pair[0], []).append(pair)
    for visit, r in zip(solution.visits,
                        problem.need_resident[[v.need for v in solution.visits]].tolist(),
                        strict=True):
        visits.setdefault(r, []).append(visit)
    return _Pieces(pairs, visits)


@dataclass(frozen=True)
class _GroupTask:
    group: list[int]
    team: dict[int, tuple[int, ...]]  # resident -> the volunteers of their team
    piece: Solution  # the group's pairs and visits now
    params: SolverParams  # with the group's share of the work
    deadline: float


def _schedule_group(task: _GroupTask, stop: StopFlag | None = None) -> tuple[Solution, bool]:
    """The group's best visits with its teams fixed, and whether the clock cut them short.
    No other resident shares a volunteer with the group, so the rest of the roster changes
    nothing here and is not sent."""
    if time.monotonic() >= task.deadline:
        return task.piece, True  # out of time: the greedy pass's visits stay
    problem, options = shared_problem()
    params = replace(task.params, time_limit_s=max(0.1, task.deadline - time.monotonic()))
    result = solve_part(problem, options.restricted(task.team, problem), task.group,
                        Solution(), params, hint=task.piece, stop=stop)
    return result.solution, result.clock_ended


def _improve(problem: Problem, options: NeedOptions, part: list[int], solution: Solution,
             best: float, params: SolverParams, rounds_allowed: int, deadline: float,
             say: Progress, stop: StopFlag, bound: float | None = None,
             alone: dict[int, float] | None = None, repairs: int = 0
             ) -> tuple[Solution, float, bool]:
    """Large neighbourhood search: free a seed resident and its nearest neighbours, re-solve
    them exactly over a few nearby volunteers each, keep the change if the roster improves.
    Seeds are drawn where unmet visits cost most above the residents' `alone` bounds.
    First, up to `repairs` residents are re-solved one at a time, over the nearest volunteers
    who could serve them (`REPAIR_VOLUNTEERS`), in order of what their unmet visits cost
    above their alone bounds.
    It ends early once the roster meets the proven `bound`: nothing is left to gain."""
    if stop.reason:
        return solution, best, False
    rng = np.random.default_rng(params.seed)
    tree = cKDTree(unit_vectors(problem.resident_lat[part], problem.resident_lon[part]))
    part_array = np.array(part)
    stalled, rounds, last_report = 0, 0, time.monotonic()
    search = _Search(problem, options, solution, best, params, deadline, stop)
    floor = np.zeros(problem.n_residents)
    if alone is not None:
        floor[list(alone)] = list(alone.values())
    if repairs:
        excess = _unmet_above(problem, search.done, floor)
        worst = sorted((r for r in part if excess[r] > 0), key=lambda r: (-excess[r], r))
        made = 0
        for r in worst[:repairs]:
            if _meets(search.best, bound) or not search.step(
                    [r], {r: options.useful_volunteers(problem, r)[:REPAIR_VOLUNTEERS]},
                    REPAIR_WORK):
                break
            made += 1
            if time.monotonic() - last_report >= SEARCH_REPORT_SECONDS:
                last_report = time.monotonic()
                say(f"  {made:,} of {min(repairs, len(worst)):,} residents re-solved alone: "
                    f"objective {search.best:,.1f}")
        if made:
            say(f"  {made} residents re-solved alone: objective {search.best:,.1f}")
        # Repairs not needed (fewer residents short than budgeted) go to the search.
        rounds_allowed += int((repairs - min(repairs, len(worst))) * SECONDS_PER_REPAIR
                              / SECONDS_PER_ROUND)
    while (stalled < STALL_ROUNDS and not stop.reason and rounds < rounds_allowed
           and not _meets(search.best, bound) and not search.cut):
        rounds += 1
        seed = _pick_seed(problem, search.done, part_array, floor, rng)
        k = min(NEIGHBOURHOOD, len(part))
        _, nearest = tree.query(unit_vectors(problem.resident_lat[[seed]],
                                             problem.resident_lon[[seed]]), k=k)
        chosen = sorted({int(part_array[i]) for i in np.atleast_1d(nearest[0])})
        nearby = {r: options.useful_volunteers(problem, r)[:NEARBY_VOLUNTEERS] for r in chosen}
        before = search.best
        search.step(chosen, nearby, STEP_WORK)
        stalled = 0 if search.best < before else stalled + 1
        if time.monotonic() - last_report >= SEARCH_REPORT_SECONDS:
            last_report = time.monotonic()
            say(f"  search round {rounds}: objective {search.best:,.1f}")
    return search.index.solution(), search.best, search.cut


class _Search:
    """A roster changed by exact steps over a few residents, each kept if it lowers the
    objective. Each step's model sees, of the rest of the roster, only what the volunteers
    it may use already do (`RosterIndex`)."""

    def __init__(self, problem: Problem, options: NeedOptions, solution: Solution,
                 best: float, params: SolverParams, deadline: float, stop: StopFlag):
        self.problem, self.options, self.params = problem, options, params
        self.deadline, self.stop = deadline, stop
        self.index = RosterIndex(problem, solution)
        self.load = volunteer_load_minutes(problem, solution)
        self.done = np.bincount([v.need for v in solution.visits], minlength=problem.n_needs)
        self.best = best
        self.cut = False  # stopped, or a step cut short, by the part's clock

    def step(self, chosen: list[int], nearby: dict[int, list[int]], work: float) -> bool:
        """Re-solve `chosen` over their current volunteers and `nearby` ones. False if the
        clock or a stop ended the search instead (or the clock cut this step short)."""
        # The part's own time, not the whole solve's: other parts still get theirs.
        if self.deadline - time.monotonic() <= 0.2:
            self.cut = True
            return False
        if self.stop.reason:
            return False
        allowed = {r: self.index.team_of(r) | set(nearby[r]) for r in chosen}
        fixed = self.index.around(set().union(*allowed.values()), chosen)
        piece = self.index.piece(chosen)
        params = replace(self.params, time_limit_s=max(0.1, self.deadline - time.monotonic()),
                         work_limit=work)
        result = solve_part(self.problem, self.options.restricted(allowed, self.problem),
                            chosen, fixed, params, hint=piece, stop=self.stop)
        # A step the clock cut short is kept (it is valid) but ends the search: the roster
        # is the clock's from here.
        self.cut |= result.clock_ended
        # Scored by the change alone: evaluating a whole city's roster at every step would
        # cost more than the step.
        change = objective_change(self.problem, piece, result.solution, self.load)
        if change.value < -1e-9:
            self.index.replace(chosen, result.solution)
            self.best += change.value
            self.load = change.load
            np.subtract.at(self.done, [v.need for v in piece.visits], 1)
            np.add.at(self.done, [v.need for v in result.solution.visits], 1)
        return not self.cut


def _unmet_above(problem: Problem, done: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Each resident's unmet visits (`done`: each need's visits made) weighted by priority,
    less their `floor` (their alone bound, or 0) in visits' worth: demand no volunteer
    could meet even with nobody else wanting them is not worth a step."""
    missing = np.maximum(problem.need_visits - done, 0) * problem.resident_priority[problem.need_resident]
    per_resident = np.bincount(problem.need_resident, weights=missing, minlength=problem.n_residents)
    unmet_visit = problem.scenario.config.weights.unmet_visit
    if unmet_visit > 0:
        per_resident = np.maximum(per_resident - floor / unmet_visit, 0.0)
    return per_resident


def _pick_seed(problem: Problem, done: np.ndarray, part: np.ndarray, floor: np.ndarray,
               rng: np.random.Generator) -> int:
    """A resident of the part, drawn with weight on unmet demand so the search goes there
    (`done`: each need's visits made): on what their unmet visits cost above `floor`."""
    per_resident = _unmet_above(problem, done, floor)
    weights = per_resident[part] + 0.05 * math.fsum(per_resident[part]) / max(len(part), 1) + 0.1
    return int(rng.choice(part, p=weights / weights.sum()))
