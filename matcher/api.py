"""The Python API for notebooks: `matcher.solve(scenario, config=..., **overrides)`."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from matcher.background import Background
from matcher.errors import InputProblem, ScenarioError
from matcher.gcpause import collector_paused
from matcher.objective import TERMS, Evaluation, evaluate
from matcher.output import roster_files, write_folder
from matcher.problem import Problem, compile_problem
from matcher.roster import Roster, build_roster
from matcher.scenario import Scenario, read_scenario
from matcher.scenario.config import build_config, check_config, merge_settings
from matcher.scenario_hash import input_hash
from matcher.solution import Solution
from matcher.solvers.cpsat import SolverParams
from matcher.solvers.engine import Progress, StopFlag, greedy_outcome, solve_problem
from matcher.solvers.memory_check import check_fits_in_memory
from matcher.unmet import unmet_needs

_SOLVER_KEYS = ("time_limit_s", "workers", "seed")
# Reasons and tables follow the search and take time in proportion to the scenario (a
# city of 75,000 entities: 1.6 s, its input hash worked out meanwhile on another
# process); three times that comes off the clock, so that the whole solve keeps its limit.
REPORT_SECONDS_PER_ENTITY = 0.06e-3
# The search's step budgets keep back more (15 s of a city's 90), as margin for a slow
# machine: they are sized from the scenario alone, so that the roster does not depend on
# how long anything took, and on a slow afternoon a city's solve took up to 80 s of its
# 90 even so. The clock is only the safety net, for a machine slower still.
BUDGET_KEPT_PER_ENTITY = 0.2e-3
REPORT_SHARE = 0.25  # ... but neither more than this share of the limit,
# save that the budgets also keep back the compiling, which the clock counts: it grows with
# the volunteers (9-15 s for a registry of 1.47 M, whose budgets, with a quarter of the
# limit kept back, outlasted the clock, so that the run was cut and did not repeat).
COMPILE_SECONDS_PER_VOLUNTEER = 10e-6
_WEIGHT_KEYS = TERMS


@dataclass(frozen=True)
class Result:
    """A solved roster: tables with ids and names, the term breakdown, and the raw solution."""

    scenario: Scenario
    problem: Problem
    solution: Solution
    evaluation: Evaluation
    roster: Roster

    @property
    def pairs(self) -> pd.DataFrame:
        return self.roster.pairs

    @property
    def visits(self) -> pd.DataFrame:
        return self.roster.visits

    @property
    def unmet(self) -> pd.DataFrame:
        return self.roster.unmet

    @property
    def summary(self) -> dict:
        return self.roster.summary

    @property
    def status(self) -> str:
        return self.summary["status"]

    @property
    def objective(self) -> float:
        return self.evaluation.objective

    @property
    def bound(self) -> float | None:
        return self.summary["bound"]

    @property
    def terms(self) -> pd.DataFrame:
        """One row per objective term: raw value, weight and weighted cost."""
        costs = self.evaluation.costs
        return pd.DataFrame(
            [(term, self.evaluation.values[term], self.evaluation.weights[term], costs[term])
             for term in TERMS], columns=["term", "value", "weight", "cost"]).set_index("term")

    def write(self, out_dir: str | os.PathLike) -> Path:
        """Write the roster folder (format section 7) atomically."""
        return write_folder(out_dir, roster_files(self.roster))


METHODS = ("optimise", "greedy")


def solve(scenario: Scenario | str | os.PathLike, config: Mapping | None = None, *,
          method: str = "optimise", progress: Progress | None = None,
          stop: StopFlag | None = None, hint: Result | Solution | None = None,
          **overrides) -> Result:
    """Solve a scenario (or the path of one) and return the roster.

    `config` is a mapping in the shape of a config file, merged over the scenario's own;
    `overrides` name single settings: `time_limit_s`, `workers`, `seed`, or a weight such as
    `distance_km=2`. `method="greedy"` gives the baseline a coordinator would make by hand:
    residents by priority, each visit to the nearest volunteer still free.

    `hint` is a roster to start the search from, usually the result of an earlier solve
    with other weights: a `Result` (matched to this scenario by resident, volunteer and
    service ids, so a variant's solve may start from the base roster) or a `Solution` in
    this scenario's indices. Without it the search starts from the scenario's `current`
    roster. A hint changes where the search starts, so it may change the roster found, but
    the same hint, inputs, config and seed still give the same roster. The greedy method
    has no search to start and ignores it.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if not isinstance(scenario, Scenario):
        scenario = read_scenario(scenario)
    started = time.monotonic()
    scenario = with_settings(scenario, config, overrides)
    problem = compile_problem(scenario)
    check_fits_in_memory(problem)
    hashing = Background(input_hash, scenario)
    start = _hint_for(problem, hint)
    solver = scenario.config.solver
    limit = float(solver.time_limit_s)
    entities = problem.n_residents + problem.n_volunteers
    reserve = min(REPORT_SHARE * limit, REPORT_SECONDS_PER_ENTITY * entities)
    # The clock counts the time taken to compile the problem (seconds for a large city);
    # the step budgets do not, so the roster stays the same on a slower machine.
    params = SolverParams(time_limit_s=limit - reserve - (time.monotonic() - started),
                          budget_s=step_budget_seconds(limit, problem.n_residents,
                                                       problem.n_volunteers),
                          workers=solver.workers, seed=solver.seed)
    with collector_paused():
        if method == "greedy":
            outcome = greedy_outcome(problem)
        else:
            outcome = solve_problem(problem, params, hint=start, progress=progress, stop=stop)
    evaluation = evaluate(problem, outcome.solution)
    unmet = unmet_needs(problem, outcome.solution, outcome.candidates, outcome.options)
    roster = build_roster(problem, outcome.solution, evaluation, unmet, status=outcome.status,
                          bound=outcome.bound, seconds=outcome.seconds, seed=solver.seed,
                          workers=solver.workers, candidate_count=len(outcome.candidates),
                          inputs_hash=hashing.result())
    return Result(scenario, problem, outcome.solution, evaluation, roster)


def step_budget_seconds(limit: float, residents: int, volunteers: int) -> float:
    """The seconds a solve's step budgets are sized for, from its limit and size alone: the
    limit less a margin of 0.2 ms a resident and volunteer, but no more than a quarter of
    the limit and the compiling's estimate (10 µs a volunteer) together."""
    kept_back = min(REPORT_SHARE * limit + COMPILE_SECONDS_PER_VOLUNTEER * volunteers,
                    BUDGET_KEPT_PER_ENTITY * (residents + volunteers))
    return limit - kept_back


def with_settings(scenario: Scenario, config: Mapping | None, overrides: Mapping) -> Scenario:
    """The scenario with config settings and single overrides merged over its own config."""
    settings: dict = dict(config or {})
    for key, value in overrides.items():
        if key in _SOLVER_KEYS:
            settings = merge_settings(settings, {"solver": {key: value}})
        elif key in _WEIGHT_KEYS:
            settings = merge_settings(settings, {"weights": {key: value}})
        else:
            raise TypeError(f"solve() got an unknown setting {key!r}; expected one of "
                            f"{', '.join(_SOLVER_KEYS + _WEIGHT_KEYS)} or config=")
    if not settings:
        return scenario
    problems: list[InputProblem] = []
    checked = check_config(settings, "settings", problems)
    if problems:
        raise ScenarioError(problems)
    merged = merge_settings(scenario.config.as_dict(), checked)
    return replace(scenario, config=build_config(merged))


def _hint_for(problem: Problem, hint: Result | Solution | None) -> Solution | None:
    """The hint in this problem's indices; a Result's roster is matched by ids, and what
    this problem does not hold (a volunteer who dropped out, a need no longer asked) is left
    out, with the other attendees of such a visit."""
    if hint is None:
        return None
    if isinstance(hint, Solution):
        n_residents, n_volunteers, n_needs = problem.n_residents, problem.n_volunteers, problem.n_needs
        if any(not (0 <= r < n_residents and 0 <= v < n_volunteers) for r, v in hint.pairs) or \
                any(not 0 <= visit.need < n_needs or
                    any(not 0 <= v < n_volunteers for v in visit.volunteers)
                    for visit in hint.visits):
            raise ValueError("hint names a resident, volunteer or need this scenario does not "
                             "hold (a Solution is in one scenario's indices; pass the Result)")
        return hint
    if not isinstance(hint, Result):
        raise TypeError(f"hint must be a Result or a Solution, not {type(hint).__name__}")
    if hint.problem is problem or (hint.problem.resident_ids == problem.resident_ids
                                   and hint.problem.volunteer_ids == problem.volunteer_ids
                                   and _need_keys(hint.problem) == _need_keys(problem)):
        return hint.solution
    old = hint.problem
    residents = {rid: i for i, rid in enumerate(problem.resident_ids)}
    volunteers = {vid: i for i, vid in enumerate(problem.volunteer_ids)}
    needs = {key: i for i, key in enumerate(_need_keys(problem))}
    old_needs = _need_keys(old)
    pairs = [(residents[old.resident_ids[r]], volunteers[old.volunteer_ids[v]])
             for r, v in hint.solution.pairs
             if old.resident_ids[r] in residents and old.volunteer_ids[v] in volunteers]
    visits = []
    for visit in hint.solution.visits:
        need = needs.get(old_needs[visit.need])
        attendees = [volunteers.get(old.volunteer_ids[v]) for v in visit.volunteers]
        if need is not None and None not in attendees:
            visits.append(replace(visit, need=need, volunteers=tuple(sorted(attendees))))
    return Solution.of(pairs, visits)


def _need_keys(problem: Problem) -> tuple[tuple[str, str], ...]:
    """Each need as (resident id, service id): a resident lists each service at most once."""
    return tuple((problem.resident_ids[int(r)], problem.service_ids[int(s)])
                 for r, s in zip(problem.need_resident, problem.need_service, strict=True))
