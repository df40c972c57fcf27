"""A proven lower bound on the objective: each resident at their best, alone.

Every term of the objective but fairness is a sum over residents, and fairness is never
negative, so the sum over residents of the least cost each could have if nobody else
competed for their volunteers is a valid lower bound. For a resident cared for one to one,
the least cost is found exactly over every eligible volunteer (that volunteer's days, skills
and weekly hours included). For a team, the team's make-up is relaxed: each need may use the
best of all eligible volunteers, for any number of members.

The bound is weak where volunteers are contested (the optimiser's real difficulty); its gap
says how much of the cost could at most still be saved.
"""

from __future__ import annotations

import math

import numpy as np

from matcher.objective import preference_misses
from matcher.options import NeedOptions
from matcher.problem import Problem


def resident_lower_bound(problem: Problem, options: NeedOptions, r: int) -> float:
    """The least cost resident r could have with the volunteers all to themselves."""
    weights = problem.scenario.config.weights
    priority = int(problem.resident_priority[r])
    size = int(problem.resident_team_size[r])
    candidates = options.pairs_of_resident.get(r, [])
    incumbents = {int(v) for cr, v in problem.current.tolist() if cr == r}
    visits = sum(int(problem.need_visits[n]) for n in problem.needs_of(r))
    unserved = weights.unmet_visit * priority
    empty = (unserved * visits + weights.unmet_member * priority * size
             + weights.churn * len(incumbents))
    if not candidates:
        return empty
    misses = preference_misses(problem, np.full(len(candidates), r),
                               np.array(candidates, dtype=np.int64)).astype(float)
    if size == 1:
        rows_by_need = {n: {int(options.volunteer[row]): row for row in options.rows_of(n)}
                        for n in problem.needs_of(r)}
        best = empty
        for v, miss in zip(candidates, misses.tolist(), strict=True):
            best = min(best, _one_volunteer(problem, options, r, v, rows_by_need)
                       + weights.preference * miss
                       + weights.churn * len(incumbents - {v}))
        return best
    cheapest_wishes = np.cumsum(np.sort(misses)) * weights.preference
    keepable = len(incumbents & set(candidates))
    best = empty
    for members in range(1, min(size, len(candidates)) + 1):
        cost = (weights.unmet_member * priority * (size - members)
                + cheapest_wishes[members - 1]
                + weights.churn * (len(incumbents) - min(members, keepable)))
        for n in problem.needs_of(r):
            cost += _need_relaxed(problem, options, n, members, unserved)
        best = min(best, cost)
    return best


def _one_volunteer(problem: Problem, options: NeedOptions, r: int, v: int,
                   rows_by_need: dict[int, dict[int, int]]) -> float:
    """Least unmet-visit and distance cost of r's needs served by v alone, within v's hours."""
    weights = problem.scenario.config.weights
    unserved = weights.unmet_visit * int(problem.resident_priority[r])
    loads: list[int] = []
    km = 0.0
    total = 0
    for n in problem.needs_of(r):
        wanted = int(problem.need_visits[n])
        total += wanted
        row = rows_by_need[n].get(v)
        if row is not None:
            days = bin(int(options.day_mask[row])).count("1")
            loads += [int(options.load_ms[row])] * min(wanted, days)
            km = float(options.km[row])
    cap = math.floor(float(problem.volunteer_max_minutes[v]) * 60_000)
    # The most visits that fit in v's hours: the lightest first.
    fitting = np.cumsum(sorted(loads)) <= cap if loads else np.zeros(0, dtype=bool)
    served = int(fitting.sum())
    per_visit = weights.distance_km * km
    if per_visit >= unserved:
        served = 0
    return (total - served) * unserved + served * per_visit


def _need_relaxed(problem: Problem, options: NeedOptions, n: int, members: int,
                  unserved: float) -> float:
    """Least cost of one need when any `members` eligible volunteers may staff it."""
    weights = problem.scenario.config.weights
    wanted = int(problem.need_visits[n])
    together = int(problem.need_volunteers_per_visit[n])
    rows = list(options.rows_of(n))
    if together > members or not rows:
        return wanted * unserved
    skills = problem.service_skills[problem.need_service[n]]
    staffable = 0
    for day in range(7):
        free = [row for row in rows if int(options.day_mask[row]) >> day & 1]
        if len(free) < together:
            continue
        covered = np.zeros_like(skills)
        for row in free:
            covered |= problem.volunteer_skills[int(options.volunteer[row])]
        if not (skills & ~covered).any():
            staffable += 1
    served = min(wanted, staffable)
    per_visit = weights.distance_km * float(np.sort(options.km[rows])[:together].sum())
    if per_visit >= unserved:
        served = 0
    return (wanted - served) * unserved + served * per_visit


def lower_bound(problem: Problem, options: NeedOptions, residents) -> float:
    return float(sum(resident_lower_bound(problem, options, r) for r in residents))


def contested_lower_bound(problem: Problem, options: NeedOptions, residents) -> float | None:
    """A tighter bound: one-to-one residents competing for volunteers' hours and places.

    A linear relaxation: for each one-to-one resident r and eligible volunteer v, `y[r,v]`
    is how much v is r's volunteer, and `u[r,v,i]` whether v makes an i-th visit for r, at
    most as many as v could make for r alone. The i-th visit takes the i-th lightest load, so
    any k visits take at least what the k lightest would. A real roster is a point of it, at
    no more than its cost; volunteers' hours and places are shared between residents.
    Residents cared for by a team add their own relaxed bound. Returns None if the linear
    program does not solve to optimality.
    """
    from ortools.linear_solver import pywraplp

    weights = problem.scenario.config.weights
    solver = pywraplp.Solver.CreateSolver("GLOP")
    hours: dict[int, list] = {}
    places: dict[int, list] = {}
    objective = solver.Objective()
    constant = 0.0
    for r in residents:
        r = int(r)
        if int(problem.resident_team_size[r]) != 1:
            constant += resident_lower_bound(problem, options, r)
            continue
        priority = int(problem.resident_priority[r])
        unserved = weights.unmet_visit * priority
        incumbents = {int(v) for cr, v in problem.current.tolist() if cr == r}
        total = sum(int(problem.need_visits[n]) for n in problem.needs_of(r))
        constant += (unserved * total + weights.unmet_member * priority
                     + weights.churn * len(incumbents))
        candidates = options.pairs_of_resident.get(r, [])
        if not candidates:
            continue
        rows_by_need = {n: {int(options.volunteer[row]): row for row in options.rows_of(n)}
                        for n in problem.needs_of(r)}
        misses = preference_misses(problem, np.full(len(candidates), r),
                                   np.array(candidates, dtype=np.int64)).tolist()
        team = []
        for v, miss in zip(candidates, misses, strict=True):
            loads, km = _visit_loads(problem, options, v, rows_by_need)
            pair_cost = (weights.preference * miss - weights.unmet_member * priority
                         - weights.churn * (v in incumbents))
            saving = unserved - weights.distance_km * km
            if pair_cost >= 0 and (not loads or saving <= 0):
                continue  # this pair can only add cost: no roster gains by it
            y = solver.NumVar(0, 1, "")
            objective.SetCoefficient(y, pair_cost)
            team.append(y)
            places.setdefault(v, []).append(y)
            if saving > 0:
                for load in loads:
                    visit = solver.NumVar(0, 1, "")
                    objective.SetCoefficient(visit, -saving)
                    solver.Add(visit <= y)
                    hours.setdefault(v, []).append((visit, load))
        if team:
            solver.Add(solver.Sum(team) <= 1)
    for v, entries in hours.items():
        cap = float(problem.volunteer_max_minutes[v]) * 60_000
        if sum(load for _, load in entries) > cap:
            solver.Add(solver.Sum([load * s for s, load in entries]) <= cap)
    for v, ys in places.items():
        if len(ys) > int(problem.volunteer_max_residents[v]):
            solver.Add(solver.Sum(ys) <= int(problem.volunteer_max_residents[v]))
    objective.SetMinimization()
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    value = constant + objective.Value()
    return value - 1e-7 * max(1.0, abs(value))  # the solver's own tolerance


def _visit_loads(problem: Problem, options: NeedOptions, v: int,
                 rows_by_need: dict[int, dict[int, int]]) -> tuple[list[int], float]:
    """Loads of the most visits v alone could make for the resident within v's hours,
    lightest first, and v's distance."""
    loads: list[int] = []
    km = 0.0
    for n, rows in rows_by_need.items():
        row = rows.get(v)
        if row is not None:
            days = bin(int(options.day_mask[row])).count("1")
            loads += [int(options.load_ms[row])] * min(int(problem.need_visits[n]), days)
            km = float(options.km[row])
    cap = math.floor(float(problem.volunteer_max_minutes[v]) * 60_000)
    ordered = sorted(loads)
    served = int((np.cumsum(ordered) <= cap).sum()) if ordered else 0
    return ordered[:served], km
