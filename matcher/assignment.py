"""The generalized assignment problem on its own: agents with a capacity, jobs to place.

Pairing volunteers with residents is, at its core, a generalized assignment: each job (a
resident's need) goes to one agent (a volunteer), costs depend on the pair, and each job
uses some of the agent's capacity (hours). This module solves that plain problem for
callers who have one of their own, or who want to test the method against published
instances:

    >>> from matcher.assignment import solve_assignment
    >>> result = solve_assignment(cost, consumption, capacity, time_limit_s=10)
    >>> result.agent_of_job, result.objective, result.bound, result.status

How: one CP-SAT model of the whole problem gives a first assignment and a proven bound; then
a large neighbourhood search frees every job of a few agents at a time and re-solves that
small problem exactly, keeping what improves. Small neighbourhoods of three agents re-solve
in milliseconds and thousands of them fit in a minute, which on the OR-Library instances
beats giving the same time to the single model (benchmarks/gap_orlib.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from matcher.solvers.cpsat import WORK_PER_SECOND, solve_hinted

# Costs are scaled to integers for CP-SAT; the objective reported is recomputed exactly.
COST_SCALE = 1000
NEIGHBOURHOOD_AGENTS = 3
# A neighbourhood that takes more work than this is given up: another will do better.
NEIGHBOURHOOD_WORK = 0.5
# Shares of the time limit: the whole model first, then the neighbourhood search, then the
# whole model again from the best assignment, which can close the last steps to a proof that
# small neighbourhoods cannot see.
FIRST_MODEL_SHARE = 0.1
SEARCH_SHARE = 0.6


@dataclass(frozen=True)
class Assignment:
    """The best assignment found: `agent_of_job[j]` is job j's agent (-1 if none found)."""

    agent_of_job: np.ndarray
    objective: float | None
    bound: float | None
    status: str  # "optimal", "feasible", "infeasible" or "unknown" (nothing found in time)
    seconds: float
    neighbourhoods: int = 0

    @property
    def gap(self) -> float | None:
        """Relative distance between objective and bound (0 when proven optimal)."""
        if self.objective is None or self.bound is None:
            return None
        return abs(self.objective - self.bound) / max(abs(self.objective), 1e-9)


def solve_assignment(cost, consumption, capacity, *, maximize: bool = False,
                     time_limit_s: float = 10.0, seed: int = 0,
                     neighbourhood_agents: int = NEIGHBOURHOOD_AGENTS,
                     max_neighbourhoods: int | None = None) -> Assignment:
    """Assign every job to one agent within capacities, at least cost (or most, `maximize`).

    `cost` and `consumption` are agents x jobs arrays; a cost of +inf (or -inf when
    maximising) forbids the pair. `consumption` and `capacity` must be whole numbers, since
    capacities are kept exactly. The search is budgeted in CP-SAT's deterministic work
    (`WORK_PER_SECOND` per second of the limit), so the same input, limit and seed give the
    same assignment; the clock is only the safety net on a machine too slow for the budget.
    """
    cost, consumption, capacity = _checked(cost, consumption, capacity)
    start = time.perf_counter()
    deadline = start + max(time_limit_s, 0.0)
    sign = -1.0 if maximize else 1.0
    allowed = np.isfinite(cost) & (consumption <= capacity[:, None])
    scaled = np.zeros(cost.shape, dtype=np.int64)
    scaled[allowed] = np.rint(sign * cost[allowed] * COST_SCALE).astype(np.int64)
    if not allowed.any(axis=0).all():
        return _infeasible(cost.shape[1], start)

    work = WORK_PER_SECOND * max(time_limit_s, 0.0)
    everyone, every_job = range(cost.shape[0]), range(cost.shape[1])
    first = _solve_exactly(scaled, consumption, capacity, everyone, every_job, allowed, None,
                           deadline, max(FIRST_MODEL_SHARE * work, 0.01), seed)
    if first.status == cp_model.INFEASIBLE:
        return _infeasible(cost.shape[1], start)
    bound = first.bound / COST_SCALE * sign
    if first.agents is None:
        return Assignment(np.full(cost.shape[1], -1), None, bound, "unknown",
                          time.perf_counter() - start)
    agents = first.agents
    if first.status == cp_model.OPTIMAL:
        return _result(cost, agents, bound, "optimal", start, 0)

    rng = np.random.default_rng(seed)
    size = min(neighbourhood_agents, cost.shape[0])
    best = int(scaled[agents, np.arange(agents.size)].sum())
    search_work = SEARCH_SHARE * work
    used = 0.0
    count = 0
    while used < search_work and time.perf_counter() < deadline and (
            max_neighbourhoods is None or count < max_neighbourhoods):
        count += 1
        # Sizes cycle from `size` to two more: small neighbourhoods are cheap and many,
        # larger ones see exchanges among more agents that the small ones cannot.
        grown = min(size + count % 3, cost.shape[0])
        chosen = np.sort(rng.choice(cost.shape[0], size=grown, replace=False))
        jobs = np.flatnonzero(np.isin(agents, chosen))
        if jobs.size == 0:
            continue
        part = _solve_exactly(scaled, consumption, capacity, chosen, jobs, allowed, agents,
                              deadline, min(NEIGHBOURHOOD_WORK, search_work - used) + 1e-3, seed)
        used += part.work
        if part.agents is None:
            continue
        trial = agents.copy()
        trial[jobs] = part.agents
        value = int(scaled[trial, np.arange(trial.size)].sum())
        if value < best:
            agents, best = trial, value
    last = _solve_exactly(scaled, consumption, capacity, everyone, every_job, allowed, agents,
                          deadline, max(work - used - first.work, 0.01), seed)
    proven = max(first.bound, last.bound)
    if last.agents is not None:
        value = int(scaled[last.agents, np.arange(agents.size)].sum())
        if value < best:
            agents, best = last.agents, value
    # Costs are whole once scaled, so a bound within one unit below the value proves it.
    status = "optimal" if best <= math.ceil(proven - 1e-6) else "feasible"
    return _result(cost, agents, proven / COST_SCALE * sign, status, start, count)


@dataclass(frozen=True)
class _Exact:
    status: int
    agents: np.ndarray | None  # agent of each job given, in the order given
    bound: float
    work: float  # CP-SAT's deterministic time spent


def _solve_exactly(scaled, consumption, capacity, agents, jobs, allowed, hint,
                   deadline: float, work: float, seed: int) -> _Exact:
    """The sub-problem of `jobs` over `agents` (the others' capacity untouched) by CP-SAT."""
    agents = list(agents)
    jobs = list(jobs)
    model = cp_model.CpModel()
    pairs: dict[tuple[int, int], cp_model.IntVar] = {}
    for job in jobs:
        for agent in agents:
            if allowed[agent, job]:
                pairs[agent, job] = model.new_bool_var(f"x{agent}_{job}")
    for job in jobs:
        model.add_exactly_one(pairs[a, job] for a in agents if (a, job) in pairs)
    for agent in agents:
        used = [(int(consumption[agent, job]), pairs[agent, job])
                for job in jobs if (agent, job) in pairs]
        if used:
            model.add(sum(weight * var for weight, var in used) <= int(capacity[agent]))
    model.minimize(sum(int(scaled[a, j]) * var for (a, j), var in pairs.items()))
    if hint is not None:
        for (a, j), var in pairs.items():
            model.add_hint(var, int(hint[j]) == a)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(deadline - time.perf_counter(), 0.01)
    solver.parameters.max_deterministic_time = work
    # One worker: the search is then a function of the seed, and the machine's other core
    # is left to whatever runs beside it.
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    status = solve_hinted(solver, model)
    spent = float(solver.response_proto.deterministic_time)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Exact(status, None, -math.inf, spent)
    chosen = np.array([next(a for a in agents if (a, job) in pairs and solver.value(pairs[a, job]))
                       for job in jobs])
    return _Exact(status, chosen, solver.best_objective_bound, spent)


def _checked(cost, consumption, capacity):
    cost = np.asarray(cost, dtype=float)
    consumption = np.asarray(consumption)
    capacity = np.asarray(capacity)
    if cost.ndim != 2:
        raise ValueError(f"cost must be an agents x jobs array, not shape {cost.shape}")
    if consumption.shape != cost.shape:
        raise ValueError(f"consumption has shape {consumption.shape}, cost {cost.shape} "
                         "(expected the same agents x jobs shape)")
    if capacity.shape != (cost.shape[0],):
        raise ValueError(f"capacity has shape {capacity.shape} (expected one value per agent, "
                         f"({cost.shape[0]},))")
    for name, values in (("consumption", consumption), ("capacity", capacity)):
        if not np.all(np.isfinite(values)) or not np.all(np.asarray(values) == np.rint(values)):
            raise ValueError(f"{name} must be whole numbers (capacities are kept exactly)")
        if np.any(np.asarray(values) < 0):
            raise ValueError(f"{name} must not be negative")
    if np.isnan(cost).any():
        raise ValueError("cost has NaN entries (use inf to forbid a pair)")
    return cost, consumption.astype(np.int64), capacity.astype(np.int64)


def _result(cost, agents, bound, status, start, count) -> Assignment:
    objective = float(cost[agents, np.arange(agents.size)].sum())
    if status == "optimal":
        bound = objective
    return Assignment(agents, objective, bound, status, time.perf_counter() - start, count)


def _infeasible(jobs: int, start: float) -> Assignment:
    return Assignment(np.full(jobs, -1), None, None, "infeasible", time.perf_counter() - start)
