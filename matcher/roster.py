"""A solved roster with ids and names: the tables of format section 7 and the summary."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.objective import TERMS, Evaluation
from matcher.problem import Problem
from matcher.scenario.model import DAYS, Scenario
from matcher.scenario_hash import input_hash
from matcher.solution import Solution
from matcher.unmet import UnmetNeed

ASSIGNMENT_COLUMNS = ("resident_id", "resident_name", "volunteer_id", "volunteer_name",
                      "station_id", "distance_km", "incumbent")
VISIT_COLUMNS = ("resident_id", "service", "day", "start", "end", "volunteer_ids")
UNMET_COLUMNS = ("resident_id", "service", "visits_missing", "members_missing", "reason")


@dataclass(frozen=True)
class Roster:
    pairs: pd.DataFrame
    visits: pd.DataFrame
    unmet: pd.DataFrame
    summary: dict


def build_roster(problem: Problem, solution: Solution, evaluation: Evaluation,
                 unmet: list[UnmetNeed], *, status: str, bound: float | None,
                 seconds: float, seed: int, workers: int, candidate_count: int,
                 inputs_hash: str | None = None) -> Roster:
    """The roster's tables and summary; `inputs_hash` is `input_hash(problem.scenario)`
    if the caller has worked it out already."""
    pairs = _pairs_table(problem, solution)
    visits = _visits_table(problem, solution)
    unmet_table = _unmet_table(problem, unmet)
    summary = _summary(problem, solution, evaluation, unmet, status=status, bound=bound,
                       seconds=seconds, seed=seed, workers=workers,
                       candidate_count=candidate_count, pair_count=len(pairs),
                       inputs_hash=inputs_hash or input_hash(problem.scenario))
    return Roster(pairs, visits, unmet_table, summary)


def _pairs_table(problem: Problem, solution: Solution) -> pd.DataFrame:
    scenario = problem.scenario
    current = {(int(r), int(v)) for r, v in problem.current.tolist()}
    rows = []
    for r, v in solution.pairs:
        resident, volunteer = scenario.residents[r], scenario.volunteers[v]
        rows.append((resident.id, resident.name, volunteer.id, volunteer.name,
                     resident.station or "", f"{float(problem.distance_km(r, v)):.2f}",
                     "true" if (r, v) in current else "false"))
    return pd.DataFrame(rows, columns=list(ASSIGNMENT_COLUMNS))


def _visits_table(problem: Problem, solution: Solution) -> pd.DataFrame:
    scenario = problem.scenario
    rows = []
    for visit in solution.visits:
        r = int(problem.need_resident[visit.need])
        end = visit.start + int(problem.need_duration[visit.need])
        rows.append((scenario.residents[r].id, problem.service_ids[problem.need_service[visit.need]],
                     DAYS[visit.day], _clock(visit.start), _clock(end),
                     ";".join(problem.volunteer_ids[v] for v in visit.volunteers)))
    return pd.DataFrame(rows, columns=list(VISIT_COLUMNS))


def _unmet_table(problem: Problem, unmet: list[UnmetNeed]) -> pd.DataFrame:
    rows = [(problem.resident_ids[u.resident], problem.service_ids[problem.need_service[u.need]],
             u.visits_missing, u.members_missing, u.reason) for u in unmet]
    return pd.DataFrame(rows, columns=list(UNMET_COLUMNS))


def _summary(problem: Problem, solution: Solution, evaluation: Evaluation,
             unmet: list[UnmetNeed], *, status: str, bound: float | None, seconds: float,
             seed: int, workers: int, candidate_count: int, pair_count: int,
             inputs_hash: str) -> dict:
    scenario = problem.scenario
    demanded = int(problem.need_visits.sum())
    scheduled = len(solution.visits)
    members_demanded = int(problem.resident_team_size.sum())
    objective = evaluation.objective
    gap = None
    if bound is not None:
        gap = 0.0 if objective <= 1e-9 else max(0.0, (objective - bound) / abs(objective))
    fully = _fully_served(problem, solution)
    costs = evaluation.costs
    return {
        "format": "matcher/v1",
        "scenario": scenario.name,
        "week_of": scenario.week_of.isoformat(),
        "status": status,
        "objective": round(objective, 6),
        "bound": None if bound is None else round(bound, 6),
        "gap": None if gap is None else round(gap, 6),
        "terms": {term: {"value": round(evaluation.values[term], 6),
                         "weight": evaluation.weights[term],
                         "cost": round(costs[term], 6)} for term in TERMS},
        "coverage": {
            "visits_demanded": demanded,
            "visits_scheduled": scheduled,
            "visit_coverage": round(scheduled / demanded, 6) if demanded else 1.0,
            "residents": problem.n_residents,
            "residents_fully_served": fully,
            "residents_unserved": _unserved(problem, solution),
            "team_members_demanded": members_demanded,
            "team_members_assigned": pair_count,
        },
        "counts": {
            "residents": problem.n_residents,
            "volunteers": problem.n_volunteers,
            "needs": problem.n_needs,
            "candidate_pairs": candidate_count,
            "pairs": pair_count,
            "visits": scheduled,
            "volunteers_used": len({v for _, v in solution.pairs}),
            "unmet_rows": len(unmet),
        },
        "solve_seconds": round(seconds, 3),
        "seed": seed,
        "workers": workers,
        "distances": "great-circle (haversine) x travel.detour_factor",
        "config": scenario.config.as_dict(),
        "input_hash": inputs_hash,
        **_scenario_path(scenario),
    }


def _scenario_path(scenario: Scenario) -> dict:
    """Where the scenario was read from, so `matcher explain` can find it again; nothing
    for a scenario built in memory."""
    if scenario.source and os.path.isfile(scenario.source):
        return {"scenario_path": os.path.abspath(scenario.source)}
    return {}


def _fully_served(problem: Problem, solution: Solution) -> int:
    done = np.bincount([v.need for v in solution.visits], minlength=problem.n_needs)
    need_ok = done >= problem.need_visits
    members = np.bincount([r for r, _ in solution.pairs], minlength=problem.n_residents)
    resident_ok = members >= problem.resident_team_size
    for need in np.flatnonzero(~need_ok):
        resident_ok[problem.need_resident[need]] = False
    return int(resident_ok.sum())


def _unserved(problem: Problem, solution: Solution) -> int:
    served = {int(problem.need_resident[v.need]) for v in solution.visits}
    return problem.n_residents - len(served)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
