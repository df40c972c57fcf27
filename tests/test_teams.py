"""Candidate teams: who they are formed from, and how each is scored."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from matcher.candidates import candidate_pairs
from matcher.objective import preference_misses
from matcher.options import visit_options
from matcher.problem import compile_problem
from matcher.solvers.plans import (
    _score_alone,
    _score_team,
    candidate_pool,
    resident_plans,
    team_plan,
)
from tests.scenarios import BASE_LAT, scenario
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


def _options(s):
    problem = compile_problem(s)
    return problem, visit_options(problem, candidate_pairs(problem))


def test_a_rare_skill_a_shared_visit_needs_is_among_a_teams_candidates():
    # The rehab visit is made by two together. The twelve nearest volunteers all lack
    # rehab; without the one who has it, no team could make the visit.
    s = scenario([{"team_size": 2,
                   "needs": [{"service": "rehab", "duration_min": 60, "volunteers_per_visit": 2,
                              "windows": ["Mon-Fri 09:00-12:00"]}]}],
                 [{"id": f"V{k}", "lat": BASE_LAT + 0.0005 * (k + 1)} for k in range(12)]
                 + [{"id": "V-rehab", "lat": BASE_LAT + 0.01, "skills": ["rehab"]}])
    problem, options = _options(s)
    holder = 12
    assert holder in candidate_pool(problem, options, 0)
    best = min(resident_plans(problem, options, 0), key=lambda plan: plan.cost)
    assert holder in best.team and best.visits == 1


def test_a_shared_visit_is_planned_only_where_the_members_are_free_at_one_time():
    # V1 and V2 are both free on Monday, but at different hours: together they can make
    # no visit, which the team's plan must know before the team is chosen.
    s = scenario([{"team_size": 2,
                   "needs": [{"service": "companionship", "duration_min": 60,
                              "volunteers_per_visit": 2, "windows": ["Mon 09:00-18:00"]}]}],
                 [{"id": "V1", "availability": ["Mon 09:00-11:00"]},
                  {"id": "V2", "availability": ["Mon 14:00-16:00"]},
                  {"id": "V3", "availability": ["Mon 10:00-12:00"]}])
    problem, options = _options(s)
    assert team_plan(problem, options, 0, (0, 1)).visits == 0
    assert team_plan(problem, options, 0, (0, 2)).visits == 1


def test_a_team_is_completed_with_the_one_volunteer_free_for_a_need_none_of_the_best_is():
    # Ten volunteers nearby could each make the three weekday visits; only one, farther
    # away and ranked far below them, has rehab and is free on Saturday. A team of one of
    # the ten and that one makes every visit.
    s = scenario([{"team_size": 2,
                   "needs": [{"service": "companionship", "duration_min": 60,
                              "visits_per_week": 3, "windows": ["Mon-Fri 09:00-12:00"]},
                             {"service": "rehab", "duration_min": 60,
                              "windows": ["Sat 09:00-12:00"]}]}],
                 [{"id": f"V{k}", "lat": BASE_LAT + 0.0005 * (k + 1),
                   "availability": ["Mon-Fri 09:00-12:00"]} for k in range(10)]
                 + [{"id": "V-rehab", "lat": BASE_LAT + 0.01, "skills": ["rehab"],
                     "availability": ["Sat 09:00-12:00"]}])
    problem, options = _options(s)
    best = min(resident_plans(problem, options, 0), key=lambda plan: plan.cost)
    assert 10 in best.team and best.visits == 4


def test_a_visit_made_together_counts_in_ranking_a_teams_candidates():
    # A lives nearer; B is farther but free on the days of the visit made by two together
    # as well. A member's share of that visit puts B first among the candidates.
    s = scenario([{"team_size": 2,
                   "needs": [{"service": "companionship", "duration_min": 60,
                              "windows": ["Mon 09:00-12:00"]},
                             {"service": "rehab", "duration_min": 60,
                              "volunteers_per_visit": 2, "visits_per_week": 2,
                              "windows": ["Sat-Sun 09:00-12:00"]}]}],
                 [{"id": "A", "lat": BASE_LAT + 0.001, "availability": ["Mon 09:00-12:00"],
                   "skills": ["rehab"]},
                  {"id": "B", "lat": BASE_LAT + 0.01, "skills": ["rehab"],
                   "availability": ["Mon 09:00-12:00", "Sat-Sun 09:00-12:00"]}])
    problem, options = _options(s)
    assert candidate_pool(problem, options, 0)[:2] == [1, 0]


def test_a_visit_the_nearest_member_has_no_hours_for_goes_to_another_member():
    # Both members are free on Tuesday and Thursday; the nearer has the hours for one
    # visit only. The team makes both visits, one each, rather than one.
    s = scenario([{"team_size": 2,
                   "needs": [{"service": "companionship", "duration_min": 60,
                              "visits_per_week": 2, "windows": ["Tue,Thu 16:00-19:00"]}]}],
                 [{"id": "V1", "lat": BASE_LAT + 0.001, "max_hours_per_week": 2},
                  {"id": "V2", "lat": BASE_LAT + 0.01}])
    problem, options = _options(s)
    plan = team_plan(problem, options, 0, (0, 1))
    assert plan.visits == 2
    assert plan.load_ms[0] <= problem.volunteer_max_ms[0]
