"""The solve pipeline: candidates, independent parts, exact CP-SAT or greedy + LNS per part.

1. Candidate pairs are found with a spatial index and vectorised rules.
2. The candidate graph splits into independent parts (connected components, `partition`);
   residents with no candidate at all are unmet at once.
3. A part small enough is solved exactly by CP-SAT (`SMALL_PART` residents); its bound is valid.
4. A larger part has its teams chosen (candidate teams per resident, taken by priority at
   priced volunteers, then exact blocks of neighbouring residents), its visits set exactly
   (`schedule`), and is improved by large neighbourhood search (`search`).
5. With several workers, independent parts are solved side by side on forked processes; a
   single part of `PARALLEL_RESIDENTS` or more finds its candidate teams and alone bound,
   solves its blocks and sets its teams' visits on them instead, and works out its priced
   bound on a forked process while its repairs run here. Parts that together reach
   `PARALLEL_RESIDENTS` are joined into one such part (see `partition.joined_for_workers`).

Determinism: every CP-SAT call uses one search worker, a fixed seed and a deterministic work
limit; neighbourhoods are drawn from a seeded generator; each part's step budgets are its
share of the configured limit by size, less an estimate (from counts) of the work not
counted in steps (`budgets`); and results from workers are combined in a fixed order. So the
same inputs, config, seed and number of workers give the same roster. The wall-clock limit
is only a safety net: a run stopped by it says so in its status.
"""

from __future__ import annotations

import functools
import itertools
import math
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from matcher.background import Background
from matcher.candidates import Candidates, candidate_pairs
from matcher.objective import evaluate, objective_change, unserved_cost
from matcher.options import NeedOptions, visit_options
from matcher.problem import Problem
from matcher.solution import Solution
from matcher.solvers import budgets, partition
from matcher.solvers.bound import (
    Relaxation,
    contested_lower_bound,
    contested_relaxation,
    instant_lower_bound,
    lower_bound,
    resident_lower_bound,
)
from matcher.solvers.cpsat import SolverParams, solve_part
from matcher.solvers.greedy import greedy_roster
from matcher.solvers.lagrange import lagrangian_bound
from matcher.solvers.partition import independent_parts, joined_for_workers
from matcher.solvers.plans import Plan, resident_plans, team_plan
from matcher.solvers.pool import Pending, can_fork, shared_problem, workers_for
from matcher.solvers.schedule import fill_teams, schedule_teams
from matcher.solvers.search import improve, meets
from matcher.solvers.teams import TIME_LIMIT, choose_teams

# A part's integer relaxation is solved within this much of its time: a larger share on a
# forked process beside the search than before it in one process.
RELAXATION_SECONDS = 45.0
RELAXATION_SHARE_BESIDE, RELAXATION_SHARE = 0.75, 0.7
RELAXATION_FLOOR = 0.25  # of the part's step budget, kept for the search whatever the above
WAIT_REPORT_SECONDS = 5.0  # between progress lines while waiting for another process
# Candidate teams must be found within this share of the limit (a safety net: a city's
# take about a third of it in one process, a sixth on two workers).
PLAN_SHARE = 0.55
# A part solved beside others has its steps sized by its share of the limit, and its own
# clock (the safety net, within the whole solve's) a little longer: a small part's fixed
# costs (building its first models, handing it over) are not in the figures of `budgets`
# and grow with the machine's load, and a clock of the share alone cut 91 residents of a
# 5,000-resident city in one run of several, changing its roster.
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
        joined = joined_for_workers(parts)
        if len(joined) < len(parts):
            say(f"{len(parts) - len(joined) + 1} parts of more than {partition.SMALL_PART} "
                f"residents solved as one ({len(joined[0])} residents), on {params.workers} "
                f"workers")
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
                    and sum(len(parts[index]) > partition.SMALL_PART for index in todo) >= 2)
    steps = params.steps_s
    if side_by_side:
        # Parts side by side each take up to `workers` times their share, so that together
        # they fill every worker's limit; the candidates and options made before any part
        # started (estimated from their count, as every budget is) come off each of those.
        # Each part's budget then counts its own share of them again, as a part on its own
        # does, which is margin. (15,000 residents beside 300,000 volunteers, whose nearest
        # make 33 parts, took 16 s for them: the parts were cut by the clock.)
        steps = max(steps - budgets.PREPARE_SECONDS_PER_PAIR * len(candidates), 0.5 * steps)
    shares = [steps * len(part) / total for part in parts]
    if side_by_side:
        results |= _parts_on_workers(problem, options, parts, todo, shares, params, hint,
                                     deadline, say, stop)
    else:
        work = sum(len(parts[index]) for index in todo) or 1
        # The one part of a station: its integer relaxation may take most of the limit.
        # Beside other parts it would take theirs, so there it is only a bound, after.
        alone = sum(len(parts[index]) > partition.SMALL_PART for index in todo) == 1
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
    if len(part) <= partition.SMALL_PART:
        result = solve_part(problem, options, part, Solution(), params,
                            hint=hint.restricted_to(set(part), problem.need_resident), stop=stop)
        bound = lower_bound(problem, options, part)
        status = (TIME_LIMIT if result.clock_ended and result.status != "optimal"
                  else result.status)
        if not nearest_only:
            bound = max(result.bound if result.bound is not None else -math.inf, bound)
        elif status == "optimal" and not meets(
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
    alone_early = workers > 1 and pairs > budgets.CONTESTED_BOUND_PAIRS
    relaxed = None
    steps = params.steps_s
    if relax_first and pairs <= budgets.INTEGER_BOUND_PAIRS and not nearest_only:
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
        bound_seconds = 0.0 if alone_early else budgets.bound_seconds(pairs, params.time_limit_s)
        team_pairs = 0 if alone_early else _team_pair_count(problem, options, part)
        clock_kept = budgets.kept_after_search(pairs, params.time_limit_s, alone_early,
                                               team_pairs)
        search_params = replace(params, time_limit_s=max(params.time_limit_s - clock_kept,
                                                         0.5 * params.time_limit_s),
                                budget_s=steps if alone_early else max(
                                    steps - budgets.bound_seconds(pairs, steps), 0.5 * steps))
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
    if (pairs > budgets.CONTESTED_BOUND_PAIRS and not stop.reason
            and budgets.priced_seconds(pairs) < left):
        # The teams are priced too if the time left holds it; the bound is valid either way.
        bound = max(bound, lagrangian_bound(
            problem, options, part, target=_part_objective(problem, part, solution),
            steps=budgets.PRICED_STEPS, alone=alone,
            price_teams=budgets.priced_seconds(
                pairs, _team_pair_count(problem, options, part)) < left))
    return solution, status, bound


class _PricedBeside:
    """A part's priced bound, worked out on a forked process while its repairs run here.

    Its steps are sized by the roster before the repairs (any roster's objective sizes
    them; the bound is valid whatever it is), so it needs nothing the repairs change. It
    prices the teams only if the time left then holds it all, and takes fewer steps where
    it holds only some of them (at least `budgets.LEAST_PRICED_STEPS`, or it does not
    run); it is given up once the part's time has passed, keeping the best bound it had
    found (each step's is valid), or else the alone bound."""

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
        return budgets.priced_seconds(self.pairs)

    @property
    def repair_seconds(self) -> float:
        """The repairs' extra time: the estimate of the whole bound, its teams priced too,
        as it runs when the time left holds it. The main process then repairs while the
        bound runs instead of waiting for it: on city seed 1, with repairs for the steps
        alone, they ended 5-7 s before the bound; with these, about when it does, 0.3 %
        lower. Where the teams are not priced, the repairs take about 7 s longer than the
        bound."""
        return budgets.priced_seconds(self.pairs, self.team_pairs)

    def start(self, solution: Solution, alone: dict[int, float], say: Progress) -> None:
        left = self.deadline - time.monotonic()
        steps = budgets.priced_steps(left, self.seconds)
        if self.pairs <= budgets.CONTESTED_BOUND_PAIRS or not steps:
            return
        target = _part_objective(self.problem, self.part, solution)
        say(f"priced bound on another process ({steps} steps), sized by the objective "
            f"{target:,.3f}")
        self._running = Background(
            functools.partial(lagrangian_bound, steps=steps, alone=alone,
                              price_teams=budgets.priced_seconds(self.pairs,
                                                                 self.team_pairs) < left,
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


def _pair_count(options: NeedOptions, part: list[int]) -> int:
    return sum(len(options.pairs_of_resident.get(r, ())) for r in part)


def _workers_of_part(part: list[int], params: SolverParams) -> int:
    """Worker processes a part's own search uses: only a part large enough has pieces
    (blocks of distant residents) that can run at once."""
    if len(part) >= partition.PARALLEL_RESIDENTS and params.workers > 1 and can_fork():
        return params.workers
    return 1


def _team_pair_count(problem: Problem, options: NeedOptions, part: list[int]) -> int:
    return _pair_count(options, [r for r in part if problem.resident_team_size[r] != 1])


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
    if pairs > budgets.CONTESTED_BOUND_PAIRS:
        return total, alone
    integer = pairs <= budgets.INTEGER_BOUND_PAIRS
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
        # On workers, every chunk's quick plans come first, then its full ones: a limit
        # that cuts the full plans leaves the residents not reached a few good teams each.
        # A solve not cut uses the full plans only, so its roster is the same either way.
        passes = (True, False) if workers.forked else (False,)
        found = workers.submit(_plans_of, [(chunk, plan_deadline, quick) for quick in passes
                                           for chunk in chunks])
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
        steps = budgets.steps_for(params.steps_s, len(part), _pair_count(options, part),
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
            solution, visits_cut = schedule_teams(problem, options, part, teams, planned,
                                                  params, steps.schedule_work, deadline,
                                                  stop, workers)
            out_of_time |= visits_cut
            solution = fill_teams(problem, solution, teams, options, part)
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
            start, visits_cut = schedule_teams(
                problem, options, part, relaxation.teams, relaxation.visits, params,
                steps.schedule_work, deadline, stop, workers, every_group=True)
            out_of_time |= visits_cut
            start = fill_teams(problem, start, relaxation.teams, options, part)
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
    solution, best, search_cut = improve(
        problem, options, part, solution, best, params, steps.rounds, deadline, say, stop,
        None if reach is None else reach + others, alone_bounds,
        steps.repairs + steps.repairs_beside)
    out_of_time |= (choice is not None and choice.status == TIME_LIMIT) or search_cut
    status = TIME_LIMIT if out_of_time else "feasible"
    if proven is not None:
        return (solution, "optimal" if meets(best - others, reach) else status, proven,
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


def _plans_found(problem: Problem, options: NeedOptions, chunks: list[list[int]],
                 found: Pending, greedy: Solution, stop: StopFlag,
                 deadline: float) -> tuple[list[Plan], bool]:
    """Candidate teams of every resident, chunk by chunk: its full plans, found after
    every chunk's quick ones where there are workers. A chunk whose full plans were not
    begun by their deadline (or any, once the solve is interrupted, or if they are not all
    in by the part's `deadline`, a worker lost) keeps its quick plans, if found, with the
    greedy roster's teams, so the limit is kept at any size. Says whether that happened."""
    count = len(chunks)
    results = (found.get(lambda: stop.reason is not None or time.monotonic() > deadline)
               or [None] * count)
    quick, full = ((results[:count], results[count:]) if len(results) > count
                   else ([None] * count, results))
    greedy_teams = _teams_of(greedy)
    plans: list[Plan] = []
    for chunk, chunk_plans, quick_plans in zip(chunks, full, quick, strict=True):
        if chunk_plans is not None:
            plans.extend(chunk_plans)
            continue
        found_teams = set()
        if quick_plans is not None:
            plans.extend(quick_plans)
            found_teams = {(plan.resident, plan.team) for plan in quick_plans}
        plans.extend(team_plan(problem, options, r, greedy_teams[r]) for r in chunk
                     if r in greedy_teams and (r, greedy_teams[r]) not in found_teams)
    return plans, any(chunk_plans is None for chunk_plans in full)


def _plans_of(task: tuple[list[int], float, bool]) -> list[Plan] | None:
    """A chunk's candidate teams (quick ones, or full), or None if its deadline has passed
    before it begins."""
    residents, deadline, quick = task
    if time.monotonic() > deadline:
        return None
    problem, options = shared_problem()
    return [plan for r in residents for plan in resident_plans(problem, options, r, quick)]


def _alone_bounds_of(residents: list[int]) -> list[float]:
    problem, options = shared_problem()
    return [resident_lower_bound(problem, options, r) for r in residents]


def _teams_of(solution: Solution) -> dict[int, tuple[int, ...]]:
    teams: dict[int, list[int]] = {}
    for r, v in solution.pairs:
        teams.setdefault(r, []).append(v)
    return {r: tuple(sorted(vs)) for r, vs in teams.items()}
