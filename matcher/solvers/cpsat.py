"""The exact CP-SAT model of one part of a roster: teams, visit days, times and attendees.

A *part* is a set of residents whose pairs and visits are decided here; the rest of the
roster is fixed and only uses up the time and capacity of volunteers shared with the part.

Variables: `x[r, v]` pair, `z[n, d]` need n has a visit on day d, `s[n, d]` its start
minute, `y[n, d, v]` volunteer v attends it. Every hard rule is a constraint, except the
travel gap between two residents' visits on one day (H5), which is added lazily: the model
is solved without it, each volunteer's day is checked with exact travel times, and for every
pair of visits that are too close a disjunction (one after the other, with travel between)
is added before solving again. Each model solved is a relaxation of the true problem plus
valid constraints, so its bound is a valid lower bound, and a solution that needs no more
constraints is optimal for the true problem when CP-SAT proves it optimal.

Costs are integers at a fixed scale (`SCALE` per objective unit), rounded down, so that the
model never overestimates the true cost and its bound stays valid; the roster is scored
exactly by `matcher.objective` afterwards.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from matcher.objective import fair_share_minutes, preference_misses
from matcher.options import NeedOptions, Option
from matcher.problem import MS_PER_HOUR, MS_PER_MINUTE, Problem
from matcher.solution import Solution, Visit

LOG = logging.getLogger(__name__)
SCALE = 1000  # model units per objective unit
# CP-SAT's deterministic work units per second of wall-clock limit. Stopping on work rather
# than on the clock makes the search repeatable; the clock remains the safety net.
WORK_PER_SECOND = 0.6
FAIRNESS_UNIT_MS = 3_600  # fairness excess is counted in thousandths of an hour
MAX_LAZY_ROUNDS = 30


@dataclass(frozen=True)
class SolverParams:
    time_limit_s: float = 60.0  # wall-clock cap
    workers: int = 2  # processes for independent parts, or a city-sized part's team choice
    seed: int = 0
    log: bool = False
    work_limit: float | None = None  # deterministic work; default WORK_PER_SECOND x budget
    # Seconds the step budgets are sized for (default: the time limit). A part of a larger
    # solve gets its share of the configured limit here, worked out from sizes alone, while
    # its time limit is what the clock has left: so the steps, and the roster, do not depend
    # on how fast the parts before it went.
    budget_s: float | None = None

    @property
    def steps_s(self) -> float:
        return self.budget_s if self.budget_s is not None else self.time_limit_s

    @property
    def work(self) -> float:
        return self.work_limit if self.work_limit is not None else (
            WORK_PER_SECOND * self.steps_s)


@dataclass(frozen=True)
class PartResult:
    solution: Solution  # pairs and visits of the part's residents only
    status: str  # "optimal", "feasible" or "unknown"
    bound: float | None  # valid lower bound on the part's objective, given the fixed rest
    rounds: int
    seconds: float
    # The wall clock ended a model before its work limit (or left no time for one), so
    # another run of the same inputs may give another roster.
    clock_ended: bool = False


@dataclass
class _TravelCuts:
    """Pairs of visit options of one volunteer that need travel time between them."""

    between_options: set = field(default_factory=set)  # ((n1, d, v), (n2, d, v))
    against_fixed: set = field(default_factory=set)  # ((n, d, v), fixed visit index)


def solve_part(problem: Problem, options: NeedOptions, residents, fixed: Solution,
               params: SolverParams, hint: Solution | None = None, stop=None) -> PartResult:
    """Best roster for `residents` given the fixed rest of the roster."""
    started = time.monotonic()
    work_left = params.work
    cuts = _TravelCuts()
    best_bound = -math.inf
    slack = 0.0
    solution = hint
    status = "unknown"
    clock_ended = False
    for rounds in range(1, MAX_LAZY_ROUNDS + 1):
        remaining = params.time_limit_s - (time.monotonic() - started)
        if work_left <= 0.01 or (stop is not None and stop.reason):
            break
        if remaining <= 0.05:
            clock_ended = True
            break
        model = _PartModel(problem, options, sorted(residents), fixed, cuts)
        slack = model.rounding_slack
        result = model.solve(params, remaining, work_left, solution, stop)
        clock_ended |= model.clock_ended
        if result is None:
            break
        found, status, bound, work_used = result
        work_left -= work_used
        best_bound = max(best_bound, bound)
        solution = found
        between, against = model.travel_violations(found)
        if not between and not against:
            return PartResult(found, status, best_bound / SCALE - slack, rounds,
                              time.monotonic() - started, clock_ended)
        cuts.between_options.update(between)
        cuts.against_fixed.update(against)
    # Out of time or rounds: keep only what satisfies every rule.
    safe = _drop_travel_conflicts(problem, fixed, solution)
    bound = best_bound / SCALE - slack if best_bound > -math.inf else None
    return PartResult(safe, "feasible" if safe.visits or safe.pairs else status, bound,
                      MAX_LAZY_ROUNDS, time.monotonic() - started, clock_ended)


class _PartModel:
    def __init__(self, problem: Problem, options: NeedOptions, residents: list[int],
                 fixed: Solution, cuts: _TravelCuts):
        self.problem = problem
        self.options = options
        self.residents = residents
        self.fixed = fixed
        self.cuts = cuts
        self.clock_ended = False  # set by `solve`
        self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.z: dict[tuple[int, int], cp_model.IntVar] = {}
        self.s: dict[tuple[int, int], cp_model.IntVar] = {}
        self.y: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.option: dict[tuple[int, int, int], Option] = {}
        self.objective_terms: list = []
        self.constant = 0
        self.rounding_slack = 0.0
        self._fixed_by_volunteer = _visits_by_volunteer(fixed)
        self._build()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        p, m = self.problem, self.model
        weights = p.scenario.config.weights
        for r in self.residents:
            for v in self.options.pairs_of_resident.get(r, []):
                self.x[r, v] = m.NewBoolVar(f"x{r}_{v}")
        for r in self.residents:
            for n in p.needs_of(r):
                self._build_need(n, r)
        self._build_residents(weights)
        self._build_volunteers(weights)
        self._build_travel_cuts()
        m.Minimize(sum(self.objective_terms) + self.constant)

    def _build_need(self, n: int, r: int) -> None:
        p, m = self.problem, self.model
        weights = p.scenario.config.weights
        per_day: dict[int, list[Option]] = defaultdict(list)
        for option in self.options.by_need.get(n, []):
            per_day[option.day].append(option)
        together = int(p.need_volunteers_per_visit[n])
        unmet_cost = _floor(weights.unmet_visit * int(p.resident_priority[r]))
        self.constant += unmet_cost * int(p.need_visits[n])
        days = []
        wanted = np.flatnonzero(p.service_skills[p.need_service[n]])
        for day, day_options in sorted(per_day.items()):
            if len(day_options) < together:
                continue
            ranges = sorted({rng for o in day_options for rng in o.starts})
            z = m.NewBoolVar(f"z{n}_{day}")
            s = m.NewIntVarFromDomain(cp_model.Domain.FromIntervals(_merge(ranges)), f"s{n}_{day}")
            self.z[n, day], self.s[n, day] = z, s
            days.append(z)
            attendees = []
            for o in day_options:
                y = m.NewBoolVar(f"y{n}_{day}_{o.volunteer}")
                self.y[n, day, o.volunteer] = y
                self.option[n, day, o.volunteer] = o
                attendees.append(y)
                m.AddImplication(y, self.x[r, o.volunteer])
                if list(o.starts) != _merge(ranges):
                    m.AddLinearExpressionInDomain(
                        s, cp_model.Domain.FromIntervals(list(o.starts))).OnlyEnforceIf(y)
                self.objective_terms.append(_floor(weights.distance_km * o.km) * y)
            m.Add(sum(attendees) == together * z)
            if together > 1:
                for skill in wanted.tolist():
                    able = [self.y[n, day, o.volunteer] for o in day_options
                            if p.volunteer_skills[o.volunteer, skill]]
                    m.Add(sum(able) >= z)
            self.objective_terms.append(-unmet_cost * z)
        if days:
            m.Add(sum(days) <= int(p.need_visits[n]))

    def _build_residents(self, weights) -> None:
        p, m = self.problem, self.model
        for r in self.residents:
            volunteers = self.options.pairs_of_resident.get(r, [])
            team = [self.x[r, v] for v in volunteers]
            priority = int(p.resident_priority[r])
            member_cost = _floor(weights.unmet_member * priority)
            self.constant += member_cost * int(p.resident_team_size[r])
            if team:
                m.Add(sum(team) <= int(p.resident_team_size[r]))
                misses = preference_misses(p, np.full(len(volunteers), r), np.array(volunteers))
                for miss, x in zip(misses.tolist(), team, strict=True):
                    self.objective_terms.append((_floor(weights.preference * miss) - member_cost)
                                                * x)
            for cv in sorted(p.incumbents_of(r)):
                churn = _floor(weights.churn)
                self.constant += churn
                if (r, cv) in self.x:
                    self.objective_terms.append(-churn * self.x[r, cv])
            self._build_cohesion(r, volunteers, weights)
            # A resident has one visit at a time on each day; start minutes are minutes of
            # the day, so visits on different days never overlap.
            for d in range(7):
                intervals = [m.NewOptionalFixedSizeIntervalVar(
                    self.s[n, d], int(p.need_duration[n]), self.z[n, d], f"ri{n}_{d}")
                    for n in p.needs_of(r) if (n, d) in self.z]
                if len(intervals) > 1:
                    m.AddNoOverlap(intervals)

    def _build_cohesion(self, r: int, volunteers: list[int], weights) -> None:
        p, m = self.problem, self.model
        if int(p.resident_team_size[r]) < 2 or weights.cohesion <= 0:
            return
        groups: dict[int, list[int]] = defaultdict(list)
        for v in volunteers:
            groups[int(p.volunteer_organization[v])].append(v)
        if len(groups) < 2:
            return
        used = {}
        for group, members in groups.items():
            used[group] = m.NewBoolVar(f"g{r}_{group}")
            for v in members:
                m.AddImplication(self.x[r, v], used[group])
        spans = m.NewBoolVar(f"c{r}")
        keys = sorted(used)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                m.Add(spans >= used[a] + used[b] - 1)
        self.objective_terms.append(_floor(weights.cohesion) * spans)

    def _build_volunteers(self, weights) -> None:
        p, m = self.problem, self.model
        by_volunteer: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for key in self.y:
            by_volunteer[key[2]].append(key)
        pairs_by_volunteer: dict[int, list] = defaultdict(list)
        for (_, v), x in self.x.items():
            pairs_by_volunteer[v].append(x)
        fixed_pairs = defaultdict(int)
        for _, v in self.fixed.pairs:
            fixed_pairs[v] += 1
        share_ms = fair_share_minutes(p) * MS_PER_MINUTE
        fairness_cost = _floor(weights.fairness * FAIRNESS_UNIT_MS / MS_PER_HOUR)
        if fairness_cost:
            # Each volunteer's excess is rounded up to a thousandth of an hour.
            self.rounding_slack += weights.fairness * FAIRNESS_UNIT_MS / MS_PER_HOUR * len(pairs_by_volunteer)
        for v, xs in sorted(pairs_by_volunteer.items()):
            m.Add(sum(xs) <= int(p.volunteer_max_residents[v]) - fixed_pairs[v])
            keys = by_volunteer.get(v, [])
            fixed_load = sum(self._fixed_load_ms(v))
            cap_ms = int(p.volunteer_max_ms[v]) - fixed_load
            load = sum(self.option[k].load_ms * self.y[k] for k in keys) if keys else 0
            if keys:
                m.Add(load <= cap_ms)
            if fairness_cost and keys:
                top = max(0, (cap_ms + fixed_load - int(share_ms[v])) // FAIRNESS_UNIT_MS + 1)
                excess = m.NewIntVar(0, top, f"e{v}")
                m.Add(FAIRNESS_UNIT_MS * excess >= load + fixed_load - int(share_ms[v]))
                self.objective_terms.append(fairness_cost * excess)
            elif fairness_cost:
                over = max(0, fixed_load - int(share_ms[v]))
                self.constant += fairness_cost * math.ceil(over / FAIRNESS_UNIT_MS)
            self._build_no_overlap(v, keys)

    def _fixed_load_ms(self, v: int) -> list[int]:
        p = self.problem
        loads = []
        for visit in self._fixed_by_volunteer.get(v, []):
            r = int(p.need_resident[visit.need])
            minutes = float(p.travel_minutes(r, v))
            loads.append(math.ceil((int(p.need_duration[visit.need]) + 2 * minutes) * MS_PER_MINUTE))
        return loads

    def _build_no_overlap(self, v: int, keys: list[tuple[int, int, int]]) -> None:
        p, m = self.problem, self.model
        by_day: dict[int, list] = defaultdict(list)
        for n, d, _ in keys:
            by_day[d].append(m.NewOptionalFixedSizeIntervalVar(
                self.s[n, d], int(p.need_duration[n]), self.y[n, d, v], f"vi{n}_{d}_{v}"))
        for visit in self._fixed_by_volunteer.get(v, []):
            if visit.day in by_day:
                by_day[visit.day].append(m.NewFixedSizeIntervalVar(
                    visit.start, int(p.need_duration[visit.need]), f"fx{v}_{visit.need}"))
        for intervals in by_day.values():
            if len(intervals) > 1:
                m.AddNoOverlap(intervals)

    def _build_travel_cuts(self) -> None:
        p, m = self.problem, self.model
        for first, second in sorted(self.cuts.between_options):
            if first not in self.y or second not in self.y:
                continue
            (n1, d, v), (n2, _, _) = first, second
            r1, r2 = int(p.need_resident[n1]), int(p.need_resident[n2])
            gap = math.ceil(float(p.resident_travel_minutes(r1, r2, v)) - 1e-9)
            both = [self.y[first], self.y[second]]
            order = m.NewBoolVar(f"o{n1}_{n2}_{d}_{v}")
            m.Add(self.s[n2, d] >= self.s[n1, d] + int(p.need_duration[n1]) + gap).OnlyEnforceIf(
                [*both, order])
            m.Add(self.s[n1, d] >= self.s[n2, d] + int(p.need_duration[n2]) + gap).OnlyEnforceIf(
                [*both, order.Not()])
        for key, fixed_index in sorted(self.cuts.against_fixed):
            if key not in self.y:
                continue
            n, d, v = key
            visit = self.fixed.visits[fixed_index]
            r1, r2 = int(p.need_resident[n]), int(p.need_resident[visit.need])
            gap = math.ceil(float(p.resident_travel_minutes(r1, r2, v)) - 1e-9)
            fixed_end = visit.start + int(p.need_duration[visit.need])
            after = m.NewBoolVar(f"a{n}_{d}_{v}_{fixed_index}")
            m.Add(self.s[n, d] >= fixed_end + gap).OnlyEnforceIf([self.y[key], after])
            m.Add(self.s[n, d] + int(p.need_duration[n]) + gap <= visit.start).OnlyEnforceIf(
                [self.y[key], after.Not()])

    # -- solving -----------------------------------------------------------------------------

    def solve(self, params: SolverParams, time_limit: float, work_limit: float,
              hint: Solution | None, stop=None) -> tuple[Solution, str, float, float] | None:
        if hint is not None:
            self._add_hint(hint)
        solver, code = run_cp_sat(self.model, params, time_limit, work_limit, stop)
        self.clock_ended = ended_by_clock(solver, code, work_limit, stop)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        status = "optimal" if code == cp_model.OPTIMAL else "feasible"
        return (self._extract(solver), status, float(solver.BestObjectiveBound()),
                float(solver.ResponseProto().deterministic_time))

    def _add_hint(self, hint: Solution) -> None:
        pairs = set(hint.pairs)
        for key, var in self.x.items():
            self.model.AddHint(var, key in pairs)
        chosen = {(v.need, v.day): v for v in hint.visits}
        for key, var in self.z.items():
            visit = chosen.get(key)
            self.model.AddHint(var, visit is not None)
            if visit is not None:
                self.model.AddHint(self.s[key], visit.start)
        for (n, d, v), var in self.y.items():
            visit = chosen.get((n, d))
            self.model.AddHint(var, visit is not None and v in visit.volunteers)

    def _extract(self, solver: cp_model.CpSolver) -> Solution:
        pairs = [key for key, var in self.x.items() if solver.BooleanValue(var)]
        attendees: dict[tuple[int, int], list[int]] = defaultdict(list)
        for (n, d, v), var in self.y.items():
            if solver.BooleanValue(var):
                attendees[n, d].append(v)
        visits = [Visit(n, d, int(solver.Value(self.s[n, d])), tuple(sorted(attendees[n, d])))
                  for (n, d), z in self.z.items() if solver.BooleanValue(z)]
        return Solution.of(pairs, visits)

    def travel_violations(self, solution: Solution) -> tuple[set, set]:
        return travel_violations(self.problem, self.fixed, self._fixed_by_volunteer, solution)


def run_cp_sat(model: cp_model.CpModel, params: SolverParams, time_limit: float,
               work_limit: float, stop=None) -> tuple[cp_model.CpSolver, int]:
    """Solve with the project's settings; `stop` can interrupt the search from elsewhere."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.max_deterministic_time = max(0.01, work_limit)
    # One search worker: CP-SAT's parallel portfolio races threads, and the same inputs
    # must give the same roster.
    solver.parameters.num_workers = 1
    # Ctrl-C is ours to handle (the stop flag stops the search and keeps the best roster);
    # CP-SAT's own handler would swallow it in one solve and, in a forked worker, abort.
    solver.parameters.catch_sigint_signal = False
    solver.parameters.random_seed = params.seed
    solver.parameters.log_search_progress = params.log
    if stop is not None:
        stop.active_solver = solver
    try:
        code = solve_hinted(solver, model)
    finally:
        if stop is not None:
            stop.active_solver = None
    return solver, code


def ended_by_clock(solver: cp_model.CpSolver, code: int, work_limit: float, stop=None) -> bool:
    """Did the wall clock, rather than the work limit, end this solve unproven? Only then
    can another run of the same model end elsewhere. CP-SAT ends on its work limit with at
    least that much work counted; a stop from elsewhere is not the clock's."""
    if code in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        return False
    if stop is not None and stop.reason:
        return False
    return solver.ResponseProto().deterministic_time < max(0.01, work_limit) * (1 - 1e-6)


def solve_hinted(solver: cp_model.CpSolver, model: cp_model.CpModel) -> int:
    """`solver.Solve(model)`, around a fault of OR-Tools 9.15: its presolve can fail on a
    model with a solution hint, with `absl::btree_map::at` (an IndexError here), after
    the symmetries it finds (seen on one step of a city's search in thousands). The model
    is then solved again without symmetry detection, and if that fails too, without its
    hint. The same model always takes the same path, so rosters still repeat."""
    try:
        return solver.Solve(model)
    except IndexError as fault:
        if not model.Proto().has_solution_hint():
            raise
        # Said, so that a roster that differs from another run's can be traced to it.
        LOG.warning("CP-SAT presolve failed on a hinted model (%s); solving it again "
                    "without symmetry detection", fault)
    solver.parameters.symmetry_level = 0
    try:
        return solver.Solve(model)
    except IndexError as fault:
        LOG.warning("CP-SAT presolve failed again (%s); solving it without its hint", fault)
        # Variables keep their indices in the copy, so the caller reads the solver's
        # values through its own model as before.
        unhinted = cp_model.CpModel()
        unhinted.Proto().copy_from(model.Proto())
        unhinted.Proto().clear_solution_hint()
        return solver.Solve(unhinted)


def travel_violations(problem: Problem, fixed: Solution, fixed_by_volunteer: dict,
                      solution: Solution) -> tuple[set, set]:
    """Option pairs (and option/fixed-visit pairs) closer than the travel between them.

    Checking consecutive visits suffices: travel times obey the triangle inequality.
    """
    p = problem
    between, against = set(), set()
    fixed_index = {visit: i for i, visit in enumerate(fixed.visits)}
    schedule: dict[tuple[int, int], list] = defaultdict(list)
    for visit in solution.visits:
        for v in visit.volunteers:
            schedule[v, visit.day].append((visit, False))
    for v, visits in fixed_by_volunteer.items():
        for visit in visits:
            if (v, visit.day) in schedule:
                schedule[v, visit.day].append((visit, True))
    for (v, day), items in schedule.items():
        items.sort(key=lambda item: item[0].start)
        for (a, a_fixed), (b, b_fixed) in itertools.pairwise(items):
            ra, rb = int(p.need_resident[a.need]), int(p.need_resident[b.need])
            if ra == rb:
                continue
            gap = math.ceil(float(p.resident_travel_minutes(ra, rb, v)) - 1e-9)
            if b.start - (a.start + int(p.need_duration[a.need])) >= gap:
                continue
            if a_fixed and b_fixed:
                continue
            if a_fixed or b_fixed:
                free, fixed_visit = (b, a) if a_fixed else (a, b)
                against.add(((free.need, day, v), fixed_index[fixed_visit]))
            else:
                between.add(tuple(sorted([(a.need, day, v), (b.need, day, v)])))
    return between, against


def _drop_travel_conflicts(problem: Problem, fixed: Solution,
                           solution: Solution | None) -> Solution:
    """Remove visits until no travel gap is broken: the safe fallback when time runs out."""
    if solution is None:
        return Solution()
    visits = list(solution.visits)
    fixed_by_volunteer = _visits_by_volunteer(fixed)
    while True:
        between, against = travel_violations(problem, fixed, fixed_by_volunteer,
                                             Solution.of(solution.pairs, visits))
        if not between and not against:
            return Solution.of(solution.pairs, visits)
        bad_needs = {key[0][0] for key in against} | {pair[1][0] for pair in between}
        bad_days = {key[0][1] for key in against} | {pair[1][1] for pair in between}
        drop = next(v for v in sorted(visits) if v.need in bad_needs and v.day in bad_days)
        visits.remove(drop)


def _visits_by_volunteer(solution: Solution) -> dict[int, list[Visit]]:
    result: dict[int, list[Visit]] = defaultdict(list)
    for visit in solution.visits:
        for v in visit.volunteers:
            result[v].append(visit)
    return result


def _merge(ranges: list[tuple[int, int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged


def _floor(value: float) -> int:
    return math.floor(value * SCALE + 1e-9)
