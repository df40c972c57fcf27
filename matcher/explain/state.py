"""A loaded roster in the solver's terms: the compiled problem, the candidate pairs, each
volunteer's load and fair share, and who serves whom, indexed once for every question."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from matcher.candidates import Candidates, candidate_pairs
from matcher.errors import InputProblem, ScenarioError
from matcher.explain.load import LoadedRoster, load_roster
from matcher.objective import Evaluation, evaluate, fair_share_minutes, volunteer_load_minutes
from matcher.options import NeedOptions, visit_options
from matcher.problem import Problem, compile_problem
from matcher.solution import Visit


@dataclass(eq=False)
class RosterState:
    loaded: LoadedRoster
    problem: Problem
    candidates: Candidates
    evaluation: Evaluation
    load: np.ndarray  # minutes per volunteer: visits plus travel there and back (rule H6)
    share: np.ndarray  # fair share per volunteer, minutes
    team: dict[int, list[int]]
    residents_of: dict[int, list[int]]
    visits_of_resident: dict[int, list[Visit]]
    visits_of_volunteer: dict[int, list[Visit]]
    current: frozenset[tuple[int, int]]
    _options: dict[frozenset[int], NeedOptions] = field(default_factory=dict)

    @classmethod
    def of(cls, loaded: LoadedRoster) -> RosterState:
        problem = compile_problem(loaded.scenario)
        solution = loaded.solution
        team: dict[int, list[int]] = defaultdict(list)
        residents_of: dict[int, list[int]] = defaultdict(list)
        for r, v in solution.pairs:
            team[r].append(v)
            residents_of[v].append(r)
        by_resident: dict[int, list[Visit]] = defaultdict(list)
        by_volunteer: dict[int, list[Visit]] = defaultdict(list)
        for visit in solution.visits:
            by_resident[int(problem.need_resident[visit.need])].append(visit)
            for v in visit.volunteers:
                by_volunteer[v].append(visit)
        return cls(loaded, problem, candidate_pairs(problem), evaluate(problem, solution),
                   volunteer_load_minutes(problem, solution), fair_share_minutes(problem),
                   dict(team), dict(residents_of), dict(by_resident), dict(by_volunteer),
                   frozenset((int(r), int(v)) for r, v in problem.current.tolist()))

    @property
    def scenario(self):
        return self.problem.scenario

    def options(self, residents) -> NeedOptions:
        """The solver's visit options for these residents' needs (computed once per set)."""
        key = frozenset(int(r) for r in residents)
        if key not in self._options:
            self._options[key] = visit_options(self.problem, self.candidates, sorted(key))
        return self._options[key]

    def resident(self, resident_id: str) -> int:
        return _index(self.problem.resident_ids, resident_id, "resident")

    def volunteer(self, volunteer_id: str) -> int:
        return _index(self.problem.volunteer_ids, volunteer_id, "volunteer")

    def km(self, r: int, v: int) -> float:
        return float(self.problem.distance_km(r, v))

    def travel(self, r: int, v: int) -> float:
        return float(self.problem.travel_minutes(r, v))

    def visit_minutes(self, need: int, r: int, v: int) -> float:
        """Rule H6's measure of one visit: its length plus travel there and back."""
        return int(self.problem.need_duration[need]) + 2 * self.travel(r, v)

    def attended(self, r: int, v: int) -> list[Visit]:
        return [visit for visit in self.visits_of_resident.get(r, []) if v in visit.volunteers]

    def pair_minutes(self, r: int, v: int) -> float:
        return sum(self.visit_minutes(visit.need, r, v) for visit in self.attended(r, v))

    def minutes_by_resident(self, v: int) -> dict[int, float]:
        """A volunteer's load split by the residents it goes to."""
        result: dict[int, float] = {}
        for visit in self.visits_of_volunteer.get(v, []):
            r = int(self.problem.need_resident[visit.need])
            result[r] = result.get(r, 0.0) + self.visit_minutes(visit.need, r, v)
        return result

    def need_of(self, r: int, service: str) -> int:
        for n in self.problem.needs_of(r):
            if self.problem.service_ids[self.problem.need_service[n]] == service:
                return n
        raise ScenarioError([InputProblem(str(self.loaded.folder / "unmet.csv"), None,
                                          f"resident {self.problem.resident_ids[r]}", "service",
                                          f"'{service}' is not one of the resident's needs")])

    def done(self, need: int) -> int:
        r = int(self.problem.need_resident[need])
        return sum(1 for visit in self.visits_of_resident.get(r, []) if visit.need == need)


def _index(ids: tuple[str, ...], wanted: str, what: str) -> int:
    try:
        return ids.index(wanted)
    except ValueError:
        raise ScenarioError([InputProblem("<arguments>", None, f"{what} {wanted}", None,
                                          f"is not a {what} of the scenario")]) from None


def open_roster(roster_dir, scenario=None, config_paths: tuple[str, ...] = ()) -> RosterState:
    """A roster folder and its scenario (a path or a read Scenario; see `load.load_roster`),
    ready for every question."""
    return RosterState.of(load_roster(roster_dir, scenario, config_paths))
