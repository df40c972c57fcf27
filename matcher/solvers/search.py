"""Large neighbourhood search, and repairs: a part's roster improved by exact steps.

A seed resident (unmet demand first) and its nearest neighbours are freed and re-solved
exactly by CP-SAT, with the rest of the roster fixed, and the change is kept when the whole
objective does not get worse. Before the search, the residents whose unmet visits cost most
above their alone bounds may be repaired: re-solved one at a time over the nearest
volunteers who could serve them. The search ends early once the roster meets a proven bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import cKDTree

from matcher.candidates import unit_vectors
from matcher.objective import objective_change, volunteer_load_minutes
from matcher.options import NeedOptions
from matcher.problem import Problem
from matcher.solution import Solution
from matcher.solvers import budgets
from matcher.solvers.cpsat import SolverParams, solve_part
from matcher.solvers.roster_index import RosterIndex

if TYPE_CHECKING:
    from matcher.solvers.engine import Progress, StopFlag

SEARCH_REPORT_SECONDS = 2.0  # between progress lines while the search or its repairs run
NEIGHBOURHOOD = 12  # residents freed in one LNS step
# Volunteers each freed resident may choose from in one step, and the step's CP-SAT
# deterministic work. A resident left short because their volunteer went to a neighbour
# often needs a volunteer further down their list and the work to find the exchange: on
# generated districts (seeds 1-3, and the bundled one), 12 and 0.2 at 0.6 times the steps
# gave rosters 0.4-1.3 % better in three of four, 0.14 % worse in one, in the same time,
# against 8 and 0.1.
NEARBY_VOLUNTEERS = 12
STEP_WORK = 0.2
# A repair re-solves one resident over up to this many of the nearest volunteers who could
# serve them (all, nearly always), with this much CP-SAT work. (Their share of a part's
# steps, and what it gained, are in `budgets`.)
REPAIR_VOLUNTEERS = 40
REPAIR_WORK = 0.2
STALL_ROUNDS = 150  # LNS steps without improvement before a part is left as it is


def meets(objective: float, bound: float | None) -> bool:
    """Does the objective meet the proven bound, within the solvers' own tolerance?"""
    return bound is not None and objective <= bound + 1e-6 * max(1.0, abs(bound))


def improve(problem: Problem, options: NeedOptions, part: list[int], solution: Solution,
            best: float, params: SolverParams, rounds_allowed: int, deadline: float,
            say: Progress, stop: StopFlag, bound: float | None = None,
            alone: dict[int, float] | None = None, repairs: int = 0
            ) -> tuple[Solution, float, bool]:
    """Large neighbourhood search: free a seed resident and its nearest neighbours, re-solve
    them exactly over a few nearby volunteers each, keep the change if the roster improves.
    Seeds are drawn where unmet visits cost most above the residents' `alone` bounds.
    First, up to `repairs` residents are re-solved one at a time, over the nearest volunteers
    who could serve them (`REPAIR_VOLUNTEERS`), in order of what their unmet visits cost
    above their alone bounds.
    It ends early once the roster meets the proven `bound`: nothing is left to gain."""
    if stop.reason:
        return solution, best, False
    rng = np.random.default_rng(params.seed)
    tree = cKDTree(unit_vectors(problem.resident_lat[part], problem.resident_lon[part]))
    part_array = np.array(part)
    stalled, rounds, last_report = 0, 0, time.monotonic()
    search = _Search(problem, options, solution, best, params, deadline, stop)
    floor = np.zeros(problem.n_residents)
    if alone is not None:
        floor[list(alone)] = list(alone.values())
    if repairs:
        excess = _unmet_above(problem, search.done, floor)
        worst = sorted((r for r in part if excess[r] > 0), key=lambda r: (-excess[r], r))
        made = 0
        for r in worst[:repairs]:
            if meets(search.best, bound) or not search.step(
                    [r], {r: options.useful_volunteers(problem, r)[:REPAIR_VOLUNTEERS]},
                    REPAIR_WORK):
                break
            made += 1
            if time.monotonic() - last_report >= SEARCH_REPORT_SECONDS:
                last_report = time.monotonic()
                say(f"  {made:,} of {min(repairs, len(worst)):,} residents re-solved alone: "
                    f"objective {search.best:,.1f}")
        if made:
            say(f"  {made} residents re-solved alone: objective {search.best:,.1f}")
        # Repairs not needed (fewer residents short than budgeted) go to the search.
        rounds_allowed += int((repairs - min(repairs, len(worst))) * budgets.SECONDS_PER_REPAIR
                              / budgets.SECONDS_PER_ROUND)
    while (stalled < STALL_ROUNDS and not stop.reason and rounds < rounds_allowed
           and not meets(search.best, bound) and not search.cut):
        rounds += 1
        seed = _pick_seed(problem, search.done, part_array, floor, rng)
        k = min(NEIGHBOURHOOD, len(part))
        _, nearest = tree.query(unit_vectors(problem.resident_lat[[seed]],
                                             problem.resident_lon[[seed]]), k=k)
        chosen = sorted({int(part_array[i]) for i in np.atleast_1d(nearest[0])})
        nearby = {r: options.useful_volunteers(problem, r)[:NEARBY_VOLUNTEERS] for r in chosen}
        before = search.best
        search.step(chosen, nearby, STEP_WORK)
        stalled = 0 if search.best < before else stalled + 1
        if time.monotonic() - last_report >= SEARCH_REPORT_SECONDS:
            last_report = time.monotonic()
            say(f"  search round {rounds}: objective {search.best:,.1f}")
    return search.index.solution(), search.best, search.cut


class _Search:
    """A roster changed by exact steps over a few residents, each kept if it lowers the
    objective. Each step's model sees, of the rest of the roster, only what the volunteers
    it may use already do (`RosterIndex`)."""

    def __init__(self, problem: Problem, options: NeedOptions, solution: Solution,
                 best: float, params: SolverParams, deadline: float, stop: StopFlag):
        self.problem, self.options, self.params = problem, options, params
        self.deadline, self.stop = deadline, stop
        self.index = RosterIndex(problem, solution)
        self.load = volunteer_load_minutes(problem, solution)
        self.done = np.bincount([v.need for v in solution.visits], minlength=problem.n_needs)
        self.best = best
        self.cut = False  # stopped, or a step cut short, by the part's clock

    def step(self, chosen: list[int], nearby: dict[int, list[int]], work: float) -> bool:
        """Re-solve `chosen` over their current volunteers and `nearby` ones. False if the
        clock or a stop ended the search instead (or the clock cut this step short)."""
        # The part's own time, not the whole solve's: other parts still get theirs.
        if self.deadline - time.monotonic() <= 0.2:
            self.cut = True
            return False
        if self.stop.reason:
            return False
        allowed = {r: self.index.team_of(r) | set(nearby[r]) for r in chosen}
        fixed = self.index.around(set().union(*allowed.values()), chosen)
        piece = self.index.piece(chosen)
        params = replace(self.params, time_limit_s=max(0.1, self.deadline - time.monotonic()),
                         work_limit=work)
        result = solve_part(self.problem, self.options.restricted(allowed, self.problem),
                            chosen, fixed, params, hint=piece, stop=self.stop)
        # A step the clock cut short is kept (it is valid) but ends the search: the roster
        # is the clock's from here.
        self.cut |= result.clock_ended
        # Scored by the change alone: evaluating a whole city's roster at every step would
        # cost more than the step.
        change = objective_change(self.problem, piece, result.solution, self.load)
        if change.value < -1e-9:
            self.index.replace(chosen, result.solution)
            self.best += change.value
            self.load = change.load
            np.subtract.at(self.done, [v.need for v in piece.visits], 1)
            np.add.at(self.done, [v.need for v in result.solution.visits], 1)
        return not self.cut


def _unmet_above(problem: Problem, done: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Each resident's unmet visits (`done`: each need's visits made) weighted by priority,
    less their `floor` (their alone bound, or 0) in visits' worth: demand no volunteer
    could meet even with nobody else wanting them is not worth a step."""
    missing = np.maximum(problem.need_visits - done, 0) * problem.resident_priority[problem.need_resident]
    per_resident = np.bincount(problem.need_resident, weights=missing, minlength=problem.n_residents)
    unmet_visit = problem.scenario.config.weights.unmet_visit
    if unmet_visit > 0:
        per_resident = np.maximum(per_resident - floor / unmet_visit, 0.0)
    return per_resident


def _pick_seed(problem: Problem, done: np.ndarray, part: np.ndarray, floor: np.ndarray,
               rng: np.random.Generator) -> int:
    """A resident of the part, drawn with weight on unmet demand so the search goes there
    (`done`: each need's visits made): on what their unmet visits cost above `floor`."""
    per_resident = _unmet_above(problem, done, floor)
    weights = per_resident[part] + 0.05 * math.fsum(per_resident[part]) / max(len(part), 1) + 0.1
    return int(rng.choice(part, p=weights / weights.sum()))
