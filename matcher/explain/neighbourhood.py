"""Re-solving the part of a roster around one resident, with one change applied.

The neighbourhood is the resident, the volunteers who could serve them (their team, the
changed volunteer, then the nearest volunteers able to attend one of their needs), and
every resident those volunteers serve now, at most `MAX_RESIDENTS` of them (below the
engine's size for one exact model). It is re-solved by the engine's CP-SAT part model with
the rest of the roster fixed, over the changed scenario: volunteers who also serve
residents outside keep that work, its hours and its times (travel between included), so
the roster that comes out is a whole roster of the changed scenario, ready to check.

A standalone sub-scenario solved with `matcher.solve` was tried first: it has to take
each volunteer's outside work off their caps and availability, travel included, and that
cut so much that re-solving with no change at all lost visits the roster already had.

The re-solve counts churn against the roster being explained, not the scenario's
`current`, so it moves as little of this week's roster as it can.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace

import numpy as np

from matcher.candidates import candidate_pairs
from matcher.explain.changes import Change
from matcher.explain.rules import first_free_start
from matcher.explain.state import RosterState
from matcher.objective import evaluate, volunteer_load_minutes
from matcher.options import NeedOptions, common_starts, visit_options
from matcher.problem import Problem, compile_problem
from matcher.scenario.model import Scenario
from matcher.solution import Solution, Visit
from matcher.solvers.cpsat import SolverParams, solve_part

# Sizes that the exact model settles within a few seconds (measured on the bundled station:
# with 8 residents and 16 volunteers it often ran out of time before using the change).
MAX_RESIDENTS = 6
MAX_VOLUNTEERS = 12
USEFUL = 8  # nearest volunteers able to attend some need of the resident, in order
OTHERS_MAY_SWITCH_TO = 4  # besides their team, volunteers each other resident may get
TIME_LIMIT_S = 4.0


@dataclass(frozen=True, eq=False)
class Trial:
    change: Change
    served: bool
    losses: list[str]  # other needs of the neighbourhood that lose visits or team members
    seconds: float
    residents: tuple[str, ...]  # the neighbourhood re-solved
    volunteers: tuple[str, ...]
    objective_delta: float  # the whole roster's objective after the change, minus before
    problem: Problem = field(repr=False)  # the changed scenario, compiled
    solution: Solution = field(repr=False)  # the whole roster after the change

    @property
    def accepted(self) -> bool:
        return self.served and not self.losses

    def as_dict(self) -> dict:
        return {"change": self.change.as_dict(), "served": self.served, "losses": self.losses,
                "objective_delta": round(self.objective_delta, 6),
                "seconds": round(self.seconds, 3),
                "neighbourhood": {"residents": list(self.residents),
                                  "volunteers": list(self.volunteers)}}


def try_change(state: RosterState, r: int, n: int, change: Change, *,
               time_limit_s: float = TIME_LIMIT_S, seed: int = 0) -> Trial:
    """Apply `change`, re-solve around r, and say whether need n is served.

    Rosters of the changed scenario are made, smallest upheaval first, and the best by the
    objective (churn counted against the roster explained) is kept: the roster as it was
    with whatever visits its teams can now add; the same with the changed volunteers put
    on r's team (in place of the member doing least there, if the team is full); r alone
    re-solved, everyone else fixed; and, if r is still not served, the whole
    neighbourhood re-solved. Every visit added after a re-solve is placed by fill_visits,
    which checks the hard rules itself.
    """
    started = time.monotonic()
    changed = change.apply(state.scenario)
    problem = compile_problem(changed)  # the same indices as the roster's, a recruit last
    focus = [problem.volunteer_ids.index(v) for v in change.volunteers]
    residents, volunteers = neighbourhood(state, r, focus)
    base = state.loaded.solution
    solving = replace(problem, current=np.array(base.pairs, dtype=np.int64).reshape(-1, 2))
    params = SolverParams(time_limit_s=time_limit_s / 2, workers=1, seed=seed)
    options = part_options(problem, r, residents, volunteers, base, focus)
    rosters = [fill_visits(problem, options, residents, base)]
    direct = _joined(problem, options, base, r, focus)
    if direct is not None:
        rosters.append(fill_visits(problem, options, residents, direct))
    for part in ([r], residents):
        if _serves(problem, r, n, min(rosters, key=lambda x: evaluate(solving, x).objective)):
            break
        fixed = base.without(set(part), problem.need_resident)
        result = solve_part(solving, options, part, fixed, params,
                            hint=base.restricted_to(set(part), problem.need_resident))
        rosters.append(fill_visits(problem, options, residents, fixed.merged(result.solution)))
    roster = min(rosters, key=lambda candidate: evaluate(solving, candidate).objective)
    served, losses = _outcome(state, problem, r, n, residents, roster)
    delta = evaluate(problem, roster).objective - evaluate(problem, base).objective
    return Trial(change, served, losses, time.monotonic() - started,
                 tuple(problem.resident_ids[x] for x in residents),
                 tuple(problem.volunteer_ids[v] for v in volunteers), delta, problem, roster)


def neighbourhood(state: RosterState, r: int, focus: list[int]) -> tuple[list[int], list[int]]:
    """Residents to re-solve and the volunteers they may have, as indices of `problem`."""
    p = state.problem
    team = state.team.get(r, [])
    # The team and the changed volunteer come whatever they bring along; others only while
    # the neighbourhood stays small enough for one exact model.
    essential = set(team) | set(focus)
    order = sorted(essential) + state.options([r]).useful_volunteers(p, r)[:USEFUL]
    residents: set[int] = {r}
    volunteers: list[int] = []
    for v in dict.fromkeys(order):
        if len(volunteers) >= MAX_VOLUNTEERS:
            break
        serves = set(state.residents_of.get(v, []))
        if v not in essential and len(residents | serves) > MAX_RESIDENTS:
            continue
        residents |= serves
        volunteers.append(v)
    members = [m for x in sorted(residents) for m in state.team.get(x, [])]
    return sorted(residents), sorted(set(volunteers) | set(members))


def part_options(problem: Problem, r: int, residents: list[int], volunteers: list[int],
                 base: Solution, focus: list[int]) -> NeedOptions:
    """The solver's options for the neighbourhood's residents, with only its volunteers.

    Candidates are found on a scenario of just these residents and volunteers (the same
    rules, a fraction of the pairs) and put back in the full problem's indices.
    """
    options = _all_options(problem, residents, volunteers)
    team: dict[int, set[int]] = {}
    for x, v in base.pairs:
        team.setdefault(x, set()).add(v)
    # The resident asking may have anyone of the neighbourhood; the others keep their team
    # or take one of their nearest few (not the changed volunteer, whose change is for the
    # resident asking), so that the model stays small and its time goes to that resident.
    allowed = {x: set(volunteers) if x == r else
               team.get(x, set()) | (set(options.useful_volunteers(problem, x)[:OTHERS_MAY_SWITCH_TO])
                                     - set(focus))
               for x in residents}
    return options.restricted(allowed, problem)


def _all_options(problem: Problem, residents: list[int], volunteers: list[int]) -> NeedOptions:
    scenario = problem.scenario
    keep_r, keep_v = set(residents), set(volunteers)
    kept_ids = {scenario.volunteers[v].id for v in volunteers}
    small: Scenario = replace(
        scenario,
        residents=tuple(replace(x, exclude_volunteers=tuple(v for v in x.exclude_volunteers
                                                            if v in kept_ids))
                        for i, x in enumerate(scenario.residents) if i in keep_r),
        volunteers=tuple(v for i, v in enumerate(scenario.volunteers) if i in keep_v),
        current=(), source=None)
    candidates = candidate_pairs(compile_problem(small))
    resident_map = np.array(sorted(keep_r), dtype=np.int64)
    volunteer_map = np.array(sorted(keep_v), dtype=np.int64)
    mapped = replace(candidates, resident=resident_map[candidates.resident],
                     volunteer=volunteer_map[candidates.volunteer])
    return visit_options(problem, mapped, residents)


def fill_visits(problem: Problem, options: NeedOptions, residents: list[int],
                roster: Solution) -> Solution:
    """The roster with every visit added that the residents' teams can still make within
    the hard rules, earliest day and nearest members first.

    The exact part model keeps a resident's visits apart by time of day across the whole
    week, not day by day, so it cannot give a need two visits at the same hour on two
    days even when the roster being explained has them; this puts such visits back.
    """
    team: dict[int, list[int]] = {}
    for x, v in roster.pairs:
        team.setdefault(x, []).append(v)
    load = volunteer_load_minutes(problem, roster)
    by_day: dict[tuple[str, int, int], list[tuple[int, int, int]]] = {}
    for visit in roster.visits:
        x = int(problem.need_resident[visit.need])
        end = visit.start + int(problem.need_duration[visit.need])
        by_day.setdefault(("r", x, visit.day), []).append((visit.start, end, x))
        for v in visit.volunteers:
            by_day.setdefault(("v", v, visit.day), []).append((visit.start, end, x))
    added = []
    for x in residents:
        for n in problem.needs_of(x):
            days = {v.day for v in roster.visits if v.need == n}
            missing = int(problem.need_visits[n]) - len(days)
            for day in range(7):
                if missing <= 0:
                    break
                if day in days:
                    continue
                found = _place(problem, options, by_day, load, team.get(x, []), x, n, day)
                if found is None:
                    continue
                start, group = found
                added.append(Visit(n, day, start, group))
                duration = int(problem.need_duration[n])
                for v in group:
                    load[v] += duration + 2 * float(problem.travel_minutes(x, v))
                    by_day.setdefault(("v", v, day), []).append((start, start + duration, x))
                by_day.setdefault(("r", x, day), []).append((start, start + duration, x))
                missing -= 1
    return roster.merged(Solution((), tuple(added))) if added else roster


def _place(problem: Problem, options: NeedOptions, by_day: dict, load: np.ndarray,
           team: list[int], x: int, n: int, day: int) -> tuple[int, tuple[int, ...]] | None:
    """A start and attendees from the team for one more visit of need n on `day`."""
    duration = int(problem.need_duration[n])
    ranges = {o.volunteer: o.starts for o in options.by_need.get(n, [])
              if o.day == day and o.volunteer in team
              and load[o.volunteer] + duration + 2 * float(problem.travel_minutes(x, o.volunteer))
              <= float(problem.volunteer_max_minutes[o.volunteer]) + 1e-9}
    wanted = problem.service_skills[problem.need_service[n]]
    for group in itertools.combinations(sorted(ranges), int(problem.need_volunteers_per_visit[n])):
        # Rule H4: the attendees' skills together cover the service's.
        if (wanted & ~problem.volunteer_skills[list(group)].any(axis=0)).any():
            continue
        shared = common_starts([ranges[v] for v in group])
        busy = [(a, b, 0.0) for a, b, _ in by_day.get(("r", x, day), [])]
        for v in group:
            busy += [(a, b, 0.0 if y == x else float(problem.resident_travel_minutes(y, x, v)))
                     for a, b, y in by_day.get(("v", v, day), [])]
        start = first_free_start(shared, duration, busy)
        if start is not None:
            return start, tuple(group)
    return None


def _joined(problem: Problem, options: NeedOptions, base: Solution, r: int,
            focus: list[int]) -> Solution | None:
    """The roster with the changed volunteers on r's team, or None if a pair rule or a
    volunteer's resident cap forbids it. Visits of a member they replace go with them."""
    team = [v for x, v in base.pairs if x == r]
    load = {}
    for _, v in base.pairs:
        load[v] = load.get(v, 0) + 1
    minutes = {v: sum(int(problem.need_duration[x.need]) for x in base.visits
                      if v in x.volunteers and int(problem.need_resident[x.need]) == r)
               for v in team}
    dropped = set()
    for u in focus:
        if u in team:
            continue
        if u not in options.pairs_of_resident.get(r, []) or \
                load.get(u, 0) >= int(problem.volunteer_max_residents[u]):
            return None
        if len(team) >= int(problem.resident_team_size[r]):
            out = min((v for v in team if v not in focus), key=lambda v: (minutes[v], v), default=None)
            if out is None:
                return None
            team.remove(out)
            dropped.add(out)
        team.append(u)
    pairs = [(x, v) for x, v in base.pairs if x != r] + [(r, v) for v in team]
    visits = [x for x in base.visits
              if int(problem.need_resident[x.need]) != r or not dropped & set(x.volunteers)]
    return Solution.of(pairs, visits)


def _serves(problem: Problem, r: int, n: int, roster: Solution) -> bool:
    done = sum(1 for visit in roster.visits if visit.need == n)
    members = sum(1 for x, _ in roster.pairs if x == r)
    return done >= int(problem.need_visits[n]) and members >= int(problem.resident_team_size[r])


def _outcome(state: RosterState, problem: Problem, r: int, n: int, residents: list[int],
             roster: Solution) -> tuple[bool, list[str]]:
    """Whether need n and r's team are complete, and which needs of the neighbourhood lose
    visits (or team members) against the roster being explained."""
    done = np.bincount([v.need for v in roster.visits], minlength=problem.n_needs)
    members = np.bincount([x for x, _ in roster.pairs], minlength=problem.n_residents)
    served = _serves(problem, r, n, roster)
    losses = []
    for x in residents:
        rid = problem.resident_ids[x]
        for need in problem.needs_of(x):
            before = state.done(need)
            if int(done[need]) < before:
                service = problem.service_ids[problem.need_service[need]]
                losses.append(f"{rid} {service}: {before} -> {int(done[need])} visits")
        team = int(problem.resident_team_size[x])
        before = min(team, len(state.team.get(x, [])))
        if min(team, int(members[x])) < before:
            losses.append(f"{rid}: team {before} -> {min(team, int(members[x]))} members")
    return served, losses
