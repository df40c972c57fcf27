"""The team choice's start: residents by priority, each taking their best plan at prices on
volunteers' hours and places, so that a volunteer in demand goes where nobody else could."""

from __future__ import annotations

import math
from pathlib import Path

import matcher
from matcher.candidates import candidate_pairs
from matcher.objective import unserved_cost
from matcher.options import visit_options
from matcher.scenario import read_scenario
from matcher.solvers import teams
from matcher.solvers.plans import resident_plans
from matcher.solvers.priced_start import priced_choice
from tests.scenarios import BASE_LAT, BASE_LON, scenario

ROOT = Path(__file__).resolve().parents[1]


def plans_of(s):
    problem = matcher.solve(s, method="greedy").problem
    options = visit_options(problem, candidate_pairs(problem), range(problem.n_residents))
    residents = list(range(problem.n_residents))
    plans = [plan for r in residents for plan in resident_plans(problem, options, r)]
    return problem, residents, plans


def test_a_volunteer_in_demand_goes_to_the_resident_nobody_else_can_serve():
    # V1 lives by both residents and takes one resident only. R1 (priority 3, so first
    # in line) could also have V2, 2.9 km away; R2 has nobody but V1 within reach.
    # Taking by priority alone gives R1 V1 and leaves R2 without anyone; at prices, V1's
    # one place costs more than R1 saves by V1 over V2.
    s = scenario(
        [{"id": "R1", "priority": 3},
         {"id": "R2", "priority": 1, "lat": BASE_LAT - 0.01}],
        [{"id": "V1", "max_residents": 1, "lat": BASE_LAT - 0.005},
         {"id": "V2", "lat": BASE_LAT + 0.02, "max_distance_km": 3},
         {"id": "V3", "lat": BASE_LAT + 0.5, "lon": BASE_LON}])
    problem, residents, plans = plans_of(s)
    by_resident = {}
    for plan in plans:
        by_resident.setdefault(plan.resident, []).append(plan)
    greedy, _ = teams._greedy_plans(problem, by_resident, residents, {})
    assert {r: plan.team for r, plan in greedy.items()} == {0: (0,)}

    chosen, claims = teams._start(problem, by_resident, residents, {})
    assert {r: plan.team for r, plan in chosen.items()} == {0: (1,), 1: (0,)}
    assert claims.count == {0: 1, 1: 1}


def test_the_priced_start_keeps_every_limit_and_is_never_worse_than_the_greedy_one():
    s = read_scenario(ROOT / "scenarios" / "station" / "scenario.yaml")
    problem, residents, plans = plans_of(s)
    empty = {r: unserved_cost(problem, [r]) for r in residents}
    order = sorted(residents, key=lambda r: (-int(problem.resident_priority[r]), r))
    by_resident = {}
    for plan in plans:
        by_resident.setdefault(plan.resident, []).append(plan)
    greedy, _ = teams._greedy_plans(problem, by_resident, residents, {})
    known = sum(plan.cost - empty[r] for r, plan in greedy.items())

    chosen = priced_choice(problem, plans, empty, order, known)
    hours: dict[int, int] = {}
    places: dict[int, int] = {}
    for r, plan in chosen.items():
        assert plan.resident == r and plan in by_resident[r]
        assert plan.cost < empty[r]
        for v, ms in zip(plan.team, plan.load_ms, strict=True):
            hours[v] = hours.get(v, 0) + ms
            places[v] = places.get(v, 0) + 1
    for v, ms in hours.items():
        assert ms <= math.floor(float(problem.volunteer_max_minutes[v]) * 60_000)
        assert places[v] <= int(problem.volunteer_max_residents[v])

    start, _ = teams._start(problem, by_resident, residents, {})
    assert sum(plan.cost - empty[r] for r, plan in start.items()) <= known
    # The same plans give the same start.
    assert priced_choice(problem, plans, empty, order, known) == chosen
