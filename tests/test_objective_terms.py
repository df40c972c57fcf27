"""Each soft term of the objective, pinned on a scenario small enough to work out by hand.

Each term has a `_penalized` test (the exact value the term must take) and an
`_unpenalized` twin (the same scenario changed so the term is zero). Every roster solved here
also passes the independent checker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import matcher
from matcher.candidates import candidate_pairs
from matcher.check import check_roster
from matcher.objective import evaluate, objective_change, volunteer_load_minutes
from matcher.options import visit_options
from matcher.problem import compile_problem
from matcher.solution import Solution
from matcher.solvers.greedy import greedy_roster
from tests.scenarios import BASE_LAT, KM_PER_HUNDREDTH_DEGREE, scenario

ROOT = Path(__file__).resolve().parent.parent


def solved(s, tmp_path, **overrides):
    result = matcher.solve(s, time_limit_s=20, **overrides)
    out = result.write(tmp_path / "roster")
    assert check_roster(s, out) == []
    return result


def term(result, name: str) -> float:
    return result.evaluation.values[name]


def test_unmet_visit_penalized(tmp_path):
    # Two visits a week, but the only volunteer is free on one day only: one visit is missing,
    # and the resident's priority 3 scales it.
    s = scenario([{"priority": 3, "needs": [{"service": "companionship", "duration_min": 60,
                                             "visits_per_week": 2,
                                             "windows": ["Mon-Fri 09:00-12:00"]}]}],
                 [{"availability": ["Wed 08:00-12:00"]}])
    result = solved(s, tmp_path)
    assert term(result, "unmet_visit") == 3
    assert result.unmet.loc[0, "visits_missing"] == 1
    assert "free on only 1 distinct day" in result.unmet.loc[0, "reason"]


def test_a_visit_the_free_day_would_hold_has_its_own_reason(tmp_path):
    # V1, free on Wednesday only, could make one of R2's two visits, but its one place goes
    # to R1 (priority 5): both are missing, and the day explains only one of them.
    need = {"service": "companionship", "duration_min": 60, "visits_per_week": 2,
            "windows": ["Mon-Fri 09:00-12:00"]}
    s = scenario([{"id": "R1", "priority": 5}, {"id": "R2", "needs": [need]}],
                 [{"availability": ["Wed 08:00-12:00"], "max_residents": 1}])
    result = solved(s, tmp_path)
    row = result.unmet.set_index("resident_id").loc["R2"]
    assert row["visits_missing"] == 2
    assert row["reason"] == ("2 of 2 visits not scheduled: the eligible volunteers are free "
                             "on only 1 distinct day of the need's windows; the other 1 "
                             "visit: the 1 eligible volunteer is taken: V1 1/1 residents; "
                             "team has 0 of 1 members: other eligible volunteers: V1 1/1 "
                             "residents")


def test_unmet_visit_unpenalized(tmp_path):
    s = scenario([{"priority": 3, "needs": [{"service": "companionship", "duration_min": 60,
                                             "visits_per_week": 2,
                                             "windows": ["Mon-Fri 09:00-12:00"]}]}],
                 [{"availability": ["Wed,Thu 08:00-12:00"]}])
    result = solved(s, tmp_path)
    assert term(result, "unmet_visit") == 0
    assert len(result.visits) == 2
    assert set(result.visits["day"]) == {"Wed", "Thu"}


def test_unmet_member_penalized(tmp_path):
    # A team of three with priority 2, but two volunteers within reach: one member missing.
    s = scenario([{"priority": 2, "team_size": 3}],
                 [{"id": "V1"}, {"id": "V2"}, {"id": "V3", "lat": BASE_LAT + 0.1}])
    result = solved(s, tmp_path)
    assert term(result, "unmet_member") == 2
    assert result.unmet.loc[0, "members_missing"] == 1


def test_unmet_member_unpenalized(tmp_path):
    s = scenario([{"priority": 2, "team_size": 3}], [{"id": "V1"}, {"id": "V2"}, {"id": "V3"}])
    result = solved(s, tmp_path)
    assert term(result, "unmet_member") == 0
    assert len(result.pairs) == 3


def test_distance_km_penalized(tmp_path):
    # The volunteer lives 0.01 degree north: 1.111950 km x 1.3 per visit, two visits.
    s = scenario([{"needs": [{"service": "companionship", "duration_min": 30, "visits_per_week": 2,
                              "windows": ["Mon-Fri 09:00-12:00"]}]}],
                 [{"lat": BASE_LAT + 0.01}])
    result = solved(s, tmp_path)
    assert term(result, "distance_km") == pytest.approx(2 * KM_PER_HUNDREDTH_DEGREE, abs=1e-5)


def test_distance_km_unpenalized(tmp_path):
    s = scenario([{}], [{}])
    result = solved(s, tmp_path)
    assert term(result, "distance_km") == 0
    assert len(result.visits) == 1


def test_preference_penalized(tmp_path):
    # The resident prefers a woman who speaks Tangshan dialect; the only volunteer is a man
    # who speaks Putonghua: two soft wishes missed.
    s = scenario([{"prefer": {"gender": "female", "languages": ["tangshan_dialect"]}}],
                 [{"gender": "male", "languages": ["putonghua"]}])
    result = solved(s, tmp_path)
    assert term(result, "preference") == 2


def test_preference_unpenalized(tmp_path):
    # With a woman who speaks the dialect a little farther away, she is chosen: 2 x 20 of
    # wishes outweigh 1.4 km of travel.
    s = scenario([{"prefer": {"gender": "female", "languages": ["tangshan_dialect"]}}],
                 [{"id": "V1", "gender": "male", "languages": ["putonghua"]},
                  {"id": "V2", "gender": "female", "languages": ["tangshan_dialect"],
                   "lat": BASE_LAT + 0.01}])
    result = solved(s, tmp_path)
    assert term(result, "preference") == 0
    assert list(result.pairs["volunteer_id"]) == ["V2"]


def test_churn_penalized(tmp_path):
    # The current volunteer V2 is now excluded by the resident: the pair must go.
    s = scenario([{"exclude_volunteers": ["V2"]}], [{"id": "V1"}, {"id": "V2"}],
                 current=[("R1", "V2")])
    result = solved(s, tmp_path)
    assert term(result, "churn") == 1


def test_churn_unpenalized_keeps_a_farther_incumbent(tmp_path):
    # V2 lives 1.45 km farther than V1, which costs 1.45 per visit; dropping V2 costs 50.
    s = scenario([{}], [{"id": "V1"}, {"id": "V2", "lat": BASE_LAT + 0.01}],
                 current=[("R1", "V2")])
    result = solved(s, tmp_path)
    assert term(result, "churn") == 0
    assert list(result.pairs["volunteer_id"]) == ["V2"]
    assert list(result.pairs["incumbent"]) == ["true"]


def test_churn_weight_zero_lets_the_nearer_volunteer_take_over(tmp_path):
    s = scenario([{}], [{"id": "V1"}, {"id": "V2", "lat": BASE_LAT + 0.01}],
                 current=[("R1", "V2")])
    result = solved(s, tmp_path, churn=0)
    assert list(result.pairs["volunteer_id"]) == ["V1"]


def test_fairness_penalized(tmp_path):
    # Demand is 60 min; two volunteers offer 240 min each, so each one's fair share is
    # 240 x 60/480 = 30 min. The one who visits works 60 min: 30 min = 0.5 h above share.
    s = scenario([{}], [{"id": "V1"}, {"id": "V2"}])
    result = solved(s, tmp_path)
    assert term(result, "fairness") == pytest.approx(0.5)


def test_fairness_unpenalized(tmp_path):
    # One volunteer offering 240 min for 60 min of demand: share 60 min, load 60 min.
    s = scenario([{}], [{"id": "V1"}])
    result = solved(s, tmp_path)
    assert term(result, "fairness") == 0


def test_cohesion_penalized(tmp_path):
    s = scenario([{"team_size": 2}], [{"id": "V1", "organization": "ORG1"},
                                      {"id": "V2", "organization": "ORG2"}])
    result = solved(s, tmp_path)
    assert term(result, "cohesion") == 1


def test_cohesion_unpenalized(tmp_path):
    # Given a choice, the team is formed from one organization.
    s = scenario([{"team_size": 2}], [{"id": "V1", "organization": "ORG1"},
                                      {"id": "V2", "organization": "ORG2"},
                                      {"id": "V3", "organization": "ORG1"}])
    result = solved(s, tmp_path)
    assert term(result, "cohesion") == 0
    assert sorted(result.pairs["volunteer_id"]) == ["V1", "V3"]


def test_objective_is_the_weighted_sum_and_bound_is_below_it(tmp_path):
    s = scenario([{"team_size": 2, "prefer": {"gender": "female"}}],
                 [{"id": "V1", "gender": "male", "organization": "ORG1"},
                  {"id": "V2", "organization": "ORG2", "lat": BASE_LAT + 0.005}])
    result = solved(s, tmp_path)
    summary = result.summary
    assert summary["objective"] == pytest.approx(sum(t["cost"] for t in summary["terms"].values()))
    assert summary["status"] == "optimal"
    assert summary["bound"] <= summary["objective"] + 1e-9
    assert summary["gap"] < 1e-3


def test_objective_change_of_a_piece_equals_the_change_of_the_whole_roster():
    # The search scores each step by the change alone; it must agree with scoring the whole
    # roster before and after, fairness (load above the fair share) included.
    station = matcher.read_scenario(ROOT / "scenarios" / "station" / "scenario.yaml")
    problem = compile_problem(station)
    options = visit_options(problem, candidate_pairs(problem), range(problem.n_residents))
    roster = greedy_roster(problem, options)
    load = volunteer_load_minutes(problem, roster)
    assert evaluate(problem, roster).values["fairness"] > 0
    rng = np.random.default_rng(7)
    for size in (1, 3, 8, 20):
        group = {int(r) for r in rng.choice(problem.n_residents, size=size, replace=False)}
        piece = roster.restricted_to(group, problem.need_resident)
        rest = roster.without(group, problem.need_resident)
        # The group served afresh as if nobody else were rostered: their volunteers' loads
        # rise above the fair share, so fairness moves too.
        for new in (Solution(), greedy_roster(problem, options, sorted(group))):
            whole_change = (evaluate(problem, rest.merged(new)).objective
                            - evaluate(problem, roster).objective)
            change = objective_change(problem, piece, new, load)
            assert change.value == pytest.approx(whole_change, abs=1e-6)
            assert np.allclose(change.load, volunteer_load_minutes(problem, rest.merged(new)))
