"""The contested bound on rosters small enough to work out by hand: each rule it models
lifts it to the exact optimum, which CP-SAT proves on the same scenario."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import matcher
from matcher.candidates import candidate_pairs
from matcher.check import check_roster
from matcher.options import visit_options
from matcher.solvers.bound import contested_lower_bound, instant_lower_bound, lower_bound
from tests.scenarios import BASE_LAT, scenario

ROOT = Path(__file__).resolve().parents[1]
# A relaxation's bound is its solver's value less an allowance for the solver's own error,
# which grows with the cost of leaving everyone unserved: on these scenarios under 1e-3.
SOLVED = 1e-3


def bounds(s) -> tuple[float, dict[bool, float], float]:
    """The optimum, the contested bound as a linear and an integer program, and the alone
    bound, of scenario s."""
    result = matcher.solve(s, time_limit_s=20)
    assert result.status == "optimal"
    problem = result.problem
    options = visit_options(problem, candidate_pairs(problem))
    residents = range(problem.n_residents)
    contested = {integer: contested_lower_bound(problem, options, residents, integer=integer)
                 for integer in (False, True)}
    return result.objective, contested, lower_bound(problem, options, residents)


def test_a_shared_visit_needs_an_attendee_with_each_skill():
    # Escort asks for first_aid and rehab; two volunteers go together, and neither has
    # rehab, so the visit cannot be made (priority 3: 3,000), though the team is complete.
    s = scenario([{"team_size": 2, "priority": 3,
                   "needs": [{"service": "escort", "duration_min": 60, "volunteers_per_visit": 2,
                              "windows": ["Mon-Fri 09:00-12:00"]}]}],
                 [{"id": "V1", "skills": ["first_aid"]}, {"id": "V2", "skills": ["first_aid"]}])
    optimum, contested, _ = bounds(s)
    assert optimum == pytest.approx(3000)
    assert contested[False] == pytest.approx(optimum, abs=SOLVED)
    assert contested[True] == pytest.approx(optimum, abs=SOLVED)


def test_work_above_the_fair_share_is_counted():
    # 60 min of demand, two volunteers offering 240 min: a share of 30 min each, so the one
    # who visits works 0.5 h above it (weight 5). Only whole pairs see it: the linear
    # program may send each volunteer half the visit, 30 min, within both shares. The
    # alone bound counts it: the resident's own visits put their volunteer above the share.
    s = scenario([{}], [{"id": "V1"}, {"id": "V2"}])
    optimum, contested, alone = bounds(s)
    assert optimum == pytest.approx(2.5)
    assert contested[True] == pytest.approx(optimum, abs=SOLVED)
    assert contested[False] <= optimum
    assert alone == pytest.approx(optimum, abs=SOLVED) and alone <= optimum


def test_a_teams_work_above_the_fair_share_is_counted():
    # A visit of two, 60 min, by two of three volunteers offering 240 min each: a share of
    # 40 min each, so both members work 20 min above it (weight 5 an hour).
    needs = [{"service": "companionship", "duration_min": 60, "volunteers_per_visit": 2,
              "windows": ["Mon 09:00-12:00"]}]
    s = scenario([{"team_size": 2, "needs": needs}],
                 [{"id": "V1"}, {"id": "V2"}, {"id": "V3"}])
    optimum, contested, alone = bounds(s)
    assert optimum == pytest.approx(2 * 20 / 60 * 5)
    assert alone == pytest.approx(optimum, abs=SOLVED) and alone <= optimum
    assert contested[True] == pytest.approx(optimum, abs=SOLVED)


@pytest.mark.parametrize("team_size, together", [(1, 1), (2, 2)])
def test_fairness_dearer_than_a_visit_is_left_out_of_the_bounds(team_size, together):
    # At 100,000 an hour above the share, the visit (0.5 h above it for each attendee)
    # costs more than the 1,000 it saves, so the optimum leaves it unmade: a bound that
    # charged the share for every visit the hours allow would be above it.
    from matcher.solvers.lagrange import lagrangian_bound

    needs = [{"service": "companionship", "duration_min": 60,
              "volunteers_per_visit": together, "windows": ["Mon 09:00-12:00"]}]
    volunteers = [{"id": f"V{i}"} for i in range(2 * together)]
    result = matcher.solve(scenario([{"team_size": team_size, "needs": needs}], volunteers),
                           time_limit_s=20, fairness=100_000)
    assert result.status == "optimal"
    assert result.summary["coverage"]["visits_scheduled"] == 0
    problem = result.problem
    options = visit_options(problem, candidate_pairs(problem))
    alone = lower_bound(problem, options, range(1))
    priced = lagrangian_bound(problem, options, range(1), target=result.objective)
    assert alone <= result.objective + 1e-6
    assert priced <= result.objective + 1e-6


def test_loads_rounded_up_to_the_millisecond_never_lift_a_bound_above_the_optimum():
    # The walk there and back is a fraction of a millisecond short of the load the solvers
    # count; at 500 an hour above the share, counting that fraction would put the integer
    # program's bound 5e-5 above the optimum it proves.
    s = scenario([{}], [{"id": "V1", "lat": BASE_LAT + 0.0011},
                        {"id": "V2", "lat": BASE_LAT + 0.0011}])
    result = matcher.solve(s, time_limit_s=20, fairness=500)
    assert result.status == "optimal"
    problem = result.problem
    options = visit_options(problem, candidate_pairs(problem))
    for integer in (False, True):
        contested = contested_lower_bound(problem, options, range(1), integer=integer)
        assert contested <= result.objective
    assert lower_bound(problem, options, range(1)) <= result.objective


def test_a_team_across_two_organizations_is_counted():
    s = scenario([{"team_size": 2}], [{"id": "V1", "organization": "ORG1"},
                                      {"id": "V2", "organization": "ORG2"}])
    optimum, contested, _ = bounds(s)
    assert optimum == pytest.approx(2 + 2 * 0.5 * 5 / 2)  # cohesion, and fairness
    assert contested[True] == pytest.approx(optimum, abs=SOLVED)


def test_whole_visits_only_as_an_integer_program():
    # Two residents want one 60 min visit each from the one volunteer, who has 90 min a
    # week: only one visit can be made. The linear program may make one and a half.
    s = scenario([{"id": "R1", "priority": 2}, {"id": "R2", "priority": 2}],
                 [{"id": "V1", "max_hours_per_week": 1.5, "max_residents": 2}])
    optimum, contested, _ = bounds(s)
    assert optimum == pytest.approx(2000)
    assert contested[True] == pytest.approx(optimum, abs=SOLVED)
    assert contested[False] < optimum


@pytest.mark.parametrize("workers", [1, 2])  # solved before the search, or beside it
def test_a_part_whose_relaxation_is_exact_is_solved_to_proven_optimality(tmp_path, workers):
    # Nine residents (more than one exact model takes) and nine volunteers, each volunteer
    # for one resident: the best roster is the cheapest matching, which the integer
    # relaxation finds and proves; the roster made from its teams meets its bound.
    residents = [{"id": f"R{i}", "lat": BASE_LAT + 0.002 * i} for i in range(9)]
    volunteers = [{"id": f"V{j}", "lat": BASE_LAT + 0.002 * j + 0.0007 * (j % 3),
                   "max_residents": 1} for j in range(9)]
    s = scenario(residents, volunteers)
    result = matcher.solve(s, time_limit_s=20, workers=workers)
    assert check_roster(s, result.write(tmp_path / "roster")) == []
    assert result.status == "optimal"
    assert result.objective - SOLVED <= result.summary["bound"] <= result.objective
    assert result.summary["coverage"]["visits_scheduled"] == 9


def test_a_station_with_a_resident_apart_is_still_proven_optimal(tmp_path):
    # The same nine, and a tenth resident 0.5 degree away with a volunteer of their own:
    # a second part, solved by one exact model. The first part's proof must not count the
    # tenth resident as unserved.
    residents = [{"id": f"R{i}", "lat": BASE_LAT + 0.002 * i} for i in range(9)]
    residents.append({"id": "R9", "lat": BASE_LAT + 0.5})
    volunteers = [{"id": f"V{j}", "lat": BASE_LAT + 0.002 * j + 0.0007 * (j % 3),
                   "max_residents": 1} for j in range(9)]
    volunteers.append({"id": "V9", "lat": BASE_LAT + 0.5})
    s = scenario(residents, volunteers)
    lines: list[str] = []
    result = matcher.solve(s, time_limit_s=20, progress=lines.append)
    assert "2 independent parts" in lines[0]
    assert check_roster(s, result.write(tmp_path / "roster")) == []
    assert result.status == "optimal"
    assert result.objective - SOLVED <= result.summary["bound"] <= result.objective


def test_pricing_volunteers_at_zero_gives_the_alone_bound():
    from matcher.problem import compile_problem
    from matcher.scenario import read_scenario
    from matcher.solvers.lagrange import priced_pairs, priced_value

    problem = compile_problem(read_scenario(ROOT / "scenarios" / "station" / "scenario.yaml"))
    options = visit_options(problem, candidate_pairs(problem))
    residents = range(problem.n_residents)
    pairs = priced_pairs(problem, options, residents)
    zero = np.zeros(problem.n_volunteers)
    value, _, _ = priced_value(pairs, zero, zero)
    assert value == pytest.approx(lower_bound(problem, options, residents))


def test_a_place_two_residents_want_is_priced_until_one_goes_further():
    # Both want V1 (next door, one place); V2 is 0.01 degree away (1.45 km of travel). The
    # alone bound gives both V1; priced, one of them pays for V2's distance.
    from matcher.solvers.lagrange import lagrangian_bound

    s = scenario([{"id": "R1"}, {"id": "R2"}],
                 [{"id": "V1", "max_residents": 1},
                  {"id": "V2", "lat": BASE_LAT + 0.01, "max_residents": 1}])
    result = matcher.solve(s, time_limit_s=20)
    problem = result.problem
    options = visit_options(problem, candidate_pairs(problem))
    alone = lower_bound(problem, options, range(2))
    priced = lagrangian_bound(problem, options, range(2), target=result.objective)
    assert alone < priced <= result.objective + 1e-6
    # Fairness too: V2's walk there and back puts it above its share, and so does the
    # priced choice of V2 by either resident.
    assert result.evaluation.costs["fairness"] > 0
    assert priced == pytest.approx(result.objective, abs=1e-3)


def test_a_team_pays_for_a_place_the_one_to_one_residents_bid_up():
    # R1 and R2 bid V1's one place up; team R3 would also take V1 into its team. Priced
    # alone, the team keeps V1 for free; priced with the others, it pays for V1's place or
    # for V2 and V3's distance.
    from matcher.solvers.lagrange import lagrangian_bound

    far = {"lat": BASE_LAT + 0.01, "max_residents": 3}
    s = scenario([{"id": "R1"}, {"id": "R2"}, {"id": "R3", "team_size": 2}],
                 [{"id": "V1", "max_residents": 1}, {"id": "V2", **far}, {"id": "V3", **far}])
    result = matcher.solve(s, time_limit_s=20)
    assert result.status == "optimal"
    problem = result.problem
    options = visit_options(problem, candidate_pairs(problem))
    priced = {teams: lagrangian_bound(problem, options, range(3), target=result.objective,
                                      price_teams=teams) for teams in (False, True)}
    assert lower_bound(problem, options, range(3)) < priced[False]
    assert priced[False] + 1 < priced[True] <= result.objective + 1e-6


def test_a_candidate_dominated_alone_can_be_the_cheapest_at_prices():
    # V3 is farther than V1 and V2 and no better otherwise: alone, a team of two never
    # needs it. With V1's and V2's hours priced far above a visit's worth, V3 makes the
    # visit (1.45 km each way) instead of it going unmet (1,000).
    from matcher.problem import compile_problem
    from matcher.solvers.team_bound import Prices, best_team

    problem = compile_problem(scenario([{"team_size": 2}], [
        {"id": "V1"}, {"id": "V2"}, {"id": "V3", "lat": BASE_LAT + 0.01}]))
    options = visit_options(problem, candidate_pairs(problem))
    alone = best_team(problem, options, 0)
    assert 2 not in alone.members
    priced = best_team(problem, options, 0, prices=Prices(np.array([1e4, 1e4, 0.0]),
                                                          np.zeros(3)))
    assert 2 in priced.members
    assert alone.cost < priced.cost < alone.cost + 10


def test_a_team_of_two_cannot_staff_three_volunteers_days():
    # Three needs, one a day, and one volunteer free on each day: a team of two makes two
    # of the three visits, whoever is on it, and the alone bound counts the third unmet.
    days = ["Mon", "Tue", "Wed"]
    needs = [{"service": service, "duration_min": 60, "windows": [f"{d} 09:00-12:00"]}
             for service, d in zip(["companionship", "rehab", "escort"], days, strict=True)]
    volunteers = [{"id": f"V{i}", "availability": [f"{d} 08:00-20:00"],
                   "skills": ["first_aid", "rehab"]} for i, d in enumerate(days)]
    optimum, _, alone = bounds(scenario([{"team_size": 2, "needs": needs}], volunteers))
    assert alone == pytest.approx(1000)  # each need taking its own volunteer would give 0
    assert alone <= optimum < 1000 + 100  # the rest is fairness


def test_a_team_bound_with_distance_weighed_zero_is_a_number():
    # A team's candidate who cannot make a need is priced out at an infinite distance;
    # with distance weighed 0 that must still rule them out, not make the cost undefined
    # (0 times infinity), nor print a warning in the middle of a solve.
    volunteers = [{"id": "V1"}, {"id": "V2"},
                  {"id": "V3", "availability": ["Sat-Sun 18:00-20:00"]}]
    s = scenario([{"team_size": 2}], volunteers, config={"weights": {"distance_km": 0}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimum, _, alone = bounds(s)
    assert 0 <= alone <= optimum + SOLVED


def test_a_member_without_the_hours_for_two_needs_makes_one():
    # Both needs fall on V1 (rehab, and escort with V2, who has no skill): V1's 1.5 h
    # hold one of the two 60 min visits with the walk there and back, not both. The linear
    # program alone would share V1 out in fractions (594); the team's alone bound is the
    # floor of its cost there too, which lifts it to the optimum.
    needs = [{"service": "rehab", "duration_min": 60, "windows": ["Mon-Fri 09:00-12:00"]},
             {"service": "escort", "duration_min": 60, "volunteers_per_visit": 2,
              "windows": ["Mon-Fri 09:00-12:00"]}]
    volunteers = [{"id": "V1", "skills": ["first_aid", "rehab"], "max_hours_per_week": 1.5,
                   "lat": BASE_LAT + 0.001},
                  {"id": "V2"}]
    optimum, contested, alone = bounds(scenario([{"team_size": 2, "needs": needs}], volunteers))
    assert 1000 <= alone <= optimum + 1e-6
    assert contested[False] == pytest.approx(optimum, abs=SOLVED)


@pytest.mark.parametrize("end, unmet", [("17:00", 1000), ("18:00", 0)])
def test_two_needs_that_share_one_day_count_as_they_fit_one_after_the_other(end, unmet):
    # Both needs can only be met on Monday from 16:00 (V1 is free from then) until `end`.
    # A resident's visits never overlap, so 60 + 45 min fit by 18:00, not by 17:00: then
    # one visit is unmet (1,000). Counted need by need, both would be made and every bound
    # would be about 0.
    from matcher.solvers.lagrange import lagrangian_bound

    needs = [{"service": "companionship", "duration_min": 60, "windows": [f"Mon 14:30-{end}"]},
             {"service": "rehab", "duration_min": 45, "windows": [f"Mon 15:00-{end}"]}]
    s = scenario([{"needs": needs}], [{"id": "V1", "availability": ["Mon 16:00-21:00"],
                                       "skills": ["rehab"]}])
    optimum, contested, alone = bounds(s)
    assert unmet <= optimum < unmet + 100  # the rest is fairness
    assert unmet - SOLVED <= alone <= optimum + 1e-6
    assert contested[True] == pytest.approx(optimum, abs=SOLVED)
    problem = matcher.solve(s, time_limit_s=20).problem
    options = visit_options(problem, candidate_pairs(problem))
    priced = lagrangian_bound(problem, options, [0], target=optimum)
    assert unmet - SOLVED <= priced <= optimum + 1e-6


@pytest.mark.parametrize("service, together, days, unmet", [
    # Two visits a week, both members free on Monday only: one visit (H3 distinct days).
    ("companionship", 1, ["Mon", "Mon"], 1000),
    # A visit made together by two members never free on the same day: none.
    ("escort", 2, ["Mon", "Tue"], 1000),
])
def test_a_teams_visits_are_counted_on_days_its_members_are_free(service, together, days,
                                                                  unmet):
    need = {"service": service, "duration_min": 60, "volunteers_per_visit": together,
            "visits_per_week": 2 if together == 1 else 1, "windows": ["Mon-Fri 09:00-12:00"]}
    volunteers = [{"id": f"V{i}", "availability": [f"{day} 08:00-20:00"],
                   "skills": ["first_aid", "rehab"]} for i, day in enumerate(days)]
    optimum, contested, alone = bounds(scenario([{"team_size": 2, "needs": [need]}],
                                                volunteers))
    assert unmet <= optimum < unmet + 100  # the rest is fairness
    assert contested[True] == pytest.approx(optimum, abs=SOLVED)
    assert unmet <= alone <= optimum + 1e-6


def test_the_instant_bound_counts_what_no_roster_can_avoid():
    # A team of three (priority 2) with two volunteers who may pair with it, both free on
    # Monday only, for two escorts a week made together: one escort (2,000) and one member
    # (600) are missing whoever is chosen, and the current pair with V3, now out of reach,
    # is dropped (50). The alone bound, which sees the rest, is at least that.
    need = {"service": "escort", "duration_min": 60, "volunteers_per_visit": 2,
            "visits_per_week": 2, "windows": ["Mon-Fri 09:00-12:00"]}
    volunteers = [{"id": "V1", "availability": ["Mon 08:00-20:00"],
                   "skills": ["first_aid", "rehab"]},
                  {"id": "V2", "availability": ["Mon 08:00-20:00"]},
                  {"id": "V3", "lat": BASE_LAT + 1.0}]
    s = scenario([{"team_size": 3, "priority": 2, "needs": [need]}], volunteers,
                 current=[("R1", "V3")])
    optimum, _, alone = bounds(s)
    problem = matcher.solve(s, method="greedy").problem
    options = visit_options(problem, candidate_pairs(problem))
    instant = instant_lower_bound(problem, options, [0])
    assert instant == pytest.approx(2000 + 600 + 50)
    assert instant <= alone <= optimum + 1e-6


def test_whole_residents_in_a_volunteers_hours_lift_the_priced_bound_to_the_optimum():
    # One volunteer with 2 h a week; two residents next door each want one visit of 75 min.
    # Only one visit fits, so the optimum leaves one unmade (1,000; both stay paired). The
    # priced bound is a linear relaxation: at 800 an hour both visits are worth just as
    # little as none, so it counts 1.6 of them (400). Priced the other way round, the
    # volunteer takes whole residents within their own 2 h: one visit, the optimum.
    from matcher.solvers.lagrange import (
        lagrangian_bound,
        priced_pairs,
        priced_value,
        resident_gains,
    )
    from matcher.solvers.team_bound import Prices
    from matcher.solvers.volunteer_side import volunteer_side_value

    need = [{"service": "companionship", "duration_min": 75, "windows": ["Mon-Fri 09:00-12:00"]}]
    s = scenario([{"id": "R1", "needs": need}, {"id": "R2", "needs": need}],
                 [{"id": "V1", "max_hours_per_week": 2}])
    result = matcher.solve(s, time_limit_s=20)
    assert result.status == "optimal" and result.objective == pytest.approx(1000)
    problem = result.problem
    options = visit_options(problem, candidate_pairs(problem))
    pairs = priced_pairs(problem, options, range(2))
    hour = np.full(problem.n_volunteers, 800.0)
    place = np.zeros(problem.n_volunteers)
    assert priced_value(pairs, hour, place)[0] == pytest.approx(400, abs=1e-3)
    at_800 = volunteer_side_value(pairs, resident_gains(pairs, Prices(hour, place)))
    assert at_800 == pytest.approx(1000, abs=1e-3)
    # Where a visit is still worth its hours (700 an hour), each resident's price is higher
    # and the bound lower, but still above the linear relaxation's.
    below = volunteer_side_value(pairs, resident_gains(
        pairs, Prices(np.full(problem.n_volunteers, 700.0), place)))
    assert 400 < below < 1000
    found = lagrangian_bound(problem, options, range(2), target=result.objective)
    assert 400 < found <= result.objective + 1e-6
