"""A solve too large for the machine's memory is refused at once, with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

import matcher
from matcher.candidates import count_pairs_within_reach, pairs_within_reach
from matcher.cli import main
from matcher.errors import ScenarioError
from matcher.problem import compile_problem
from matcher.scenario import read_scenario
from matcher.solvers import memory_check
from matcher.solvers.memory_check import (
    BYTES_PER_PAIR,
    BYTES_PER_VOLUNTEER,
    check_fits_in_memory,
    memory_needed,
)

ROOT = Path(__file__).resolve().parent.parent
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"


def test_the_pairs_counted_are_those_within_reach_give_or_take_a_hair():
    problem = compile_problem(read_scenario(STATION))
    counted = count_pairs_within_reach(problem)
    made = len(pairs_within_reach(problem).resident)
    # The count uses the chord with its slack, which the exact distance then trims.
    assert made <= counted <= made * 1.01 + 2


def test_a_solve_that_fits_is_let_through_and_one_that_does_not_is_refused():
    problem = compile_problem(read_scenario(STATION))
    pairs = count_pairs_within_reach(problem)
    needed = memory_needed(pairs, problem.n_volunteers)
    assert needed == pairs * BYTES_PER_PAIR + problem.n_volunteers * BYTES_PER_VOLUNTEER
    assert check_fits_in_memory(problem, available=needed) == pairs
    with pytest.raises(ScenarioError) as refused:
        check_fits_in_memory(problem, available=needed - 1)
    message = str(refused.value)
    assert str(STATION) in message and "volunteers" in message
    assert f"{pairs / 1e6:.1f} million candidate pairs" in message
    assert "max_distance_km" in message


def test_the_command_refuses_a_solve_too_large_and_writes_nothing(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.setattr(memory_check, "available_memory", lambda: 1)
    out = tmp_path / "roster"
    assert main(["solve", str(STATION), "-o", str(out)]) == 2
    printed = capsys.readouterr()
    assert "GiB of memory" in printed.err and "Traceback" not in printed.err
    assert not out.exists()
    with pytest.raises(ScenarioError):
        matcher.solve(STATION)


def test_the_memory_available_is_read_from_the_system():
    available = memory_check.available_memory()
    if memory_check.MEMINFO.exists():
        assert available is not None and available > 0
