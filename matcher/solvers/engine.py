"""The solve pipeline: candidates, independent parts, exact CP-SAT or greedy + LNS per part.

1. Candidate pairs are found with a spatial index and vectorised rules.
2. The candidate graph splits into independent parts (connected components); residents with
   no candidate at all are unmet at once.
3. A part small enough is solved exactly by CP-SAT (`SMALL_PART` residents); its bound is valid.
4. A larger part has its teams chosen (candidate teams per resident, then exact blocks of
   neighbouring residents), its visits set exactly, and is improved by large neighbourhood
   search: a seed resident (unmet demand first) and its nearest neighbours are freed and
   re-solved exactly by CP-SAT, with the rest of the roster fixed, and the change is kept
   when the whole objective does not get worse.
5. With several workers, independent parts are solved side by side on forked processes; a
   single part of `PARALLEL_RESIDENTS` or more finds its candidate teams and solves its
   blocks on them instead.

Determinism: every CP-SAT call uses one search worker, a fixed seed and a deterministic work
limit; neighbourhoods are drawn from a seeded generator; each part's step budgets are its
share of the configured limit by size; and results from workers are combined in a fixed
order. So the same inputs, config, seed and number of workers give the same roster. The
wall-clock limit is only a safety net: a run stopped by it says so in its status.
"""

from __future__ import annotations

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

from matcher.candidates import Candidates, candidate_pairs, unit_vectors
from matcher.objective import evaluate, preference_misses
from matcher.options import NeedOptions, visit_options
from matcher.problem import Problem
from matcher.solution import Solution
from matcher.solvers.bound import contested_lower_bound, lower_bound
from matcher.solvers.cpsat import SolverParams, solve_part
from matcher.solvers.greedy import greedy_roster
from matcher.solvers.pool import Workers, can_fork, shared_problem, workers_for
from matcher.solvers.teams import TIME_LIMIT, Plan, choose_teams, resident_plans, team_plan

SMALL_PART = 8  # residents: solved as one exact model
CONTESTED_BOUND_PAIRS = 50_000  # candidate pairs up to which the linear bound is built
INTEGER_BOUND_PAIRS = 10_000  # ... and up to which it is solved with whole pairs
INTEGER_BOUND_SECONDS = 5.0
BOUND_SHARE = 0.1  # of a part's time, kept for its contested bound
ALONE_BOUND_SECONDS_PER_PAIR = 3e-6  # the alone bound's cost, kept from a large part's time
NEIGHBOURHOOD = 12  # residents freed in one LNS step
NEARBY_VOLUNTEERS = 8  # volunteers each freed resident may choose from in one step
STEP_WORK = 0.1  # CP-SAT deterministic work of one LNS step
BLOCK_SHARE, SECONDS_PER_BLOCK = 0.45, 0.5  # team choice: share of the limit, cost of a block
SEARCH_SHARE, SECONDS_PER_ROUND = 0.25, 0.8  # neighbourhood search likewise
PLAN_SHARE = 0.35  # candidate teams must be found within this share of the limit
STALL_ROUNDS = 150  # LNS steps without improvement before a part is left as it is
# A part this large on its own has its candidate teams found and its blocks chosen on the
# workers. Blocks of a smaller part (a district of 1,000) nearly all share volunteers, so
# they could not run side by side: there the workers changed the roster (objective within
# 0.7 % either way) without making it better.
PARALLEL_RESIDENTS = 2_000
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
    hint = hint or _hint_from_current(problem)
    # Each part's step budgets come from its share of the configured limit, by size alone,
    # so the roster does not depend on how long anything took; the clock is the safety net.
    total = sum(len(part) for part in parts) or 1
    shares = [params.time_limit_s * len(part) / total for part in parts]
    results: dict[int, tuple[Solution, str, float]] = {}
    for index, part in enumerate(parts):
        if not any(len(options.rows_of(n)) for r in part for n in problem.needs_of(r)) and \
                not any(options.pairs_of_resident.get(r) for r in part):
            # Nobody can serve these residents: nothing to decide.
            results[index] = (Solution(), "optimal", lower_bound(problem, options, part))
    todo = [index for index in range(len(parts)) if index not in results]
    side_by_side = (params.workers > 1 and can_fork()
                    and sum(len(parts[index]) > SMALL_PART for index in todo) >= 2)
    if side_by_side:
        results |= _parts_on_workers(problem, options, parts, todo, shares, params, hint,
                                     deadline, say, stop)
    else:
        work = sum(len(parts[index]) for index in todo) or 1
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
            results[index] = _solve_one(problem, options, part, part_params, hint, say, stop)
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
            # roster rather than none at all.
            part_solution = greedy_roster(problem, options, part)
            bound = lower_bound(problem, options, part)
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
               hint: Solution, say: Progress, stop: StopFlag) -> tuple[Solution, str, float]:
    """One part's roster, status and proven bound."""
    if len(part) <= SMALL_PART:
        result = solve_part(problem, options, part, Solution(), params,
                            hint=hint.restricted_to(set(part), problem.need_resident), stop=stop)
        bound = max(result.bound if result.bound is not None else -math.inf,
                    lower_bound(problem, options, part))
        return result.solution, result.status, bound
    # The bound is worked out after the search, within the part's time.
    pairs = _pair_count(options, part)
    bound_seconds = _bound_seconds(pairs, params.time_limit_s)
    steps = params.steps_s
    search_params = replace(params, time_limit_s=max(params.time_limit_s - bound_seconds,
                                                     0.5 * params.time_limit_s),
                            budget_s=max(steps - _bound_seconds(pairs, steps), 0.5 * steps))
    solution, status = _teams_then_search(problem, options, part, search_params, hint, say, stop)
    return solution, status, _part_bound(problem, options, part, pairs, bound_seconds)


@dataclass(frozen=True)
class _PartTask:
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
    (the whole limit at most). Results are kept by part, so the order parts finish in does
    not matter. A part not finished when the limit passes, or on Ctrl-C, is left out (the
    caller gives it the greedy roster)."""
    results: dict[int, tuple[Solution, str, float]] = {}
    order = sorted(todo, key=lambda index: (-len(parts[index]), index))
    with workers_for(problem, options, params.workers) as workers:
        scale = workers.count
        tasks = []
        for index in order:
            seconds = min(params.time_limit_s, scale * shares[index])
            tasks.append(_PartTask(parts[index], replace(params, time_limit_s=seconds,
                                                         budget_s=seconds),
                                   hint.restricted_to(set(parts[index]), problem.need_resident),
                                   deadline))
        say(f"{len(tasks)} parts side by side on {workers.count} workers")
        found = workers.imap(_solve_part_on_worker, tasks)
        for index in order:
            result = _next_or_stop(found, deadline, stop)
            if result is None:
                break
            results[index] = result
            part = parts[index]
            say(f"part {index + 1}/{len(parts)}: {len(part)} residents, {result[1]}")
    return results


def _next_or_stop(results, deadline: float, stop: StopFlag):
    """The next result, or None once the limit has passed or the solve was interrupted."""
    while True:
        if not stop.reason and time.monotonic() > deadline:
            stop.stop(TIME_LIMIT)
        if stop.reason:
            return None
        try:
            return results.next(timeout=0.2)
        except multiprocessing.TimeoutError:
            continue


def _solve_part_on_worker(task: _PartTask) -> tuple[Solution, str, float]:
    problem, options = shared_problem()
    seconds = min(task.params.time_limit_s, task.deadline - time.monotonic())
    params = replace(task.params, time_limit_s=max(seconds, 0.1))
    return _solve_one(problem, options, task.part, params, task.hint, lambda message: None,
                      StopFlag())


def greedy_outcome(problem: Problem) -> Outcome:
    """The greedy baseline alone, as an outcome like the optimiser's."""
    started = time.monotonic()
    candidates = candidate_pairs(problem)
    options = visit_options(problem, candidates)
    solution = greedy_roster(problem, options)
    return Outcome(solution, "feasible", None, time.monotonic() - started, candidates, options)


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


def _part_bound(problem: Problem, options: NeedOptions, part: list[int], pairs: int,
                seconds: float) -> float:
    """The best proven bound affordable for a part: the contested relaxation (as a MIP
    for a small part, a linear program for a mid-sized one), else each resident alone.
    `seconds` limits the contested model; whatever it has proved by then is valid."""
    alone = lower_bound(problem, options, part)
    if pairs > CONTESTED_BOUND_PAIRS:
        return alone
    integer = pairs <= INTEGER_BOUND_PAIRS
    contested = contested_lower_bound(problem, options, part, integer=integer,
                                      time_limit_s=max(seconds, 0.1))
    return alone if contested is None else max(alone, contested)


def _hint_from_current(problem: Problem) -> Solution:
    return Solution.of([(int(r), int(v)) for r, v in problem.current.tolist()], [])


def _teams_then_search(problem: Problem, options: NeedOptions, part: list[int],
                       params: SolverParams, hint: Solution, say: Progress,
                       stop: StopFlag) -> tuple[Solution, str]:
    """Choose teams, set the visits exactly, then improve by large neighbourhood search."""
    started = time.monotonic()
    deadline = started + params.time_limit_s
    greedy = greedy_roster(problem, options, part)
    greedy_value = evaluate(problem, greedy).objective
    count = params.workers if len(part) >= PARALLEL_RESIDENTS else 1
    with workers_for(problem, options, count) as workers:
        plans, out_of_time = _plans_within(problem, options, part, greedy,
                                           started + PLAN_SHARE * params.time_limit_s, stop,
                                           workers)
        say(f"{len(plans):,} candidate teams for {len(part)} residents; greedy roster "
            f"{greedy_value:,.1f}" + (f" ({workers.count} workers)" if workers.count > 1 else ""))
        hint_teams = _teams_of(greedy) | _teams_of(hint)
        # Budgets in steps, not seconds, so that the same inputs give the same roster; they
        # are sized to fit the time limit on an ordinary machine, which remains the safety
        # net.
        blocks = max(4, int(BLOCK_SHARE * params.steps_s / SECONDS_PER_BLOCK))
        choice = choose_teams(problem, plans, part,
                              replace(params, time_limit_s=max(0.5, deadline - time.monotonic())),
                              max_rounds=blocks, hint=hint_teams, stop=stop, workers=workers)
    rounds = max(2, int(SEARCH_SHARE * params.steps_s / SECONDS_PER_ROUND))
    teams = choice.teams or _teams_of(greedy)
    planned = {plan.resident: plan.visits for plan in plans
               if teams.get(plan.resident) == plan.team}
    solution = _schedule_teams(problem, options, part, teams, planned, params, deadline, stop)
    solution = _fill_teams(problem, solution, teams, options, part)
    best = evaluate(problem, solution).objective
    if greedy_value < best:
        solution, best = greedy, greedy_value
    say(f"teams chosen ({choice.status}, {choice.blocks} blocks) and visits set: "
        f"objective {best:,.1f}")
    solution, best, search_cut = _improve(problem, options, part, solution, best, params, rounds,
                                          deadline, say, stop)
    out_of_time |= choice.status == TIME_LIMIT or search_cut
    return solution, TIME_LIMIT if out_of_time else "feasible"


def _plans_within(problem: Problem, options: NeedOptions, part: list[int], greedy: Solution,
                  deadline: float, stop: StopFlag, workers: Workers) -> tuple[list[Plan], bool]:
    """Candidate teams of every resident, a wave of chunks of residents at a time on the
    workers; if time runs short, the residents not reached keep the greedy roster's team as
    their only plan, so the limit is kept at any size. Says whether time ran short."""
    greedy_teams = _teams_of(greedy)
    plans: list[Plan] = []
    chunks = [part[i:i + PLAN_CHUNK] for i in range(0, len(part), PLAN_CHUNK)]
    for wave in range(0, len(chunks), workers.count):
        if time.monotonic() > deadline or stop.reason:
            for rest in itertools.chain.from_iterable(chunks[wave:]):
                if rest in greedy_teams:
                    plans.append(team_plan(problem, options, rest, greedy_teams[rest]))
            return plans, True
        for found in workers.map(_plans_of, chunks[wave:wave + workers.count]):
            plans.extend(found)
    return plans, False


def _plans_of(residents: list[int]) -> list[Plan]:
    problem, options = shared_problem()
    return [plan for r in residents for plan in resident_plans(problem, options, r)]


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
        # The chosen team first, then anyone else eligible, nearest first.
        team = list(teams.get(r, ())) + list(problem_candidates(r))
        for v in team:
            have = members.setdefault(r, set())
            if v in have or len(have) >= int(problem.resident_team_size[r]):
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
                    params: SolverParams, deadline: float, stop: StopFlag) -> Solution:
    """Days, times and attendees for fixed teams.

    The greedy pass places most visits; each group of residents sharing a volunteer where it
    places fewer visits than the teams promised is solved exactly by CP-SAT.
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
    short = [group for group in groups
             if sum(planned.get(r, 0) for r in group) > sum(done.get(r, 0) for r in group)]
    work_each = max(0.05, 0.2 * params.work / max(1, len(short)))
    for group in short:
        if stop.reason or time.monotonic() > deadline:
            break
        members = set(group)
        rest = solution.without(members, problem.need_resident)
        step = replace(params, time_limit_s=max(0.1, deadline - time.monotonic()),
                       work_limit=work_each)
        result = solve_part(problem, restricted, group, rest, step,
                            hint=solution.restricted_to(members, problem.need_resident),
                            stop=stop)
        candidate = rest.merged(result.solution)
        if evaluate(problem, candidate).objective < evaluate(problem, solution).objective:
            solution = candidate
    return solution


def _improve(problem: Problem, options: NeedOptions, part: list[int], solution: Solution,
             best: float, params: SolverParams, rounds_allowed: int, deadline: float,
             say: Progress, stop: StopFlag) -> tuple[Solution, float, bool]:
    """Large neighbourhood search: free a seed resident and its nearest neighbours, re-solve
    them exactly over a few nearby volunteers each, keep the change if the roster improves."""
    rng = np.random.default_rng(params.seed)
    tree = cKDTree(unit_vectors(problem.resident_lat[part], problem.resident_lon[part]))
    part_array = np.array(part)
    stalled, rounds, last_report = 0, 0, time.monotonic()
    while stalled < STALL_ROUNDS and not stop.reason and rounds < rounds_allowed:
        # The part's own time, not the whole solve's: other parts still get theirs.
        if deadline - time.monotonic() <= 0.2:
            return solution, best, True
        rounds += 1
        seed = _pick_seed(problem, solution, part_array, rng)
        k = min(NEIGHBOURHOOD, len(part))
        _, nearest = tree.query(unit_vectors(problem.resident_lat[[seed]],
                                             problem.resident_lon[[seed]]), k=k)
        chosen = sorted({int(part_array[i]) for i in np.atleast_1d(nearest[0])})
        current = _teams_of(solution)
        allowed = {r: set(current.get(r, ())) | set(options.useful_volunteers(problem, r)[:NEARBY_VOLUNTEERS])
                   for r in chosen}
        fixed = solution.without(set(chosen), problem.need_resident)
        step = replace(params, time_limit_s=max(0.1, deadline - time.monotonic()),
                       work_limit=STEP_WORK)
        result = solve_part(problem, options.restricted(allowed, problem), chosen, fixed, step,
                            hint=solution.restricted_to(set(chosen), problem.need_resident),
                            stop=stop)
        candidate = fixed.merged(result.solution)
        value = evaluate(problem, candidate).objective
        if value < best - 1e-9:
            solution, best, stalled = candidate, value, 0
        else:
            stalled += 1
        if time.monotonic() - last_report >= 2.0:
            last_report = time.monotonic()
            say(f"  search round {rounds}: objective {best:,.1f}")
    return solution, best, False


def _pick_seed(problem: Problem, solution: Solution, part: np.ndarray,
               rng: np.random.Generator) -> int:
    """A resident of the part, drawn with weight on unmet demand so the search goes there."""
    done = np.bincount([v.need for v in solution.visits], minlength=problem.n_needs)
    missing = np.maximum(problem.need_visits - done, 0) * problem.resident_priority[problem.need_resident]
    per_resident = np.bincount(problem.need_resident, weights=missing, minlength=problem.n_residents)
    weights = per_resident[part] + 0.05 * math.fsum(per_resident[part]) / max(len(part), 1) + 0.1
    return int(rng.choice(part, p=weights / weights.sum()))
