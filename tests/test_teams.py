"""Candidate teams: the direct score of a team of one agrees with the general one."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from matcher.candidates import candidate_pairs
from matcher.objective import preference_misses
from matcher.options import visit_options
from matcher.problem import compile_problem
from matcher.solvers.teams import _score_alone, _score_team
from tests.test_solve import random_scenarios


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_scenarios(residents=(1, 3), volunteers=(1, 6), team_sizes=(1, 3), most_needs=3))
def test_a_team_of_one_scores_the_same_both_ways(s):
    # Most plans of a city are teams of one, scored by a shortcut; it must give the very
    # plan (visits, hours taken, cost to the last bit) the general scoring gives, hours
    # too short for every visit included (volunteers here have 1-4 h a week).
    problem = compile_problem(s)
    options = visit_options(problem, candidate_pairs(problem))
    for r in range(problem.n_residents):
        pool = options.pairs_of_resident.get(r, [])
        if not pool:
            continue
        rows = {n: options.row_of_volunteer(n, pool) for n in problem.needs_of(r)}
        misses = dict(zip(pool, preference_misses(problem, [r] * len(pool), pool).tolist(),
                          strict=True))
        incumbents = problem.incumbents_of(r)
        for v in pool:
            assert (_score_alone(problem, options, r, v, incumbents, rows, misses)
                    == _score_team(problem, options, r, (v,), incumbents, rows, misses))
