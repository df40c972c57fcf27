"""The search's steps: the roster kept by resident and volunteer, and residents re-solved
alone where their unmet visits cost most above their alone bounds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from matcher.candidates import candidate_pairs
from matcher.check import check_roster
from matcher.objective import evaluate
from matcher.options import visit_options
from matcher.output import roster_files, write_folder
from matcher.problem import compile_problem
from matcher.roster import build_roster
from matcher.scenario import read_scenario
from matcher.solution import Solution
from matcher.solvers import search
from matcher.solvers.bound import resident_lower_bound
from matcher.solvers.cpsat import SolverParams
from matcher.solvers.engine import StopFlag
from matcher.solvers.greedy import greedy_roster
from matcher.solvers.roster_index import RosterIndex
from matcher.unmet import unmet_needs

ROOT = Path(__file__).resolve().parents[1]
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"


@pytest.fixture(scope="module")
def station():
    problem = compile_problem(read_scenario(STATION))
    candidates = candidate_pairs(problem)
    options = visit_options(problem, candidates)
    greedy = greedy_roster(problem, options, list(range(problem.n_residents)))
    return problem, candidates, options, greedy


def test_the_index_gives_back_the_roster_and_the_rest_around_some_volunteers(station):
    problem, _, _, greedy = station
    index = RosterIndex(problem, greedy)
    assert index.solution() == greedy
    r, v = greedy.pairs[0]
    around = index.around({v}, [r])
    served = {s for s, u in greedy.pairs if u == v and s != r}
    assert {s for s, _ in around.pairs} == served
    assert around == greedy.restricted_to(served, problem.need_resident)
    # Taking a resident's pairs and visits out leaves the rest as it was.
    index.replace([r], Solution())
    assert index.solution() == greedy.without({r}, problem.need_resident)
    assert r not in {s for s, _ in index.around({v}, []).pairs}


def test_repairs_re_solve_the_residents_most_short_and_keep_a_valid_roster(station, tmp_path):
    problem, candidates, options, greedy = station
    part = list(range(problem.n_residents))
    start = evaluate(problem, greedy).objective
    alone = {r: resident_lower_bound(problem, options, r) for r in part}
    params = SolverParams(time_limit_s=60, workers=1)
    lines = []
    found = {}
    for repairs in (0, 10):
        solution, best, cut = search.improve(
            problem, options, part, greedy, start, params, 0, time.monotonic() + 60,
            lines.append, StopFlag(), None, alone, repairs)
        assert not cut
        # The objective kept step by step is the roster's.
        assert best == pytest.approx(evaluate(problem, solution).objective, abs=1e-6)
        found[repairs] = solution, best
    assert any("10 residents re-solved alone" in line for line in lines)
    assert found[10][1] < found[0][1] == pytest.approx(start)
    solution = found[10][0]
    evaluation = evaluate(problem, solution)
    roster = build_roster(problem, solution, evaluation,
                          unmet_needs(problem, solution, candidates, options), status="feasible",
                          bound=None, seconds=0.0, seed=0, workers=1,
                          candidate_count=len(candidates))
    folder = write_folder(tmp_path / "roster", roster_files(roster))
    assert check_roster(problem.scenario, folder) == []
