"""Residents with more volunteers within reach than a scenario affords keep the nearest.

Every volunteer left out of such a resident's candidates is at least `radius_km` away, the
current pairs stay, and every bound stays valid for the whole problem: it never exceeds a
roster CP-SAT proves optimal with every volunteer within reach a candidate. Here the share
is made tiny, so that a handful of volunteers is already too many.
"""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import matcher
from matcher import candidates as candidate_module
from matcher.candidates import candidate_pairs, nearest_share
from matcher.check import check_roster
from matcher.cli import main
from matcher.options import visit_options
from matcher.problem import compile_problem
from matcher.scenario import read_scenario
from matcher.solvers.bound import contested_lower_bound, instant_lower_bound, lower_bound
from matcher.solvers.lagrange import lagrangian_bound
from tests.scenarios import BASE_LAT, BASE_LON, scenario
from tests.test_solve import TINY, proven_optimum, random_scenarios, solved_examples


@contextmanager
def nearest(share: int):
    """Candidate pairs afforded: `share` per resident, however few that is."""
    with mock.patch.object(candidate_module, "LEAST_PAIRS_AFFORDED", 0), \
            mock.patch.object(candidate_module, "PAIRS_AFFORDED_PER_RESIDENT", share):
        yield


def test_the_share_is_the_most_each_may_keep_within_what_is_afforded():
    counts = np.array([1, 3, 10, 40])
    assert nearest_share(counts, 4) == np.inf  # 54 pairs: within the least afforded
    with nearest(5):  # 20 afforded: 1 + 3 + 8 + 8
        assert nearest_share(counts, 4) == 8
    with nearest(1):  # 4 afforded: 1 each
        assert nearest_share(counts, 4) == 1


def pairs_of(candidates) -> set[tuple[int, int]]:
    return set(zip(candidates.resident.tolist(), candidates.volunteer.tolist(), strict=True))


@solved_examples(60)
@given(random_scenarios(residents=(1, 5), volunteers=(4, 16), team_sizes=(1, 3)),
       st.integers(1, 4))
def test_every_volunteer_left_out_is_at_least_the_radius_away(s, share):
    problem = compile_problem(s)
    every = candidate_pairs(problem)
    with nearest(share):
        kept = candidate_pairs(problem)
    assert pairs_of(kept) <= pairs_of(every)
    distance = dict(zip(zip(every.resident.tolist(), every.volunteer.tolist(), strict=True),
                        every.distance_km.tolist(), strict=True))
    for r, v in pairs_of(every) - pairs_of(kept):
        assert distance[r, v] >= kept.radius_km[r]
    # Those nearer are all kept, and so are the current pairs.
    for (r, v), km in distance.items():
        if km < kept.radius_km[r] or (r, v) in problem.current_pairs:
            assert (r, v) in pairs_of(kept)
    # A resident keeps its nearest only while each of its needs keeps an option.
    options = visit_options(problem, kept)
    every_options = visit_options(problem, every)
    for n in range(problem.n_needs):
        if len(every_options.rows_of(n)):
            assert len(options.rows_of(n)), "a need lost every option"


@solved_examples(40)
@given(random_scenarios(residents=(1, 4), volunteers=(4, 12), team_sizes=(1, 3), most_needs=3),
       st.integers(1, 3))
def test_every_bound_with_the_nearest_only_stays_below_a_proven_optimum(s, share):
    proven = proven_optimum(s)  # every volunteer within reach a candidate
    if proven is None:
        return
    result, _ = proven
    problem = result.problem
    with nearest(share):
        options = visit_options(problem, candidate_pairs(problem))
    residents = range(problem.n_residents)
    optimum = result.objective + 1e-6
    assert lower_bound(problem, options, residents) <= optimum
    assert instant_lower_bound(problem, options, residents) <= optimum
    assert lagrangian_bound(problem, options, residents, target=result.objective) <= optimum
    for integer in (False, True):
        contested = contested_lower_bound(problem, options, residents, integer=integer)
        assert contested is None or contested <= optimum


@solved_examples(25)
@given(random_scenarios(residents=(1, 4), volunteers=(4, 12), team_sizes=(1, 2)),
       st.integers(1, 3))
def test_a_roster_of_the_nearest_only_is_valid_and_claims_no_more_than_it_knows(tmp_path, s,
                                                                                share):
    proven = proven_optimum(s)
    with nearest(share):
        result = matcher.solve(s, time_limit_s=5)
    assert check_roster(s, result.write(tmp_path / "roster")) == []
    if proven is not None:
        optimum = proven[0].objective + 1e-6
        assert result.bound is None or result.bound <= optimum
        if result.status == "optimal":
            assert result.objective <= optimum


def test_a_far_volunteer_left_out_is_allowed_for_in_the_bound():
    # R1's nearest volunteer is free on Monday only; the one left out, farther away, on
    # every weekday. With the nearest only, the bound must still allow for the farther one
    # making all three visits: it may not count two of them unmet.
    needs = [{"service": "companionship", "duration_min": 60, "visits_per_week": 3,
              "windows": ["Mon-Fri 09:00-12:00"]}]
    near = {"id": "V1", "lat": BASE_LAT + 0.002, "lon": BASE_LON,
            "availability": ["Mon 09:00-12:00"]}
    far = {"id": "V2", "lat": BASE_LAT + 0.01, "lon": BASE_LON,
           "availability": ["Mon-Fri 09:00-12:00"], "max_hours_per_week": 8}
    s = scenario([{"id": "R1", "needs": needs}], [near, far])
    every = matcher.solve(s, time_limit_s=10)
    assert every.status == "optimal" and len(every.visits) == 3
    with nearest(1):
        problem = compile_problem(s)
        kept = candidate_pairs(problem)
        options = visit_options(problem, kept)
        result = matcher.solve(s, time_limit_s=10)
    assert pairs_of(kept) == {(0, 0)} and kept.radius_km[0] > 0
    bound = lower_bound(problem, options, [0])
    assert bound <= every.objective + 1e-6
    # The roster of the nearest makes one visit; it is not called optimal.
    assert len(result.visits) == 1 and result.status != "optimal"
    assert result.bound <= every.objective + 1e-6


def test_validate_says_how_many_residents_keep_their_nearest_only(capsys):
    assert main(["validate", str(TINY)]) == 0
    assert "keep their nearest" not in capsys.readouterr().out
    with nearest(1):
        problem = compile_problem(read_scenario(TINY))
        kept = int(np.isfinite(candidate_pairs(problem).radius_km).sum())
        assert main(["validate", str(TINY)]) == 0
    assert kept > 0
    assert (f"{kept} residents with the most volunteers within reach keep their nearest only"
            in capsys.readouterr().out)
