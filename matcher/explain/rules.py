"""Which rule keeps a volunteer from a resident's need, as a `Verdict` with the numbers.

The pair-level and need-level tests are those the solver's candidates are built with
(`matcher.candidates`, applied to one pair), in the same order as its RULES; capacity
(residents and hours, rules H6 and H7) and clashes (H5) are read from the roster, naming
who takes the capacity. A verdict holds facts only; `words` turns them into sentences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from matcher.candidates import skill_fits, speaks_a_required_language, time_fits
from matcher.explain.state import RosterState
from matcher.explain.terms import swap_delta
from matcher.explain.words import clock, compact_windows
from matcher.problem import NO_GENDER
from matcher.scenario.model import DAYS, GENDERS

# Every rule a verdict may name, in the order they are tried.
VERDICTS = ("distance", "safeguarding", "excluded", "gender", "language", "skills", "time",
            "days", "other_need", "residents_cap", "hours_cap", "busy", "team_full", "better",
            "costlier", "serves", "eligible")
EPSILON_MIN = 1e-9


@dataclass(frozen=True)
class Verdict:
    rule: str
    facts: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"rule": self.rule, **self.facts}


def pair_rule(state: RosterState, r: int, v: int) -> Verdict | None:
    """The first pair-level rule (H1, H10, H8) that forbids the pair, if any."""
    found = pair_rules(state, r, v)
    return found[0] if found else None


def pair_rules(state: RosterState, r: int, v: int) -> list[Verdict]:
    """Every pair-level rule that forbids the pair, in the candidates' order."""
    p = state.problem
    found = []
    km, cap = state.km(r, v), float(p.volunteer_max_distance_km[v])
    if km > cap:
        found.append(Verdict("distance", {"km": round(km, 2), "max_distance_km": cap,
                                          "needed_km": needed_km(km)}))
    volunteer = state.scenario.volunteers[v]
    if bool(p.resident_is_child[r]) and not bool(p.volunteer_checked[v]):
        until = volunteer.background_check_until
        found.append(Verdict("safeguarding", {
            "background_check_until": until and until.isoformat(),
            "week_of": state.scenario.week_of.isoformat()}))
    if (r, v) in p.excluded:
        found.append(Verdict("excluded"))
    wanted = int(p.require_gender[r])
    if wanted != NO_GENDER and wanted != int(p.volunteer_gender[v]):
        found.append(Verdict("gender", {"required": GENDERS[wanted], "volunteer": volunteer.gender}))
    if not speaks_a_required_language(p, np.array([r]), np.array([v]))[0]:
        found.append(Verdict("language", {
            "required": list(state.scenario.residents[r].require.languages),
            "volunteer": list(volunteer.languages)}))
    return found


def need_rule(state: RosterState, r: int, v: int, n: int, visits: int) -> Verdict | None:
    """Skills (H4) and time (H3) for need n, and whether the volunteer is free on enough
    days for `visits` more visits (besides the days the need already has a visit on)."""
    p = state.problem
    needs, volunteers = np.array([n]), np.array([v])
    service = p.service_ids[p.need_service[n]]
    if not skill_fits(p, needs, volunteers)[0]:
        wanted = p.service_skills[p.need_service[n]] & ~p.volunteer_skills[v]
        return Verdict("skills", {"service": service,
                                  "missing": [s for s, w in zip(p.skills, wanted, strict=True) if w]})
    if not time_fits(p, needs, volunteers)[0]:
        return Verdict("time", _time_facts(state, n, v))
    free = [d for d in fit_days(state, n, v) if d not in _need_days(state, r, n)]
    if len(free) < visits:
        return Verdict("days", {"service": service, "free_days": [DAYS[d] for d in free],
                                "visits": visits, **_time_facts(state, n, v)})
    return None


def capacity_rule(state: RosterState, r: int, v: int, minutes: float) -> Verdict | None:
    """Rule H7 (a resident more) and H6 (`minutes` more), naming who takes the capacity."""
    p = state.problem
    others = [x for x in state.residents_of.get(v, []) if x != r]
    cap = int(p.volunteer_max_residents[v])
    if r not in state.residents_of.get(v, []) and len(others) >= cap:
        return Verdict("residents_cap", {"residents": [p.resident_ids[x] for x in others],
                                         "max_residents": cap})
    used, limit = float(state.load[v]), float(p.volunteer_max_minutes[v])
    if used + minutes > limit + EPSILON_MIN:
        return Verdict("hours_cap", {
            "used_h": round(used / 60, 2), "max_h": round(limit / 60, 2),
            "needed_h": round(minutes / 60, 2),
            "by_resident": {p.resident_ids[x]: round(m / 60, 2)
                            for x, m in sorted(state.minutes_by_resident(v).items())}})
    return None


def busy_rule(state: RosterState, r: int, v: int, n: int, visits: int) -> Verdict | None:
    """Rule H5: on too few of the days that fit is there a start free of the volunteer's
    other visits (with travel between) and of the resident's own visits."""
    days = [d for d in option_days(state, r, v, n) if d not in _need_days(state, r, n)]
    free = [d for d in days if free_start(state, r, v, n, d) is not None]
    if len(free) >= visits:
        return None
    clashes = sorted({(visit.day, visit.start, int(state.problem.need_resident[visit.need]))
                      for visit in state.visits_of_volunteer.get(v, []) if visit.day in days})
    return Verdict("busy", {"visits": [f"{state.problem.resident_ids[x]} {DAYS[d]} {clock(s)}"
                                       for d, s, x in clashes]})


def option_days(state: RosterState, r: int, v: int, n: int) -> list[int]:
    options = state.options([r])
    days: set[int] = set()
    for row in options.rows_of(n):
        if int(options.volunteer[row]) == v:
            mask = int(options.day_mask[row])
            days.update(d for d in range(7) if mask >> d & 1)
    return sorted(days)


def fit_days(state: RosterState, n: int, v: int) -> list[int]:
    """Days on which a window of the need and one of the volunteer's overlap for at least
    the visit's length (the per-day form of the candidates' time rule)."""
    p = state.problem
    duration = int(p.need_duration[n])
    need_windows = p.window_patterns[p.need_window_pattern[n]]
    availability = p.window_patterns[p.volunteer_window_pattern[v]]
    return sorted({a.day for a in need_windows for b in availability
                   if a.day == b.day and min(a.end, b.end) - max(a.start, b.start) >= duration})


def free_start(state: RosterState, r: int, v: int, n: int, day: int,
               ignore: tuple = ()) -> int | None:
    """A start minute on `day` at which v could attend need n, or None; visits in `ignore`
    (one being handed over, say) do not count as taken."""
    p = state.problem
    options = state.options([r])
    ranges = []
    for row in options.rows_of(n):
        index = int(options.range_id[row, day])
        if int(options.volunteer[row]) == v and index >= 0:
            ranges.extend(options.ranges[index])
    duration = int(p.need_duration[n])
    busy = []  # (start, end, minutes of travel needed between)
    for visit in state.visits_of_volunteer.get(v, []):
        if visit.day == day and visit not in ignore:
            x = int(p.need_resident[visit.need])
            gap = 0.0 if x == r else float(p.resident_travel_minutes(x, r, v))
            busy.append((visit.start, visit.start + int(p.need_duration[visit.need]), gap))
    for visit in state.visits_of_resident.get(r, []):
        if visit.day == day and visit not in ignore:
            busy.append((visit.start, visit.start + int(p.need_duration[visit.need]), 0.0))
    return first_free_start(ranges, duration, busy)


def first_free_start(ranges, duration: int, busy: list[tuple[int, int, float]]) -> int | None:
    """The earliest start in `ranges` (inclusive start-minute ranges) of a visit of
    `duration` that keeps clear of every busy (start, end, travel minutes between)."""
    for low, high in ranges:
        # The earliest start, or right after a visit with travel: if any start fits, one
        # of these does.
        starts = [low] + [math.ceil(end + gap) for _, end, gap in busy]
        for start in sorted(s for s in starts if low <= s <= high):
            if all(start + duration + gap <= b_start + EPSILON_MIN
                   or b_end + gap <= start + EPSILON_MIN for b_start, b_end, gap in busy):
                return start
    return None


def needed_km(km: float) -> float:
    """The distance cap that admits a pair `km` away: km rounded up to 0.1."""
    return math.ceil(round(km * 10, 6)) / 10


def _need_days(state: RosterState, r: int, n: int) -> set[int]:
    return {visit.day for visit in state.visits_of_resident.get(r, []) if visit.need == n}


def _time_facts(state: RosterState, n: int, v: int) -> dict:
    p = state.problem
    return {"service": p.service_ids[p.need_service[n]],
            "windows": compact_windows(p.window_patterns[p.need_window_pattern[n]]),
            "duration_min": int(p.need_duration[n]),
            "availability": compact_windows(state.scenario.volunteers[v].availability)}




def swap_verdict(state: RosterState, r: int, v: int, u: int) -> Verdict:
    """What keeps u from taking v's place on r's team, attending the same visits (on their
    days or other free days of the need): capacity, clashes, or the cost."""
    deltas = swap_delta(state, r, v, u)
    attended = state.attended(r, v)
    gained = sum(state.visit_minutes(x.need, r, u) for x in attended)
    for need in sorted({x.need for x in attended}):
        blocked = need_rule(state, r, u, need, 0)
        if blocked is not None:
            return blocked
    blocked = capacity_rule(state, r, u, gained)
    if blocked is not None:
        return blocked
    for visit in attended:
        # Any day the need has no other visit on will do, the visit's own day first.
        taken = {x.day for x in state.visits_of_resident.get(r, [])
                 if x.need == visit.need and x != visit}
        days = [visit.day] + [d for d in option_days(state, r, u, visit.need)
                              if d != visit.day and d not in taken]
        if not any(free_start(state, r, u, visit.need, d, ignore=(visit,)) is not None
                   for d in days):
            busy = sorted({(x.day, x.start, state.problem.resident_ids[
                int(state.problem.need_resident[x.need])])
                for x in state.visits_of_volunteer.get(u, []) if x.day in days})
            return Verdict("busy", {"visits": [f"{rid} {DAYS[d]} {clock(s)}" for d, s, rid in busy],
                                    "service": state.problem.service_ids[
                                        state.problem.need_service[visit.need]]})
    total = sum(deltas.values())
    instead = state.problem.volunteer_ids[v]
    if total > 1e-9:
        return Verdict("costlier", {"by": round(total, 6), "instead_of": instead})
    return Verdict("eligible", {"saves": round(-total, 6) + 0.0, "instead_of": instead})


def verdict_for_need(state: RosterState, r: int, v: int, n: int, missing: int) -> Verdict:
    """Why v does not serve the `missing` visits of r's need n (0: only a team place)."""
    p = state.problem
    blocked = pair_rule(state, r, v)
    if blocked is not None:
        return blocked
    team = state.team.get(r, [])
    if missing == 0:
        if v in team:
            return Verdict("serves")
        return capacity_rule(state, r, v, 0.0) or Verdict("eligible")
    blocked = need_rule(state, r, v, n, missing)
    if blocked is not None:
        return blocked
    size = int(p.resident_team_size[r])
    minutes = missing * state.visit_minutes(n, r, v)
    if v not in team and len(team) >= size:
        if size == 1:
            # One-to-one: whoever serves this need serves all of them.
            for other in p.needs_of(r):
                found = need_rule(state, r, v, other, 0) if other != n else None
                if found is not None:
                    return Verdict("other_need", {"service": p.service_ids[p.need_service[other]],
                                                  "because": found.as_dict()})
            minutes += sum(state.visit_minutes(x.need, r, v) for x in state.visits_of_resident.get(r, []))
        blocked = capacity_rule(state, r, v, minutes)
        if blocked is not None:
            return blocked
        return Verdict("team_full", {"team": [p.volunteer_ids[m] for m in team]})
    return (capacity_rule(state, r, v, minutes) or busy_rule(state, r, v, n, missing)
            or Verdict("eligible"))


def verdict_for_resident(state: RosterState, x: int, v: int) -> Verdict:
    """Why v is not on resident x's team: a rule, capacity, or a better volunteer."""
    p = state.problem
    if v in state.team.get(x, []):
        return Verdict("serves")
    blocked = pair_rule(state, x, v)
    if blocked is not None:
        return blocked
    needs = list(p.needs_of(x))
    failures = [need_rule(state, x, v, n, 0) for n in needs]
    if all(f is not None for f in failures):
        return failures[0]
    blocked = capacity_rule(state, x, v, 0.0)
    if blocked is not None:
        return blocked
    team = state.team.get(x, [])
    if len(team) >= int(p.resident_team_size[x]):
        deltas = {w: sum(swap_delta(state, x, w, v).values()) for w in team}
        w = min(deltas, key=lambda m: (deltas[m], m))
        if deltas[w] > 1e-9:
            return Verdict("better", {"volunteer": p.volunteer_ids[w], "by": round(deltas[w], 6)})
        return swap_verdict(state, x, w, v)
    for n, failure in zip(needs, failures, strict=True):
        missing = int(p.need_visits[n]) - state.done(n)
        if failure is None and missing > 0:
            return (capacity_rule(state, x, v, missing * state.visit_minutes(n, x, v))
                    or busy_rule(state, x, v, n, missing) or Verdict("eligible"))
    return Verdict("eligible")
