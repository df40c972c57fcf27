"""The generalized assignment core on its own, checked against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from matcher.assignment import solve_assignment


def brute_force(cost, use, capacity, maximize=False):
    agents, jobs = cost.shape
    best = None
    for choice in itertools.product(range(agents), repeat=jobs):
        load = np.zeros(agents, dtype=int)
        for job, agent in enumerate(choice):
            load[agent] += use[agent, job]
        if (load > capacity).any() or any(not np.isfinite(cost[a, j]) for j, a in enumerate(choice)):
            continue
        value = sum(cost[a, j] for j, a in enumerate(choice))
        if best is None or (value > best if maximize else value < best):
            best = value
    return best


def feasible(result, cost, use, capacity):
    agents = result.agent_of_job
    load = np.bincount(agents, weights=use[agents, np.arange(agents.size)],
                       minlength=cost.shape[0])
    return (agents >= 0).all() and (load <= capacity).all()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("maximize", [False, True])
def test_random_instances_reach_the_brute_force_optimum(seed, maximize):
    rng = np.random.default_rng(seed)
    cost = rng.integers(5, 50, size=(3, 7)).astype(float)
    use = rng.integers(2, 9, size=(3, 7))
    capacity = np.full(3, int(use.sum() / 3 * 0.8) + 3)
    best = brute_force(cost, use, capacity, maximize)
    result = solve_assignment(cost, use, capacity, maximize=maximize, time_limit_s=5, seed=seed)
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert feasible(result, cost, use, capacity)
    assert result.objective == pytest.approx(best)
    assert result.objective == pytest.approx(cost[result.agent_of_job, np.arange(7)].sum())
    assert result.gap == 0


def test_forbidden_pairs_are_never_used():
    cost = np.array([[1.0, np.inf, 1.0], [5.0, 2.0, np.inf]])
    use = np.ones((2, 3), dtype=int)
    result = solve_assignment(cost, use, np.array([2, 2]), time_limit_s=5)
    assert list(result.agent_of_job) == [0, 1, 0]
    assert result.objective == 4


def test_a_job_no_agent_can_take_makes_it_infeasible():
    result = solve_assignment(np.ones((2, 2)), np.array([[1, 5], [1, 5]]), np.array([3, 3]))
    assert result.status == "infeasible" and result.objective is None
    assert list(result.agent_of_job) == [-1, -1]


def test_the_search_is_deterministic_when_bounded_by_neighbourhoods():
    rng = np.random.default_rng(7)
    cost = rng.integers(10, 60, size=(8, 60)).astype(float)
    use = rng.integers(5, 25, size=(8, 60))
    capacity = (use.sum(axis=1) / 8 * 1.1).astype(int)
    runs = [solve_assignment(cost, use, capacity, time_limit_s=30, seed=3, max_neighbourhoods=40)
            for _ in range(2)]
    assert runs[0].objective == runs[1].objective
    assert (runs[0].agent_of_job == runs[1].agent_of_job).all()
    assert runs[0].bound <= runs[0].objective + 1e-9
    assert feasible(runs[0], cost, use, capacity)


@pytest.mark.parametrize(("args", "message"), [
    ((np.ones(3), np.ones(3), np.ones(1)), "agents x jobs"),
    ((np.ones((2, 3)), np.ones((3, 2)), np.ones(2)), "same agents x jobs shape"),
    ((np.ones((2, 3)), np.ones((2, 3)), np.ones(3)), "one value per agent"),
    ((np.ones((2, 3)), np.full((2, 3), 0.5), np.ones(2)), "whole numbers"),
    ((np.full((2, 3), np.nan), np.ones((2, 3)), np.ones(2)), "NaN"),
])
def test_bad_arrays_are_refused_with_a_clear_message(args, message):
    with pytest.raises(ValueError, match=message):
        solve_assignment(*args)
