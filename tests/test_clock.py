"""A roster the wall clock shaped says so: its status is `time limit`, never `feasible`.

Budgets are counted in CP-SAT's deterministic work so that the same inputs give the same
roster; a model or relaxation ended by the clock instead depends on the machine's speed
and load, and a user comparing runs (or a sweep's points) needs to know.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from ortools.sat.python import cp_model

import matcher
from matcher.candidates import candidate_pairs
from matcher.check import check_roster
from matcher.cli import main
from matcher.options import visit_options
from matcher.scenario import read_scenario
from matcher.solution import Solution
from matcher.solvers.cpsat import SolverParams, ended_by_clock, run_cp_sat, solve_part
from matcher.solvers.engine import StopFlag

ROOT = Path(__file__).resolve().parent.parent
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"


def crowded_assignment() -> cp_model.CpModel:
    """150 jobs on 150 tight agents: seconds to prove, far more than a tenth of one."""
    rng = random.Random(1)
    model = cp_model.CpModel()
    x = [[model.NewBoolVar("") for _ in range(150)] for _ in range(150)]
    for row in x:
        model.AddExactlyOne(row)
    for j in range(150):
        model.Add(sum(x[i][j] * rng.randint(1, 9) for i in range(150)) <= 6)
    model.Minimize(sum(rng.randint(1, 100) * x[i][j] for i in range(150) for j in range(150)))
    return model


def test_a_model_is_said_to_end_on_the_clock_only_when_the_clock_ended_it():
    params = SolverParams(seed=0)
    solver, code = run_cp_sat(crowded_assignment(), params, time_limit=0.1, work_limit=100.0)
    assert code != cp_model.OPTIMAL
    assert ended_by_clock(solver, code, 100.0)
    # Ended on its work limit: another run ends at the same point.
    solver, code = run_cp_sat(crowded_assignment(), params, time_limit=60.0, work_limit=0.05)
    assert code != cp_model.OPTIMAL
    assert not ended_by_clock(solver, code, 0.05)
    # Proved: nothing was cut.
    small = cp_model.CpModel()
    x = small.NewIntVar(0, 10, "x")
    small.Minimize(x)
    solver, code = run_cp_sat(small, params, time_limit=0.1, work_limit=100.0)
    assert code == cp_model.OPTIMAL and not ended_by_clock(solver, code, 100.0)


def test_a_stopped_model_is_not_said_to_end_on_the_clock():
    stop = StopFlag()
    stop.stop("interrupted")
    params = SolverParams(seed=0)
    solver, code = run_cp_sat(crowded_assignment(), params, time_limit=0.1, work_limit=100.0)
    assert not ended_by_clock(solver, code, 100.0, stop)


def test_a_part_model_cut_by_the_clock_is_flagged_and_one_ended_by_its_work_is_not():
    problem = matcher.solve(STATION, method="greedy").problem
    options = visit_options(problem, candidate_pairs(problem), range(problem.n_residents))
    residents = list(range(problem.n_residents))
    # The whole station in one model is far from proved in a third of a second.
    cut = solve_part(problem, options, residents, Solution(),
                     SolverParams(time_limit_s=0.3, work_limit=100.0, seed=0))
    assert cut.clock_ended and cut.status != "optimal"
    worked = solve_part(problem, options, residents, Solution(),
                        SolverParams(time_limit_s=60.0, work_limit=0.05, seed=0))
    assert not worked.clock_ended and worked.status != "optimal"


def test_a_station_whose_integer_relaxation_the_clock_cut_says_time_limit(tmp_path, capsys):
    # With a second and a half, the station's integer relaxation (about 5 s here) is cut
    # before it is proved: a faster run would start the search from its teams.
    out = tmp_path / "roster"
    assert main(["solve", str(STATION), "--time-limit", "1.5", "--workers", "1",
                 "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "status time limit" in printed
    assert "cut short by the time limit: a longer --time-limit may do better" in printed
    assert check_roster(read_scenario(STATION), out) == []


def test_the_clock_keeps_back_only_the_reports_time_and_the_budgets_more(monkeypatch):
    # The steps are sized with a margin for a slower machine; the clock, the safety net,
    # runs on to what the reasons and tables after the search need, so a slow run ends on
    # its budgets where it can. District: 5,000 residents and volunteers.
    from matcher import api
    from matcher.solvers import engine

    seen = {}

    def greedy_instead(problem, params, **kwargs):
        seen["params"] = params
        return engine.greedy_outcome(problem)

    monkeypatch.setattr(api, "solve_problem", greedy_instead)
    scenario = read_scenario(ROOT / "scenarios" / "district" / "scenario.yaml")
    started = time.monotonic()
    result = matcher.solve(scenario, time_limit_s=60)
    took = time.monotonic() - started  # compiling the problem is part of it
    entities = result.problem.n_residents + result.problem.n_volunteers
    params = seen["params"]
    assert params.budget_s == 60 - api.BUDGET_KEPT_PER_ENTITY * entities
    clock = 60 - api.REPORT_SECONDS_PER_ENTITY * entities
    assert clock - took <= params.time_limit_s < clock
    assert api.REPORT_SECONDS_PER_ENTITY < api.BUDGET_KEPT_PER_ENTITY
