"""A proven lower bound on the objective: each resident at their best, alone.

Every term of the objective but fairness is a sum over residents, and fairness is at least
the sum over residents of what each one's visits alone would put their volunteers above
the fair share, so the sum over residents of the least cost each could have if nobody else
competed for their volunteers is a valid lower bound. For a resident cared for one to one,
the least cost is found exactly over every eligible volunteer (that volunteer's days, skills
and weekly hours included). For a team, the least cost is found over every team of eligible
volunteers, with the visits relaxed (see `team_bound`).

The bound is weak where volunteers are contested (the optimiser's real difficulty); its gap
says how much of the cost could at most still be saved.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from matcher.objective import fair_share_minutes, member_costs, preference_misses, unserved_cost
from matcher.options import NeedOptions, days_in_mask
from matcher.problem import MINUTES_PER_HOUR, MS_PER_HOUR, MS_PER_MINUTE, Problem
from matcher.solvers.team_bound import DAYS, team_lower_bound
from matcher.solvers.visit_caps import column_caps


def resident_lower_bound(problem: Problem, options: NeedOptions, r: int) -> float:
    """The least cost resident r could have with the volunteers all to themselves (and, if
    its candidates are only its nearest volunteers, with those farther too)."""
    value = _candidates_lower_bound(problem, options, r)
    if options.nearest_only(r):
        return min(value, farther_lower_bound(problem, options, r))
    return value


def farther_lower_bound(problem: Problem, options: NeedOptions, r: int) -> float:
    """The least cost resident r could have with a volunteer left out of its candidates
    (one at least `options.radius_km[r]` away, see `candidates.Reach`), counted as if such
    volunteers were free on every day, held every skill and had hours without end: every
    place filled at the most a member can save (left-out volunteers are never its current
    ones, which stay candidates), and every visit made at the least distance an attendee
    could have: a left-out one's, or for a team the nearest candidate's for that need."""
    weights = problem.scenario.config.weights
    priority = int(problem.resident_priority[r])
    size = int(problem.resident_team_size[r])
    radius = float(options.radius_km[r])
    unserved = weights.unmet_visit * priority
    cost = unserved_cost(problem, [r]) - weights.unmet_member * priority * size
    if size > 1:
        # The other places may hold current volunteers, who also spare the churn.
        cost -= weights.churn * min(size - 1, len(problem.incumbents_of(r)))
    for n in problem.needs_of(r):
        rows = options.rows_of(n)
        nearest = radius if size == 1 or not len(rows) else min(
            radius, float(options.km[rows].min()))
        together = int(problem.need_volunteers_per_visit[n])
        saving = unserved - weights.distance_km * together * nearest
        cost -= int(problem.need_visits[n]) * max(saving, 0.0)
    return cost


def _candidates_lower_bound(problem: Problem, options: NeedOptions, r: int) -> float:
    """`resident_lower_bound` over r's candidates alone."""
    if int(problem.resident_team_size[r]) != 1:
        return team_lower_bound(problem, options, r)
    weights = problem.scenario.config.weights
    candidates = options.pairs_of_resident.get(r, [])
    incumbents = problem.incumbents_of(r)
    empty = unserved_cost(problem, [r])
    if not candidates:
        return empty
    misses = preference_misses(problem, np.full(len(candidates), r),
                               np.array(candidates, dtype=np.int64)).astype(float)
    alone = _alone_costs(problem, options, r, np.asarray(candidates, dtype=np.int64))
    kept = np.isin(candidates, list(incumbents)) if incumbents else np.zeros(len(candidates), bool)
    costs = alone + weights.preference * misses + weights.churn * (len(incumbents) - kept)
    return float(min(empty, costs.min()))


def _alone_costs(problem: Problem, options: NeedOptions, r: int,
                 candidates: np.ndarray) -> np.ndarray:
    """For each candidate v: the least unmet-visit, distance and fairness cost of r's needs
    served by v alone, within v's hours (the lightest visits first), all candidates at
    once."""
    weights = problem.scenario.config.weights
    unserved = weights.unmet_visit * int(problem.resident_priority[r])
    order = np.argsort(candidates, kind="stable")
    needs = list(problem.needs_of(r))
    counts = np.zeros((len(candidates), len(needs)), dtype=np.int64)
    loads = np.full((len(candidates), len(needs)), np.iinfo(np.int64).max, dtype=np.int64)
    km = np.zeros(len(candidates))
    total = 0
    table = np.full((len(candidates), len(needs)), -1, dtype=np.int64)  # option rows
    for column, n in enumerate(needs):
        wanted = int(problem.need_visits[n])
        total += wanted
        rows = np.asarray(options.rows_of(n), dtype=np.int64)
        if rows.size == 0:
            continue
        at = order[np.searchsorted(candidates, options.volunteer[rows], sorter=order)]
        counts[at, column] = np.minimum(wanted, days_in_mask(options.day_mask[rows]))
        loads[at, column] = options.load_ms[rows]
        km[at] = options.km[rows]
        table[at, column] = rows
    caps = column_caps(problem, options, table)
    # The most visits that fit in v's hours: whole needs' visits, lightest load first, as
    # many of each as fit; a visit that does not fit means no heavier one does either. No
    # more than fit in the week's days either (`visit_caps`).
    room = problem.volunteer_max_ms[candidates].copy()  # counted down below
    served = np.zeros(len(candidates), dtype=np.int64)
    heaviest = np.zeros(len(candidates), dtype=np.int64)  # of the visits served
    going = np.ones(len(candidates), dtype=bool)
    rank = np.argsort(loads, axis=1, kind="stable")
    for step in range(len(needs)):
        column = rank[:, step]
        count = counts[np.arange(len(candidates)), column]
        load = loads[np.arange(len(candidates)), column]
        fit = np.where(count > 0, np.minimum(count, room // np.maximum(load, 1)), 0)
        fit = np.where(going, np.minimum(fit, caps - served), 0)
        served += fit
        room -= fit * np.where(count > 0, load, 0)
        heaviest = np.where(fit > 0, load, heaviest)
        going &= fit == count
    per_visit = weights.distance_km * km
    served = np.where(per_visit >= unserved, 0, served)
    worked = problem.volunteer_max_ms[candidates] - room
    above_share = above_share_cost(problem, candidates, worked, served)
    # Each visit made must save more than the most it could add above the share, or the
    # least cost might make fewer visits: then the share is left out (it is never negative).
    worth_it = unserved - per_visit >= weights.fairness * heaviest / MS_PER_HOUR
    served_cost = np.where(served > 0, served * per_visit + np.where(worth_it, above_share, 0), 0)
    return (total - served) * unserved + served_cost


def above_share_cost(problem: Problem, volunteers: np.ndarray, worked_ms: np.ndarray,
                      visits: np.ndarray) -> np.ndarray:
    """The fairness cost of volunteers' work for one resident, `visits` visits of
    `worked_ms` in all, if that were all their week held. A volunteer's hours above the fair
    share grow at least as fast as their work: they are at least the sum of what each
    resident's visits alone would put above it, so these costs may be added up over
    residents. Loads are rounded up to the millisecond (rule H6); one is taken off each
    visit so that the cost here is never above the objective's."""
    minutes = (worked_ms - visits) / MS_PER_MINUTE
    above = np.maximum(minutes - fair_share_minutes(problem)[volunteers], 0.0)
    return problem.scenario.config.weights.fairness * above / MINUTES_PER_HOUR


def lower_bound(problem: Problem, options: NeedOptions, residents) -> float:
    return float(sum(resident_lower_bound(problem, options, r) for r in residents))


def instant_lower_bound(problem: Problem, options: NeedOptions, residents) -> float:
    """A weaker bound than `lower_bound`, worked out for a whole city in a fraction of a
    second, for a solve stopped before its residents' alone bounds are known: only what
    no roster can avoid. A need's visits fall on distinct days, each with as many
    attendees as it asks for, all with an option that day; a team has no more members than
    volunteers who may pair with the resident; a current pair with a volunteer who no
    longer may is dropped. Every other term of the objective is left at zero, its least."""
    weights = problem.scenario.config.weights
    residents = np.unique(np.asarray(list(residents), dtype=np.int64))
    needs = np.concatenate([np.arange(problem.need_start[r], problem.need_start[r + 1])
                            for r in residents.tolist()] or [np.zeros(0, dtype=np.int64)])
    rows = np.concatenate([np.arange(options.need_rows[n], options.need_rows[n + 1])
                           for n in needs.tolist()] or [np.zeros(0, dtype=np.int64)])
    position = np.searchsorted(needs, options.need[rows])
    free = (options.day_mask[rows, None] >> np.arange(DAYS)) & 1
    attendees = np.zeros((len(needs), DAYS), dtype=np.int64)
    np.add.at(attendees, position, free)
    days = (attendees >= problem.need_volunteers_per_visit[needs, None]).sum(axis=1)
    missing_visits = np.maximum(problem.need_visits[needs] - days, 0)
    # Volunteers left out of a resident's candidates might make any visit.
    nearest_only = np.array([options.nearest_only(r) for r in residents.tolist()], dtype=bool)
    missing_visits[np.isin(problem.need_resident[needs], residents[nearest_only])] = 0
    cost = weights.unmet_visit * float(
        (missing_visits * problem.resident_priority[problem.need_resident[needs]]).sum())
    for r in residents.tolist():
        eligible = options.pairs_of_resident.get(r, [])
        members = 0 if options.nearest_only(r) else max(
            int(problem.resident_team_size[r]) - len(eligible), 0)
        dropped = len(problem.incumbents_of(r) - set(eligible))
        cost += (weights.unmet_member * int(problem.resident_priority[r]) * members
                 + weights.churn * dropped)
    return cost


def contested_relaxation(problem: Problem, options: NeedOptions, residents, *,
                         integer: bool = False, time_limit_s: float = 30.0,
                         stop=None) -> Relaxation:
    """A tighter bound: residents competing for volunteers' hours and places.

    A relaxation of the roster where only the timing of visits (H3 distinct days aside, H5)
    is left out:
    - one-to-one resident r, eligible volunteer v: `y[r,v]` v is r's volunteer; `u[r,v,l]`
      visits v makes for r at load l, out of the lightest visits v could make for r alone
      (so any k visits take at least the k lightest loads);
    - resident r with a team: `y[r,v]` v is on the team (at most team_size of them);
      `a[n,v]` visits of need n that v attends (at most on the days v can, only if on the
      team); `served[n]` visits of need n, each needing volunteers_per_visit attendances;
    - every volunteer's hours and places are shared by all residents;
    - a visit shared by several volunteers has, for each skill its service asks for, an
      attendee with that skill (rule H4), so the attendances of those with the skill cover
      the visits served;
    - fairness: each volunteer's load counted here above their fair share; cohesion: a
      team with members of two organizations.
    A real roster is a point of this model at no more than its cost, so its optimum (or,
    solved as a MIP, its proven dual bound) bounds every roster. `integer=True` makes every
    count whole, as in a roster (pairs, visits, attendances), which is tighter and slower.
    Its bound is None if nothing was proved, or if a resident's candidates leave out
    farther volunteers. Solved to optimality as an integer program,
    its teams are a good start for the roster: it is the roster but for the clock.
    `stop` (an engine's stop flag) interrupts the solver on Ctrl-C; what it proved stays.
    """
    from ortools.linear_solver import pywraplp

    nothing = Relaxation(None, {}, {}, False)
    if any(options.nearest_only(int(r)) for r in residents):
        # Its program knows only the candidates: farther volunteers left out of them could
        # do better, so it would bound nothing.
        return nothing
    solver = pywraplp.Solver.CreateSolver("SCIP" if integer else "GLOP")
    if integer:
        # Ctrl-C is the caller's to handle (it stops the solver through `stop`); SCIP's own
        # handler would swallow it.
        # No restarts: once a good solution fixes many variables, SCIP would presolve again
        # and redo its root cutting rounds. Without, the bundled station's program was
        # proved in 0.45-0.53 of the time (three solver seeds); on generated stations of
        # 40 residents (seeds 2-5) in 0.5-1.75 of it, the slowest ones gaining most.
        solver.SetSolverSpecificParametersAsString(
            "misc/catchctrlc = FALSE\npresolving/maxrestarts = 0\n")
    # A linear program stopped early proves nothing and is dropped; a MIP keeps its bound.
    solver.SetTimeLimit(int(max(0.1, time_limit_s) * 1000))
    model = _ContestedModel(problem, options, solver, integer)
    for r in residents:
        if int(problem.resident_team_size[int(r)]) == 1:
            model.add_one_to_one(int(r))
        else:
            model.add_team(int(r))
    model.add_volunteer_limits()
    solver.Objective().SetMinimization()
    if stop is not None and stop.reason:
        return nothing
    if stop is not None:
        stop.active_solver = _Interruptible(solver)
    settings = pywraplp.MPSolverParameters()
    # The wrapper's default stops within 1e-4 of the program's own objective, which leaves
    # out the constant and is several times the roster's: closer, so that a roster meeting
    # the bound (less the tolerance below) is recognised as optimal.
    settings.SetDoubleParam(settings.RELATIVE_MIP_GAP, 1e-8)
    try:
        status = solver.Solve(settings)
    finally:
        if stop is not None:
            stop.active_solver = None
    if integer:
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return nothing
        value = model.constant + solver.Objective().BestBound()
    else:
        if status != pywraplp.Solver.OPTIMAL:
            return nothing
        value = model.constant + solver.Objective().Value()
    # The solvers' own tolerance. Their error scales with the program's objective, which
    # leaves out the constant: on a roster almost fully served the bound is a small
    # difference of two large numbers (both solvers gave 1.4349497 against an optimum of
    # 1.4349484, with a constant of 1,300).
    tolerance = 1e-7 * max(1.0, abs(value)) + 1e-8 * abs(model.constant)
    bound = value - tolerance
    if not (integer and status == pywraplp.Solver.OPTIMAL):
        return Relaxation(bound, {}, {}, False, tolerance)
    teams: dict[int, list[int]] = {}
    for (r, v), y in sorted(model.pairs.items()):
        if y.solution_value() > 0.5:
            teams.setdefault(r, []).append(v)
    visits = {r: round(sum(x.solution_value() for x in served))
              for r, served in sorted(model.served.items())}
    return Relaxation(bound, {r: tuple(vs) for r, vs in teams.items()}, visits, True,
                      tolerance)


def contested_lower_bound(problem: Problem, options: NeedOptions, residents, *,
                          integer: bool = False, time_limit_s: float = 30.0) -> float | None:
    """The bound of `contested_relaxation`, or None if nothing was proved."""
    return contested_relaxation(problem, options, residents, integer=integer,
                                time_limit_s=time_limit_s).bound


class _Interruptible:
    """A linear solver stopped the way a CP-SAT solver is."""

    def __init__(self, solver):
        self._solver = solver

    def StopSearch(self) -> None:  # CP-SAT's name, which the stop flag calls
        self._solver.InterruptSolve()


@dataclass(frozen=True)
class Relaxation:
    bound: float | None  # proven lower bound on every roster of the residents
    teams: dict[int, tuple[int, ...]]  # resident -> volunteers, if solved to optimality
    visits: dict[int, int]  # resident -> visits its optimum makes, likewise
    optimal: bool  # solved as an integer program to optimality
    # Taken off the solver's value for its own error: a roster within this of the bound
    # meets it.
    tolerance: float = 0.0


class _ContestedModel:
    def __init__(self, problem: Problem, options: NeedOptions, solver, integer: bool):
        self.problem, self.options, self.solver, self.integer = problem, options, solver, integer
        self.weights = problem.scenario.config.weights
        self.objective = solver.Objective()
        self.constant = 0.0
        self.hours: dict[int, list] = {}
        self.places: dict[int, list] = {}
        self.pairs: dict[tuple[int, int], object] = {}  # (resident, volunteer) -> on the team
        self.served: dict[int, list] = {}  # resident -> variables counting visits made
        self.terms: list = []  # (variable, cost) of the resident being added

    def variable(self, top: float, cost: float):
        whole = self.integer
        var = self.solver.IntVar(0, top, "") if whole else self.solver.NumVar(0, top, "")
        self.objective.SetCoefficient(var, cost)
        self.terms.append((var, cost))
        return var

    def _resident_basics(self, r: int):
        p, w = self.problem, self.weights
        priority = int(p.resident_priority[r])
        unserved = w.unmet_visit * priority
        self.constant += unserved_cost(p, [r])
        candidates = self.options.pairs_of_resident.get(r, [])
        rows_by_need = {n: self.options.row_of_volunteer(n) for n in p.needs_of(r)}
        pair_costs = member_costs(p, np.full(len(candidates), r),
                                  np.array(candidates, dtype=np.int64)).tolist()
        return unserved, candidates, rows_by_need, pair_costs

    def add_one_to_one(self, r: int) -> None:
        unserved, candidates, rows_by_need, pair_costs = self._resident_basics(r)
        team = []
        caps = _pair_caps(self.problem, self.options, candidates, rows_by_need)
        for v, pair_cost, cap in zip(candidates, pair_costs, caps, strict=True):
            loads, km = _visit_loads(self.problem, self.options, v, rows_by_need, cap)
            saving = unserved - self.weights.distance_km * km
            if pair_cost >= 0 and (not loads or saving <= 0):
                continue  # this pair can only add cost: no roster gains by it
            y = self.variable(1, pair_cost)
            self.pairs[r, v] = y
            team.append(y)
            self.places.setdefault(v, []).append(y)
            if saving > 0:
                # Visits of equal load are one whole count, not one variable each: those
                # would be interchangeable, and the MIP solver would branch over every
                # order of them (stations' programs were proved 1.1-3.3 times as fast).
                for load, count in sorted(Counter(loads).items()):
                    visits = self.variable(count, -saving)
                    self.served.setdefault(r, []).append(visits)
                    self.solver.Add(visits <= count * y)
                    self.hours.setdefault(v, []).append((visits, load))
        if team:
            self.solver.Add(self.solver.Sum(team) <= 1)

    def add_team(self, r: int) -> None:
        self.terms = []
        self._add_team_terms(r)
        if self.terms and not self.integer:
            # The team's alone bound (exact over its make-up) holds for its cost here too:
            # the linear program would otherwise staff its needs with fractions of many
            # volunteers (bundled station: the teams' linear costs alone sum to 556, their
            # alone bounds to 3,337). Whole counts need no such floor. Fairness is left
            # out of it: here it is counted over each volunteer's whole load, apart.
            alone = team_lower_bound(self.problem, self.options, r, with_fairness=False)
            floor = alone - unserved_cost(self.problem, [r])
            self.solver.Add(self.solver.Sum([cost * var for var, cost in self.terms]) >= floor)

    def _add_team_terms(self, r: int) -> None:
        p = self.problem
        unserved, candidates, rows_by_need, pair_costs = self._resident_basics(r)
        members = {}
        for v, pair_cost in zip(candidates, pair_costs, strict=True):
            members[v] = self.variable(1, pair_cost)
            self.pairs[r, v] = members[v]
            self.places.setdefault(v, []).append(members[v])
        if not members:
            return
        self.solver.Add(self.solver.Sum(list(members.values())) <= int(p.resident_team_size[r]))
        self._add_cohesion(members)
        for n, rows in rows_by_need.items():
            wanted = int(p.need_visits[n])
            together = int(p.need_volunteers_per_visit[n])
            attendances = {}
            for v, row in rows.items():
                most = min(wanted, int(days_in_mask(self.options.day_mask[row])))
                attend = self.variable(most, self.weights.distance_km * float(self.options.km[row]))
                self.solver.Add(attend <= most * members[v])
                attendances[v] = attend
                self.hours.setdefault(v, []).append((attend, int(self.options.load_ms[row])))
            if not attendances:
                continue
            served = self.variable(wanted, -unserved)
            self.served.setdefault(r, []).append(served)
            self.solver.Add(together * served <= self.solver.Sum(list(attendances.values())))
            skills = np.flatnonzero(p.service_skills[p.need_service[n]]).tolist()
            if together > 1:
                # One-volunteer visits' options already ask for every skill.
                for skill in skills:
                    skilled = [a for v, a in attendances.items() if p.volunteer_skills[v, skill]]
                    self.solver.Add(served <= self.solver.Sum(skilled))
            self._add_visit_days(n, rows, members, served, skills if together > 1 else [])

    def _add_visit_days(self, n: int, rows: dict[int, int], members: dict, served,
                        skills: list[int]) -> None:
        """A need's visits day by day: one at most a day (rule H3), each on a day when
        `together` members are free who hold each of the service's `skills` between them.
        Without it, two members free on the same one day could each be counted a visit of
        it, and a shared visit counted of members never free on the same day. (Tying each
        member's attendances to the days too proved a generated station of 50 optimal,
        but made the bundled station's proof 1.7 times as slow.)"""
        p, s = self.problem, self.solver
        together = int(p.need_volunteers_per_visit[n])
        free_on = {v: int(self.options.day_mask[row]) for v, row in rows.items()}
        visit_on = {}
        for day in range(DAYS):
            free = [v for v, mask in free_on.items() if mask >> day & 1]
            if len(free) < together:
                continue
            visit_on[day] = self.variable(1, 0.0)
            s.Add(together * visit_on[day] <= s.Sum([members[v] for v in free]))
            for skill in skills:
                s.Add(visit_on[day] <= s.Sum([members[v] for v in free
                                              if p.volunteer_skills[v, skill]]))
        s.Add(served <= s.Sum(list(visit_on.values())))

    def _add_cohesion(self, members: dict) -> None:
        """A team with members of two organizations costs the cohesion weight."""
        p, s = self.problem, self.solver
        if self.weights.cohesion <= 0:
            return
        groups: dict[int, list] = {}
        for v, y in members.items():
            groups.setdefault(int(p.volunteer_organization[v]), []).append(y)
        if len(groups) < 2:
            return
        used = []
        for ys in groups.values():
            in_group = self.variable(1, 0.0)
            for y in ys:
                s.Add(in_group >= y)
            used.append(in_group)
        spans = self.variable(1, self.weights.cohesion)
        for i, a in enumerate(used):
            for b in used[i + 1:]:
                s.Add(spans >= a + b - 1)

    def add_volunteer_limits(self) -> None:
        p = self.problem
        share = fair_share_minutes(p)
        for v, entries in self.hours.items():
            # In minutes, not milliseconds: rows with coefficients in the millions beside
            # ones in the units slow the solvers' linear algebra. The bundled station's
            # integer program was proved in about half the time (other stations: from a
            # fifth of the time to 1.7 times it, less in all on the five).
            load = self.solver.Sum([(ms / MS_PER_MINUTE) * x for x, ms in entries])
            self.solver.Add(load <= float(p.volunteer_max_minutes[v]))
            if self.weights.fairness > 0:
                # Loads here are never above the roster's, so neither is this excess. They
                # are rounded up to the millisecond (rule H6), so one is taken off each.
                worked = self.solver.Sum([((ms - 1) / MS_PER_MINUTE) * x for x, ms in entries])
                above = self.solver.NumVar(0, self.solver.infinity(), "")
                self.objective.SetCoefficient(above, self.weights.fairness)
                self.solver.Add(MINUTES_PER_HOUR * above >= worked - float(share[v]))
        for v, ys in self.places.items():
            if len(ys) > int(p.volunteer_max_residents[v]):
                self.solver.Add(self.solver.Sum(ys) <= int(p.volunteer_max_residents[v]))


def _pair_caps(problem: Problem, options: NeedOptions, candidates: list[int],
               rows_by_need: dict[int, dict[int, int]]) -> list[int]:
    """`visit_caps` of one resident's candidates, in their order."""
    table = np.array([[rows.get(v, -1) for rows in rows_by_need.values()] for v in candidates],
                     dtype=np.int64).reshape(len(candidates), len(rows_by_need))
    return column_caps(problem, options, table).tolist()


def _visit_loads(problem: Problem, options: NeedOptions, v: int,
                 rows_by_need: dict[int, dict[int, int]], cap: int) -> tuple[list[int], float]:
    """Loads of the most visits v alone could make for the resident within v's hours and
    the week (`cap` visits at most), lightest first, and v's distance."""
    loads: list[int] = []
    km = 0.0
    for n, rows in rows_by_need.items():
        row = rows.get(v)
        if row is not None:
            days = int(days_in_mask(options.day_mask[row]))
            loads += [int(options.load_ms[row])] * min(int(problem.need_visits[n]), days)
            km = float(options.km[row])
    hours = int(problem.volunteer_max_ms[v])
    ordered = sorted(loads)
    served = min(int((np.cumsum(ordered) <= hours).sum()), cap) if ordered else 0
    return ordered[:served], km
