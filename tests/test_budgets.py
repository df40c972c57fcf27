"""Step budgets: sized from counts alone, and fitting the time they are sized for."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.solvers import budgets
from matcher.solvers.cpsat import WORK_PER_SECOND


def nominal_seconds(steps: budgets.Steps, budget: float, residents: int, pairs: int,
                    workers: int, alone_early: bool) -> float:
    """What the steps and the uncounted work cost at the figures the budgets assume."""
    uncounted = (budgets.PREPARE_SECONDS_PER_PAIR * pairs
                 + budgets.FINISH_SECONDS_PER_RESIDENT * residents
                 + (budgets.GREEDY_SECONDS_PER_RESIDENT + budgets.PLAN_SECONDS_PER_RESIDENT)
                 * residents / workers)
    if alone_early:
        uncounted += budgets.ALONE_BOUND_SECONDS_PER_PAIR * pairs / workers
    block_cost = (budgets.SECONDS_PER_BLOCK * steps.block_work / budgets.BLOCK_WORK
                  * (budgets.SIDE_BY_SIDE_COST / workers if workers > 1 else 1))
    # Repairs beside a bound worked out on another process take that bound's time, which
    # the clock keeps apart: they are not counted here.
    return (uncounted + steps.blocks * block_cost + steps.rounds * budgets.SECONDS_PER_ROUND
            + steps.repairs * budgets.SECONDS_PER_REPAIR + steps.schedule_work / WORK_PER_SECOND)


@given(budget=st.floats(30, 900), residents=st.integers(1, 60_000),
       pairs_each=st.integers(0, 300), workers=st.integers(1, 4), alone_early=st.booleans(),
       beside_s=st.floats(0, 60))
def test_steps_and_uncounted_work_fit_the_budget_less_the_margin(budget, residents, pairs_each,
                                                                  workers, alone_early, beside_s):
    pairs = residents * pairs_each
    steps = budgets.steps_for(budget, residents, pairs, workers, alone_early, beside_s)
    # The repairs beside a bound fill its time, unless the budget holds no more than the
    # least blocks, and change nothing else.
    assert steps.repairs_beside * budgets.SECONDS_PER_REPAIR <= beside_s + 1e-9
    assert ((steps.repairs_beside + 1) * budgets.SECONDS_PER_REPAIR > beside_s
            or (steps.repairs_beside == 0 and steps.blocks == 4))
    assert replace(steps, repairs_beside=0) == budgets.steps_for(budget, residents, pairs,
                                                                 workers, alone_early)
    # The least steps: 4 blocks and two search steps, or their worth in repairs.
    least_search = steps.rounds == 2 or (steps.rounds == 0 and steps.repairs
                                         * budgets.SECONDS_PER_REPAIR <= 2 * budgets.SECONDS_PER_ROUND)
    if steps.blocks == 4 and least_search:
        return  # a budget too small for any steps: the least steps run and the clock cuts
    cost = nominal_seconds(steps, budget, residents, pairs, workers, alone_early)
    uncounted = nominal_seconds(budgets.Steps(0, 0.0, 0), budget, residents, pairs, workers,
                                alone_early)
    assert cost + budgets.UNCOUNTED_MARGIN * uncounted <= budget * (1 - budgets.STEPS_MARGIN) + 1e-6


def test_a_district_keeps_its_full_budget_and_a_city_gives_the_search_time_to_blocks():
    district = budgets.steps_for(58.3, 1_000, 222_277, 1, False)
    # 45 % of the budget for blocks, 25 % for the search: 15 % of it for repairs first.
    assert (district.blocks, district.rounds, district.repairs) == (52, 4, 109)
    city = budgets.steps_for(75.0, 15_000, 2_043_242, 2, True)
    # The city's uncounted work takes half the budget, and one pass of 48-resident blocks
    # is out of reach, so blocks get the search's time but for the least, ...
    # two search steps' worth, spent on repairs.
    assert (city.rounds, city.repairs) == (0, 32)
    assert city.repairs_beside == 0  # none without a bound to work out beside them
    # With the city's priced bound on another process, repairs fill the estimated time of
    # its steps over the 2,043,242 pairs.
    beside = budgets.priced_seconds(2_043_242)
    assert beside == pytest.approx(8.17, abs=0.01)
    city = budgets.steps_for(75.0, 15_000, 2_043_242, 2, True, beside)
    assert (city.rounds, city.repairs, city.repairs_beside) == (0, 32, 102)
    # Twice the city in the same time cannot even hold the least steps: no more repairs.
    larger = budgets.steps_for(67.5, 30_000, 4_101_848, 2, True, 2 * beside)
    assert (larger.blocks, larger.repairs_beside) == (4, 0)
    # ... at half the work each, so that twice as many are re-chosen.
    assert city.block_work == budgets.BROAD_BLOCK_SHARE * budgets.BLOCK_WORK
    assert 120 < city.blocks < 240  # of the city's 313 blocks of 48 residents
    assert district.block_work == budgets.BLOCK_WORK
    assert nominal_seconds(city, 75.0, 15_000, 2_043_242, 2, True) <= 0.97 * 75.0


def test_a_priced_bound_short_of_time_takes_the_steps_that_fit_or_none():
    assert budgets.priced_steps(20.0, 8.0) == budgets.PRICED_STEPS
    # 8 s for 100 steps, 5 s left: 80 % of the 5 s holds 50 of them.
    assert budgets.priced_steps(5.0, 8.0) == 50
    assert budgets.priced_steps(0.5, 8.0) == 0  # 5 steps are not worth starting
    assert budgets.priced_steps(-1.0, 8.0) == 0


def test_a_registry_sized_solve_keeps_its_compiling_out_of_its_budgets():
    from matcher.api import (
        COMPILE_SECONDS_PER_VOLUNTEER,
        REPORT_SECONDS_PER_ENTITY,
        REPORT_SHARE,
        step_budget_seconds,
    )

    # The city preset keeps its margin (15 s of 90), as do smaller scenarios.
    assert step_budget_seconds(90.0, 15_000, 60_000) == pytest.approx(75.0)
    assert step_budget_seconds(60.0, 1_000, 4_000) == pytest.approx(59.0)
    # Beside the scheme's 1,473,700 volunteers, the budgets fit in what the clock leaves
    # once the reports' reserve and the compiling (9-15 s there) are taken off.
    residents, volunteers = 15_000, 1_473_700
    reserve = min(REPORT_SHARE * 90.0, REPORT_SECONDS_PER_ENTITY * (residents + volunteers))
    compiling = COMPILE_SECONDS_PER_VOLUNTEER * volunteers
    assert compiling >= 14.0
    assert step_budget_seconds(90.0, residents, volunteers) <= 90.0 - reserve - compiling


def test_only_the_bounds_worked_out_after_the_search_are_kept_off_its_clock():
    # City preset in one process: 2.04 M candidate pairs, about 500,000 of them the teams'.
    pairs, team_pairs = 2_043_242, 498_382
    # Its alone bound is worked out before the search, on the search's clock: only the
    # priced bound, worked out after, is kept off it (with the alone bound's 11 s kept
    # off too, a 60 s limit left a search clock that ended before the alone bound did).
    assert budgets.kept_after_search(pairs, 46.0, False, team_pairs) == pytest.approx(
        budgets.priced_seconds(pairs, team_pairs))
    # On the workers, the priced bound runs beside the repairs: nothing is kept.
    assert budgets.kept_after_search(pairs, 46.0, True, team_pairs) == 0.0
    # A part small enough for the contested relaxation works it out after its search.
    kept = budgets.kept_after_search(20_000, 40.0, False, 5_000)
    assert kept == pytest.approx(budgets.bound_seconds(20_000, 40.0)) and kept > 0
