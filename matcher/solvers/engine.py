"""The solve pipeline: candidates, independent parts, exact CP-SAT or greedy + LNS per part.

1. Candidate pairs are found with a spatial index and vectorised rules.
2. The candidate graph splits into independent parts (connected components); residents with
   no candidate at all are unmet at once.
3. A part small enough is solved exactly by CP-SAT (`SMALL_PART` residents); its bound is valid.
4. A larger part starts from the greedy roster and improves it by large neighbourhood search:
   a seed resident (unmet demand first) and its nearest neighbours are freed and re-solved
   exactly by CP-SAT, with the rest of the roster fixed, and the change is kept when the
   whole objective does not get worse.

Determinism: every CP-SAT call uses one search worker, a fixed seed and a deterministic work
limit, and neighbourhoods are drawn from a seeded generator, so the same inputs, config and
seed give the same roster. The wall-clock limit is only a safety net: a run stopped by it
says so in its status.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from matcher.candidates import Candidates, candidate_pairs, unit_vectors
from matcher.objective import evaluate
from matcher.options import NeedOptions, visit_options
from matcher.problem import Problem
from matcher.solution import Solution
from matcher.solvers.cpsat import SolverParams, solve_part
from matcher.solvers.greedy import greedy_roster

SMALL_PART = 60  # residents: solved as one exact model
NEIGHBOURHOOD = 24  # residents freed in one LNS step
STALL_ROUNDS = 60  # LNS steps without improvement before a part is left as it is


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
    solution = Solution()
    statuses: list[str] = []
    bound_total: float | None = 0.0
    work = sum(len(part) for part in parts) or 1
    for index, part in enumerate(parts):
        if stop.reason:
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stop.stop("time limit")
            break
        budget = max(remaining * len(part) / work, min(remaining, 1.0))
        work -= len(part)
        if not any(options.by_need.get(n) for r in part for n in problem.needs_of(r)) and \
                not any(options.pairs_of_resident.get(r) for r in part):
            statuses.append("optimal")  # nobody can serve these residents: nothing to decide
            continue
        part_params = replace(params, time_limit_s=budget)
        if len(part) <= SMALL_PART:
            result = solve_part(problem, options, part, Solution(), part_params,
                                hint=hint.restricted_to(set(part), problem.need_resident),
                                stop=stop)
            part_solution, status, bound = result.solution, result.status, result.bound
        else:
            part_solution, status = _large_neighbourhood_search(
                problem, options, part, part_params, hint, say, stop)
            bound = None
        solution = solution.merged(part_solution)
        statuses.append(status)
        bound_total = None if bound is None or bound_total is None else bound_total + bound
        if len(parts) > 1 and len(part) > 1:
            say(f"part {index + 1}/{len(parts)}: {len(part)} residents, {status}")
    evaluation = evaluate(problem, solution)
    if stop.reason:
        status = stop.reason
    elif statuses and all(s == "optimal" for s in statuses):
        status = "optimal"
    else:
        status = "feasible"
    bound = _bound_with_constants(problem, bound_total, parts, options)
    if bound is not None:
        bound = min(bound, evaluation.objective)
    if status == "optimal" and bound is not None:
        bound = evaluation.objective if abs(bound - evaluation.objective) < 1e-6 else bound
    return Outcome(solution, status, bound, time.monotonic() - started, candidates, options)


def independent_parts(problem: Problem, candidates: Candidates) -> list[list[int]]:
    """Residents grouped by connected component of the candidate graph, in input order."""
    graph = nx.Graph()
    graph.add_nodes_from(range(problem.n_residents))
    offset = problem.n_residents
    graph.add_edges_from(zip(candidates.resident.tolist(),
                             (candidates.volunteer + offset).tolist(), strict=True))
    parts = []
    for component in nx.connected_components(graph):
        residents = sorted(node for node in component if node < offset)
        if residents:
            parts.append(residents)
    return sorted(parts, key=lambda part: part[0])


def _bound_with_constants(problem: Problem, bound_total: float | None, parts, options) -> float | None:
    # Residents with nobody to serve them are in parts solved trivially: their whole demand
    # is unmet whatever the roster, so their cost is a constant of every roster.
    if bound_total is None:
        return None
    constant = 0.0
    weights = problem.scenario.config.weights
    for part in parts:
        for r in part:
            if options.pairs_of_resident.get(r):
                continue
            if any(options.by_need.get(n) for n in problem.needs_of(r)):
                continue
            priority = int(problem.resident_priority[r])
            constant += weights.unmet_visit * priority * sum(
                int(problem.need_visits[n]) for n in problem.needs_of(r))
            constant += weights.unmet_member * priority * int(problem.resident_team_size[r])
    churned = sum(1 for r, _ in problem.current.tolist() if not options.pairs_of_resident.get(r))
    return bound_total + constant + weights.churn * churned


def _hint_from_current(problem: Problem) -> Solution:
    return Solution.of([(int(r), int(v)) for r, v in problem.current.tolist()], [])


def _large_neighbourhood_search(problem: Problem, options: NeedOptions, part: list[int],
                                params: SolverParams, hint: Solution, say: Progress,
                                stop: StopFlag) -> tuple[Solution, str]:
    started = time.monotonic()
    deadline = started + params.time_limit_s
    members = set(part)
    solution = greedy_roster(problem, options, part)
    best = evaluate(problem, solution).objective
    say(f"greedy start for {len(part)} residents: objective {best:,.1f}")
    rng = np.random.default_rng(params.seed)
    tree = cKDTree(unit_vectors(problem.resident_lat[part], problem.resident_lon[part]))
    part_array = np.array(part)
    stalled, rounds, last_report = 0, 0, started
    while stalled < STALL_ROUNDS and not stop.reason:
        remaining = deadline - time.monotonic()
        if remaining <= 0.2:
            stop.stop("time limit")
            break
        rounds += 1
        seed = _pick_seed(problem, solution, part_array, rng)
        k = min(NEIGHBOURHOOD, len(part))
        _, nearest = tree.query(unit_vectors(problem.resident_lat[[seed]],
                                             problem.resident_lon[[seed]]), k=k)
        chosen = {int(part_array[i]) for i in np.atleast_1d(nearest[0])}
        fixed = solution.without(chosen, problem.need_resident)
        step = replace(params, time_limit_s=min(remaining, 5.0))
        current_part = solution.restricted_to(chosen, problem.need_resident)
        result = solve_part(problem, options, chosen, fixed, step, hint=current_part, stop=stop)
        candidate = fixed.merged(result.solution)
        value = evaluate(problem, candidate).objective
        if value < best - 1e-9:
            solution, best, stalled = candidate, value, 0
        else:
            stalled += 1
        if time.monotonic() - last_report >= 2.0:
            last_report = time.monotonic()
            say(f"  search round {rounds}: objective {best:,.1f} "
                f"({time.monotonic() - started:.0f} s)")
    del members
    return solution, "feasible"


def _pick_seed(problem: Problem, solution: Solution, part: np.ndarray,
               rng: np.random.Generator) -> int:
    """A resident of the part, drawn with weight on unmet demand so the search goes there."""
    done = np.bincount([v.need for v in solution.visits], minlength=problem.n_needs)
    missing = np.maximum(problem.need_visits - done, 0) * problem.resident_priority[problem.need_resident]
    per_resident = np.bincount(problem.need_resident, weights=missing, minlength=problem.n_residents)
    weights = per_resident[part] + 0.05 * math.fsum(per_resident[part]) / max(len(part), 1) + 0.1
    return int(rng.choice(part, p=weights / weights.sum()))
