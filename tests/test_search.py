"""The neighbourhood search goes where a step can gain."""

from __future__ import annotations

import numpy as np

from matcher.problem import compile_problem
from matcher.solvers import search
from tests.scenarios import scenario


def test_seeds_go_to_demand_a_volunteer_could_meet_not_to_demand_none_could():
    # Two residents, each missing a visit. The first could not be served even with every
    # volunteer to themselves (their alone bound is their whole unmet cost); the second
    # could. Steps seeded on the first cannot gain, so it is drawn only by the small weight
    # every resident keeps.
    problem = compile_problem(scenario([{"id": "R0"}, {"id": "R1"}], [{"id": "V1"}]))
    unmet_visit = problem.scenario.config.weights.unmet_visit
    floor = np.array([unmet_visit * float(problem.resident_priority[0]), 0.0])
    rng = np.random.default_rng(0)
    part = np.arange(2)
    nothing_done = np.zeros(problem.n_needs, dtype=np.int64)
    draws = [search._pick_seed(problem, nothing_done, part, floor, rng) for _ in range(400)]
    assert draws.count(1) > 0.8 * len(draws)  # nine in ten expected
    # Without the floor both are drawn alike.
    draws = [search._pick_seed(problem, nothing_done, part, np.zeros(2), rng)
             for _ in range(400)]
    assert 0.35 * len(draws) < draws.count(1) < 0.65 * len(draws)
