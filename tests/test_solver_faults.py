"""A fault of the CP-SAT release in use is worked around, not passed on as a crash."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from matcher.solvers.cpsat import SolverParams, run_cp_sat, solve_hinted

# A step of a city's search, recorded as it was sent to CP-SAT: with its solution hint,
# OR-Tools 9.15's presolve fails on it with `absl::btree_map::at`.
RECORDED = Path(__file__).parent / "data" / "hinted_presolve_fault.pb.txt.gz"


def recorded_model() -> cp_model.CpModel:
    model = cp_model.CpModel()
    model.Proto().parse_text_format(gzip.decompress(RECORDED.read_bytes()).decode())
    return model


def test_the_recorded_step_is_solved_and_keeps_its_hint():
    model = recorded_model()
    solver, code = run_cp_sat(model, SolverParams(seed=0), time_limit=30.0, work_limit=0.2)
    assert code == cp_model.OPTIMAL
    assert solver.ObjectiveValue() == 7_154_983
    assert model.Proto().has_solution_hint()  # the caller's model is not changed


def small_hinted_model() -> tuple[cp_model.CpModel, cp_model.IntVar]:
    model = cp_model.CpModel()
    x = model.NewIntVar(0, 10, "x")
    model.Add(x >= 3)
    model.Minimize(x)
    model.AddHint(x, 5)
    return model, x


class FaultySolver(cp_model.CpSolver):
    """Fails as the faulty presolve does: on a hinted model, while symmetries are sought
    (or, with `always`, whatever the settings)."""

    def __init__(self, always: bool = False):
        super().__init__()
        self.always = always
        self.calls = 0

    def Solve(self, model, solution_callback=None):  # CP-SAT's name for it
        self.calls += 1
        hinted = model.Proto().has_solution_hint()
        if hinted and (self.always or self.parameters.symmetry_level != 0):
            raise IndexError("absl::btree_map::at")
        return super().Solve(model, solution_callback)


@pytest.mark.parametrize("always, calls", [(False, 2), (True, 3)])
def test_a_hinted_model_that_fails_is_solved_again_without_symmetries_then_without_hint(
        always, calls, caplog):
    model, x = small_hinted_model()
    solver = FaultySolver(always)
    with caplog.at_level(logging.WARNING, logger="matcher.solvers.cpsat"):
        assert solve_hinted(solver, model) == cp_model.OPTIMAL
    assert solver.Value(x) == 3  # read through the caller's own model
    assert solver.calls == calls
    assert model.Proto().has_solution_hint()
    # Each retry is said, with the fault, so that a roster that differs can be traced to it.
    assert len(caplog.records) == calls - 1
    assert all("absl::btree_map::at" in record.getMessage() for record in caplog.records)


class BrokenSolver(cp_model.CpSolver):
    def Solve(self, model, solution_callback=None):  # CP-SAT's name for it
        raise IndexError("another fault")


def test_the_same_error_without_a_hint_is_not_hidden():
    model, _ = small_hinted_model()
    model.ClearHints()
    with pytest.raises(IndexError, match="another fault"):
        solve_hinted(BrokenSolver(), model)
