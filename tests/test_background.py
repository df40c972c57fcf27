"""Work done in a forked process while the solve runs: same answer, same errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import matcher
from matcher import background
from matcher.background import Background
from matcher.scenario_hash import input_hash
from matcher.solvers.pool import can_fork

ROOT = Path(__file__).resolve().parents[1]


def test_the_roster_records_the_hash_of_its_inputs():
    scenario = matcher.read_scenario(ROOT / "scenarios" / "tiny" / "scenario.yaml")
    result = matcher.solve(scenario, time_limit_s=10)
    assert result.summary["input_hash"] == input_hash(result.scenario)
    assert result.summary["input_hash"].startswith("sha256:")


@pytest.mark.skipif(not can_fork(), reason="needs fork()")
def test_a_result_worked_out_in_a_forked_process_equals_the_one_worked_out_here():
    data = {"x": list(range(1000))}
    pending = Background(sum, data["x"])
    assert pending._process is not None  # it really ran elsewhere
    assert pending.result() == sum(data["x"])


def _fails(message: str):
    raise ValueError(message)


def test_a_failure_in_the_background_is_raised_when_the_result_is_asked_for():
    pending = Background(_fails, "no such volunteer")
    with pytest.raises(ValueError, match="no such volunteer"):
        pending.result()


@pytest.mark.skipif(not can_fork(), reason="needs fork()")
def test_giving_up_stops_the_forked_process_and_returns_nothing():
    import time

    pending = Background(time.sleep, 60)
    asked = []

    def give_up() -> bool:
        asked.append(1)
        return len(asked) >= 2

    assert pending.result(give_up) is None
    pending._process.join(timeout=5)
    assert not pending._process.is_alive()


def test_without_fork_the_function_runs_when_its_result_is_asked_for(monkeypatch):
    monkeypatch.setattr(background, "can_fork", lambda: False)
    calls = []
    pending = Background(calls.append, "ran")
    assert calls == []
    pending.result()
    assert calls == ["ran"]
