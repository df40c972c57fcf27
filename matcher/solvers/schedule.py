"""Setting the visits of fixed teams: days, times and attendees, then short teams filled.

The greedy pass places most visits; groups of residents sharing a volunteer where it falls
short are solved exactly by CP-SAT, side by side on the workers, since no two groups share
a volunteer.
"""

from __future__ import annotations

import functools
import itertools
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from matcher.objective import objective_change, preference_misses, volunteer_load_minutes
from matcher.options import NeedOptions
from matcher.problem import Problem
from matcher.solution import Solution
from matcher.solvers.cpsat import SolverParams, solve_part
from matcher.solvers.greedy import greedy_roster
from matcher.solvers.pool import LATE_SECONDS, Workers, shared_problem

if TYPE_CHECKING:
    from matcher.solvers.engine import StopFlag

SCHEDULE_BATCH = 64  # groups of residents whose visits are set between two looks at the clock


def fill_teams(problem: Problem, solution: Solution, teams: dict[int, tuple[int, ...]],
               options: NeedOptions, part: list[int]) -> Solution:
    """Fill short teams with members who attend no visit, where that lowers the objective:
    a member on the team (a backup, or for later weeks) still counts for `unmet_member`."""

    def problem_candidates(r: int) -> list[int]:
        return options.pairs_of_resident.get(r, [])

    weights = problem.scenario.config.weights
    pairs = set(solution.pairs)
    members: dict[int, set[int]] = {}
    residents_of: dict[int, int] = {}
    for r, v in pairs:
        members.setdefault(r, set()).add(v)
        residents_of[v] = residents_of.get(v, 0) + 1
    current = problem.current_pairs
    for r in sorted(part):
        have = members.setdefault(r, set())
        size = int(problem.resident_team_size[r])
        # The chosen team first, then anyone else eligible, nearest first.
        for v in itertools.chain(teams.get(r, ()), problem_candidates(r)):
            if len(have) >= size:
                break  # full: nobody else can join (a city's residents have ~136 candidates)
            if v in have:
                continue
            if residents_of.get(v, 0) >= int(problem.volunteer_max_residents[v]):
                continue
            organizations = {int(problem.volunteer_organization[m]) for m in have}
            spans_now = len(organizations) > 1
            spans_after = len(organizations | {int(problem.volunteer_organization[v])}) > 1
            misses = float(preference_misses(problem, np.array([r]), np.array([v]))[0])
            delta = (-weights.unmet_member * int(problem.resident_priority[r])
                     + weights.preference * misses
                     + weights.cohesion * (spans_after and not spans_now)
                     - weights.churn * ((r, v) in current))
            if delta < 0:
                pairs.add((r, v))
                have.add(v)
                residents_of[v] = residents_of.get(v, 0) + 1
    return Solution.of(pairs, solution.visits)


def schedule_teams(problem: Problem, options: NeedOptions, part: list[int],
                   teams: dict[int, tuple[int, ...]], planned: dict[int, int],
                   params: SolverParams, work: float, deadline: float, stop: StopFlag,
                   workers: Workers, every_group: bool = False) -> tuple[Solution, bool]:
    """Days, times and attendees for fixed teams, and whether the clock cut any of it short.

    The greedy pass places most visits; each group of residents sharing a volunteer where it
    places fewer visits than the teams promised (or, with `every_group`, each group) is
    solved exactly by CP-SAT, with `work` (CP-SAT's deterministic time) shared among them.
    The groups share no volunteer, so they are solved side by side on the workers, and each
    is kept if it lowers the objective.
    """
    allowed = {r: teams.get(r, ()) for r in part}
    restricted = options.restricted(allowed, problem)
    solution = greedy_roster(problem, restricted, part)
    done: dict[int, int] = {}
    for visit in solution.visits:
        r = int(problem.need_resident[visit.need])
        done[r] = done.get(r, 0) + 1
    graph = nx.Graph()
    graph.add_nodes_from(part)
    for r, team in allowed.items():
        for v in team:
            graph.add_edge(r, ("v", v))
    groups = sorted((sorted(n for n in c if not isinstance(n, tuple))
                     for c in nx.connected_components(graph)), key=lambda g: g[0])
    short = [group for group in groups if every_group
             or sum(planned.get(r, 0) for r in group) > sum(done.get(r, 0) for r in group)]
    work_each = max(0.05, work / max(1, len(short)))
    # A stop reaches only the models solved here; on workers each ends by its work limit.
    solve = (_schedule_group if workers.forked
             else functools.partial(_schedule_group, stop=stop))
    load = volunteer_load_minutes(problem, solution)
    pieces = _pieces_by_resident(problem, solution)
    changed: set[int] = set()
    better: list[Solution] = []
    clock_ended = False
    for batch in range(0, len(short), SCHEDULE_BATCH):
        if stop.reason:
            break
        if time.monotonic() > deadline:
            clock_ended = True
            break
        tasks = [_GroupTask(group, {r: allowed[r] for r in group}, pieces.of(group),
                            replace(params, work_limit=work_each), deadline)
                 for group in short[batch:batch + SCHEDULE_BATCH]]
        results = workers.submit(solve, tasks).get(
            lambda: time.monotonic() > deadline + LATE_SECONDS)
        if results is None:  # a worker lost: these groups keep the greedy pass's visits
            clock_ended = True
            break
        for task, (found, cut) in zip(tasks, results, strict=True):
            clock_ended |= cut
            # Groups share no volunteer, so each change is judged and kept on its own.
            change = objective_change(problem, task.piece, found, load)
            if change.value < -1e-9:
                changed.update(task.group)
                better.append(found)
                load = change.load
    if not better:
        return solution, clock_ended
    kept = solution.without(changed, problem.need_resident)
    return Solution.of(kept.pairs + tuple(p for s in better for p in s.pairs),
                       kept.visits + tuple(v for s in better for v in s.visits)), clock_ended


class _Pieces:
    """A roster's pairs and visits by resident, to take out many groups' pieces quickly."""

    def __init__(self, pairs: dict[int, list], visits: dict[int, list]):
        self._pairs, self._visits = pairs, visits

    def of(self, residents: list[int]) -> Solution:
        return Solution(tuple(sorted(p for r in residents for p in self._pairs.get(r, ()))),
                        tuple(sorted(v for r in residents for v in self._visits.get(r, ()))))


def _pieces_by_resident(problem: Problem, solution: Solution) -> _Pieces:
    pairs: dict[int, list] = {}
    visits: dict[int, list] = {}
    for pair in solution.pairs:
        pairs.setdefault(pair[0], []).append(pair)
    for visit, r in zip(solution.visits,
                        problem.need_resident[[v.need for v in solution.visits]].tolist(),
                        strict=True):
        visits.setdefault(r, []).append(visit)
    return _Pieces(pairs, visits)


@dataclass(frozen=True)
class _GroupTask:
    group: list[int]
    team: dict[int, tuple[int, ...]]  # resident -> the volunteers of their team
    piece: Solution  # the group's pairs and visits now
    params: SolverParams  # with the group's share of the work
    deadline: float


def _schedule_group(task: _GroupTask, stop: StopFlag | None = None) -> tuple[Solution, bool]:
    """The group's best visits with its teams fixed, and whether the clock cut them short.
    No other resident shares a volunteer with the group, so the rest of the roster changes
    nothing here and is not sent."""
    if time.monotonic() >= task.deadline:
        return task.piece, True  # out of time: the greedy pass's visits stay
    problem, options = shared_problem()
    params = replace(task.params, time_limit_s=max(0.1, task.deadline - time.monotonic()))
    result = solve_part(problem, options.restricted(task.team, problem), task.group,
                        Solution(), params, hint=task.piece, stop=stop)
    return result.solution, result.clock_ended
