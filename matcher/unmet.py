"""Why a need is not fully served, in words a coordinator can repeat to a family.

Every reason is derived from the data: which rule rules the nearby volunteers out, or which
eligible volunteers exist and what keeps each of them (full hours, full list of residents,
busy at the only times that fit).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from matcher.candidates import Candidates
from matcher.options import NeedOptions, days_in_mask
from matcher.problem import Problem
from matcher.scenario.windows import format_windows
from matcher.solution import Solution

LISTED_AT_MOST = 3


@dataclass(frozen=True)
class UnmetNeed:
    resident: int
    need: int
    visits_missing: int
    members_missing: int
    reason: str


def unmet_needs(problem: Problem, solution: Solution, candidates: Candidates,
                options: NeedOptions) -> list[UnmetNeed]:
    """One entry per need with visits missing or whose resident's team is short."""
    done = np.bincount([v.need for v in solution.visits], minlength=problem.n_needs)
    members = np.bincount([r for r, _ in solution.pairs], minlength=problem.n_residents)
    context = _Context(problem, solution, candidates, options)
    result = []
    for need in range(problem.n_needs):
        r = int(problem.need_resident[need])
        visits_missing = max(0, int(problem.need_visits[need]) - int(done[need]))
        members_missing = max(0, int(problem.resident_team_size[r]) - int(members[r]))
        if not visits_missing and not members_missing:
            continue
        reasons = []
        if visits_missing:
            reasons.append(context.why_visits_missing(need, r, visits_missing))
        if members_missing:
            reasons.append(context.why_team_short(r, members_missing))
        result.append(UnmetNeed(r, need, visits_missing, members_missing, "; ".join(reasons)))
    return result


class _Context:
    def __init__(self, problem: Problem, solution: Solution, candidates: Candidates,
                 options: NeedOptions):
        self.problem = problem
        self.solution = solution
        self.candidates = candidates
        self.options = options
        self.team = defaultdict(set)
        self.residents_of = defaultdict(set)
        for r, v in solution.pairs:
            self.team[r].add(v)
            self.residents_of[v].add(r)
        self.load = defaultdict(float)
        for visit in solution.visits:
            r = int(problem.need_resident[visit.need])
            for v in visit.volunteers:
                self.load[v] += (int(problem.need_duration[visit.need])
                                 + 2 * float(problem.travel_minutes(r, v)))

    def why_visits_missing(self, need: int, r: int, missing: int) -> str:
        p = self.problem
        total = int(p.need_visits[need])
        head = f"{missing} of {total} visits not scheduled: "
        service = p.service_ids[p.need_service[need]]
        pair_candidates = self.options.pairs_of_resident.get(r, [])
        if not pair_candidates:
            return head + self._nobody_in_reach(r)
        rows = np.asarray(self.options.rows_of(need), dtype=np.int64)
        if rows.size == 0:
            return head + self._nobody_fits(need, r, service, pair_candidates)
        # Rows are nearest first; each volunteer is listed at its first row.
        row_volunteers = self.options.volunteer[rows]
        _, first = np.unique(row_volunteers, return_index=True)
        volunteers = row_volunteers[np.sort(first)].tolist()
        days = int(days_in_mask(np.bitwise_or.reduce(self.options.day_mask[rows])))
        if days < total:
            reason = (f"the eligible volunteers are free on only {days} distinct "
                      f"day{'s' if days != 1 else ''} of the need's windows")
            if missing <= total - days:
                return head + reason
            # The days explain only some of the missing visits; the others, which the
            # free days would hold, have a reason of their own.
            others = missing - (total - days)
            return head + reason + (f"; the other {_count(others, 'visit')}: "
                                    + self._why_not_on_free_days(need, r, volunteers))
        return head + self._why_not_on_free_days(need, r, volunteers)

    def _why_not_on_free_days(self, need: int, r: int, volunteers: list[int]) -> str:
        """Why visits the eligible volunteers' free days would hold are not made."""
        p = self.problem
        together = int(p.need_volunteers_per_visit[need])
        if len(volunteers) < together:
            return (f"a visit needs {together} volunteers together but only "
                    f"{len(volunteers)} can attend")
        team = self.team[r]
        able_members = [v for v in volunteers if v in team]
        if len(team) >= int(p.resident_team_size[r]) and len(able_members) < together:
            names = ", ".join(p.volunteer_ids[v] for v in sorted(team))
            kind = "one-to-one care" if int(p.resident_team_size[r]) == 1 else "the team is full"
            return (f"{kind}: the resident's team ({names}) cannot do this need "
                    f"(skills or free time); {_count(len(volunteers), 'volunteer')} who "
                    "could would mean changing the team for the resident's other needs")
        states = [self._state(v, r, need) for v in volunteers[:LISTED_AT_MOST]]
        more = f" and {len(volunteers) - LISTED_AT_MOST} more" if len(volunteers) > LISTED_AT_MOST else ""
        count = len(volunteers)
        return (f"the {count} eligible volunteer{'s' if count != 1 else ''} "
                f"{'are' if count != 1 else 'is'} taken: " + ", ".join(states) + more)

    def why_team_short(self, r: int, missing: int) -> str:
        p = self.problem
        size = int(p.resident_team_size[r])
        head = f"team has {size - missing} of {size} members: "
        pair_candidates = self.options.pairs_of_resident.get(r, [])
        if not pair_candidates:
            return head + self._nobody_in_reach(r)
        free = [v for v in pair_candidates if v not in self.team[r]]
        if not free:
            return head + (f"only {len(pair_candidates)} volunteer"
                           f"{'s are' if len(pair_candidates) != 1 else ' is'} eligible")
        states = [self._state(v, r, None) for v in free[:LISTED_AT_MOST]]
        more = f" and {len(free) - LISTED_AT_MOST} more" if len(free) > LISTED_AT_MOST else ""
        return head + "other eligible volunteers: " + ", ".join(states) + more

    def _state(self, v: int, r: int, need: int | None) -> str:
        p = self.problem
        vid = p.volunteer_ids[v]
        cap_residents = int(p.volunteer_max_residents[v])
        others = self.residents_of[v] - {r}
        if r not in self.residents_of[v] and len(others) >= cap_residents:
            return f"{vid} {len(others)}/{cap_residents} residents"
        used, cap = self.load[v] / 60, float(p.volunteer_max_minutes[v]) / 60
        if need is not None:
            visit = int(p.need_duration[need]) + 2 * float(p.travel_minutes(r, v))
            if self.load[v] + visit > float(p.volunteer_max_minutes[v]) + 1e-9:
                return f"{vid} {_hours(used)}/{_hours(cap)} h"
            if used > 0:
                return f"{vid} busy at the times that fit ({_hours(used)}/{_hours(cap)} h)"
        if used == 0:
            # Free, yet not chosen: the search found no roster that gains by it.
            return f"{vid} free but not chosen ({_hours(cap)} h)"
        return f"{vid} {_hours(used)}/{_hours(cap)} h"

    def _nobody_in_reach(self, r: int) -> str:
        rule = self.candidates.first_blocking_rule(r) or "distance"
        if rule == "distance":
            nearest = self.candidates.nearest_km[r]
            if math.isfinite(nearest):
                return f"no volunteer lives within reach (the nearest is {nearest:.1f} km away)"
            return "there are no volunteers"
        return {
            "safeguarding": "no volunteer within reach has a valid safeguarding check",
            "excluded": "every volunteer within reach is excluded for this resident",
            "gender": "no volunteer within reach meets the required gender",
            "language": "no volunteer within reach speaks a required language",
        }.get(rule, "no volunteer within reach meets the hard rules")

    def _nobody_fits(self, need: int, r: int, service: str, volunteers: list[int]) -> str:
        p = self.problem
        wanted = p.service_skills[p.need_service[need]]
        skill_names = [s for s, w in zip(p.skills, wanted, strict=True) if w]
        if int(p.need_volunteers_per_visit[need]) == 1 and skill_names:
            able = [v for v in volunteers if not (wanted & ~p.volunteer_skills[v]).any()]
            if not able:
                return ("no volunteer within reach has skill "
                        + ", ".join(f"`{s}`" for s in skill_names))
        windows = format_windows(p.window_patterns[p.need_window_pattern[need]])
        duration = int(p.need_duration[need])
        return (f"no eligible volunteer within reach is free for {duration} min "
                f"during {windows}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _hours(value: float) -> str:
    return f"{value:.1f}"
