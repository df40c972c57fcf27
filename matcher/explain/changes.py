"""Single changes to a scenario that might let an unmet need be served, smallest first.

Only what a station can change in a week is proposed: a volunteer agrees to travel further,
to take one more resident or more hours, to be free at another time, or renews a
safeguarding check; failing those, one more volunteer is recruited nearby. A resident's
wishes (exclusions, required gender or language) and a volunteer's skills are never
changed. Each proposal is one edit to one volunteer, made with `dataclasses.replace`, so
the changed scenario is as valid as the original.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

import numpy as np

from matcher.candidates import skill_fits
from matcher.explain.rules import fit_days, pair_rules
from matcher.explain.state import RosterState
from matcher.explain.words import compact_windows
from matcher.problem import EARTH_RADIUS_KM
from matcher.scenario.model import Scenario, Volunteer, Window
from matcher.scenario.windows import merge_windows

# The kinds in the order they are tried; within a kind, the smallest change first.
KINDS = ("none", "distance", "residents", "hours", "availability", "safeguarding",
         "new_volunteer")
PER_KIND = {"distance": 3, "residents": 2, "hours": 2, "availability": 2, "safeguarding": 2}
NEARBY = 30  # volunteers looked at around the resident, nearest first
EXTRA_KM = 2.0  # how much further than their cap a volunteer may be asked to travel
EXTRA_HOURS, EXTRA_SHARE = 2.0, 0.5  # more hours asked: up to the larger of these
NEW_VOLUNTEER_KM = 1.0  # a recruited volunteer is tested this far (travel km) from home
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180


@dataclass(frozen=True)
class Change:
    kind: str
    volunteer: str | None = None
    field: str | None = None
    before: object = None  # JSON-ready values of the field
    after: object = None
    size: float = 0.0  # how much the field moves, in its own unit (for ordering)
    value: object = None  # the field's new value as the scenario holds it
    new: tuple[Volunteer, ...] = ()  # the recruits, for kind new_volunteer
    added: str | None = None  # for kind availability: the windows added

    def apply(self, scenario: Scenario) -> Scenario:
        if self.kind == "none":
            return scenario
        if self.kind == "new_volunteer":
            return replace(scenario, volunteers=(*scenario.volunteers, *self.new))
        return replace(scenario, volunteers=tuple(
            replace(v, **{self.field: self.value}) if v.id == self.volunteer else v
            for v in scenario.volunteers))

    def as_dict(self) -> dict:
        result = {"kind": self.kind, "volunteer": self.volunteer, "field": self.field,
                  "from": self.before, "to": self.after}
        if self.added is not None:
            result["added"] = self.added
        return result

    @property
    def volunteers(self) -> tuple[str, ...]:
        """The volunteers the change is about: the one edited, or the recruits."""
        if self.new:
            return tuple(v.id for v in self.new)
        return (self.volunteer,) if self.volunteer else ()


def candidate_changes(state: RosterState, r: int, n: int, missing: int) -> list[Change]:
    """Changes to try for r's need n (`missing` visits short, 0 if only the team is short),
    in the order of KINDS, at most PER_KIND of each, ending with a recruit."""
    p = state.problem
    km = p.distance_km(np.full(p.n_volunteers, r), np.arange(p.n_volunteers))
    # Only volunteers with the need's skills can be stretched to serve its visits (a place
    # on a short team asks no skill), and in a dense
    # district the nearest few are all within reach already: the pool is the nearest of
    # those skilled and at most EXTRA_KM beyond their cap.
    wanted = p.service_skills[p.need_service[n]]
    skilled = (~(wanted & ~p.volunteer_skills).any(axis=1)
               | (int(p.need_volunteers_per_visit[n]) > 1) | (missing == 0))
    pool = np.flatnonzero(skilled & (km <= p.volunteer_max_distance_km + EXTRA_KM))
    nearest = pool[np.argsort(km[pool], kind="stable")][:NEARBY].tolist()
    found: dict[str, list[tuple[float, float, Change]]] = {kind: [] for kind in PER_KIND}
    for u in nearest:
        edits = volunteer_edits(state, r, u, n, missing)
        # A volunteer kept out by one fixable thing only: more than one edit is not "a
        # small change", and none means a re-solve alone may serve the need.
        if edits is not None and len(edits) == 1:
            found[edits[0].kind].append((edits[0].size, float(km[u]), edits[0]))
    changes = [Change("none")]
    for kind, limit in PER_KIND.items():
        changes += [change for _, _, change in sorted(found[kind], key=lambda t: t[:2])[:limit]]
    changes.append(recruit(state, r, n, missing))
    return changes


def volunteer_edits(state: RosterState, r: int, u: int, n: int, missing: int) -> list[Change] | None:
    """The edits to volunteer u that would lift every rule keeping u from the need, or None
    if a rule no edit may lift (a wish of the resident, a skill) stands in the way."""
    p = state.problem
    volunteer = state.scenario.volunteers[u]
    edits: list[Change] = []
    for verdict in pair_rules(state, r, u):
        if verdict.rule == "distance":
            after = verdict.facts["needed_km"]
            edits.append(Change("distance", volunteer.id, "max_distance_km",
                                volunteer.max_distance_km, after,
                                after - volunteer.max_distance_km, value=float(after)))
        elif verdict.rule == "safeguarding":
            week = state.scenario.week_of
            edits.append(Change("safeguarding", volunteer.id, "background_check_until",
                                verdict.facts["background_check_until"], week.isoformat(),
                                0.0, value=week))
        else:
            return None
    added: list[Window] = []
    required = required_needs(state, r, u, n, missing)
    for need, visits, used in required:
        if not skill_fits(p, np.array([need]), np.array([u]))[0]:
            return None
        windows = _windows_to_add(state, u, need, visits, used)
        if windows is None:
            return None
        added += windows
    if added:
        before = volunteer.availability
        after = merge_windows((*before, *added))
        minutes = sum(w.length for w in after) - sum(w.length for w in before)
        edits.append(Change("availability", volunteer.id, "availability", compact_windows(before),
                            compact_windows(after), float(minutes), value=after,
                            added=compact_windows(merge_windows(tuple(added)))))
    serves = state.residents_of.get(u, [])
    if r not in serves and len(serves) >= volunteer.max_residents:
        edits.append(Change("residents", volunteer.id, "max_residents", volunteer.max_residents,
                            volunteer.max_residents + 1, 1.0, value=volunteer.max_residents + 1))
    minutes = sum(visits * state.visit_minutes(need, r, u) for need, visits, _ in required)
    if float(state.load[u]) + minutes > volunteer.max_hours_per_week * 60 + 1e-9:
        # Rounded up to a tenth of an hour, and a hair above the exact need so that the
        # solver's millisecond rounding of travel still fits.
        hours = math.ceil(round((float(state.load[u]) + minutes + 0.01) / 6, 6)) / 10
        cap = volunteer.max_hours_per_week
        if hours - cap > max(EXTRA_HOURS, EXTRA_SHARE * cap):
            return None  # doubling someone's week is not a small change
        edits.append(Change("hours", volunteer.id, "max_hours_per_week",
                            volunteer.max_hours_per_week, hours,
                            hours - volunteer.max_hours_per_week, value=float(hours)))
    return edits


def required_needs(state: RosterState, r: int, u: int, n: int,
                   missing: int) -> list[tuple[int, int, set[int]]]:
    """(need, visits, days taken by others) that volunteer u would take on to serve need n:
    its missing visits; and when r's team is full without u, also the visits of the member
    u would replace (the one with the least work there), on any day that member used."""
    p = state.problem
    if not missing:
        return []
    team = state.team.get(r, [])
    replaced = None
    if u not in team and len(team) >= int(p.resident_team_size[r]):
        replaced = min(team, key=lambda m: (state.pair_minutes(r, m), m))
    counts = {n: missing}
    for visit in state.attended(r, replaced) if replaced is not None else []:
        counts[visit.need] = counts.get(visit.need, 0) + 1
    result = []
    for need, visits in counts.items():
        days = {x.day for x in state.visits_of_resident.get(r, [])
                if x.need == need and replaced not in x.volunteers}
        result.append((need, visits, days))
    return result


def recruit(state: RosterState, r: int, n: int, missing: int) -> Change:
    """New volunteers NEW_VOLUNTEER_KM from the resident with the skills and free time the
    need asks: one, or as many as a joint visit needs beyond the team members free for it.
    When the team is full they replace members, so they take on every need of the resident."""
    p = state.problem
    scenario = state.scenario
    resident = scenario.residents[r]
    team = state.team.get(r, [])
    size = int(p.resident_team_size[r])
    together = int(p.need_volunteers_per_visit[n])
    free = [m for m in team if fit_days(state, n, m)]
    count = max(1, together - (len(free) if len(team) < size else len(free) - 1))
    if not missing:
        count = size - len(team)  # only places on the team are missing
    count = min(count, size)
    needs = list(p.needs_of(r)) if len(team) + count > size else [n]
    skills = sorted({s for x in needs for s in scenario.service(p.service_ids[p.need_service[x]]).skills})
    availability = merge_windows(tuple(w for x in needs
                                       for w in p.window_patterns[p.need_window_pattern[x]]))
    defaults = scenario.config.volunteer_defaults
    travel = NEW_VOLUNTEER_KM / scenario.config.travel.speed(defaults.travel) * 60
    minutes = sum(int(p.need_visits[x]) * (int(p.need_duration[x]) + 2 * travel) for x in needs)
    hours = max(float(defaults.max_hours_per_week), math.ceil(round(minutes / 6, 6)) / 10)
    taken = set(p.volunteer_ids)
    ids = [candidate for candidate in (f"NEW{i + 1}-{resident.id}" for i in range(count + len(taken)))
           if candidate not in taken][:count]
    offset = NEW_VOLUNTEER_KM / scenario.config.travel.detour_factor / KM_PER_DEGREE
    lat = resident.lat + offset if resident.lat + offset <= 90 else resident.lat - offset
    new = tuple(Volunteer(
        id=new_id, name="new volunteer", lat=lat, lon=resident.lon, availability=availability,
        max_hours_per_week=hours, max_residents=defaults.max_residents,
        max_distance_km=max(float(defaults.max_distance_km), NEW_VOLUNTEER_KM + 0.1),
        travel=defaults.travel, gender=resident.require.gender,
        skills=tuple(skills), languages=resident.require.languages,
        station=resident.station,
        background_check_until=scenario.week_of + dt.timedelta(days=365)
        if resident.kind == "child" else None) for new_id in ids)
    return Change("new_volunteer", ids[0], None, None, _recruit_dict(new), float(count), new=new)


def _windows_to_add(state: RosterState, u: int, need: int, visits: int,
                    used: set[int]) -> list[Window] | None:
    """The need's windows on the fewest more days that give u `visits` free days besides
    `used`, or None if the need's windows have too few days; days u is busy come last."""
    p = state.problem
    fits = [d for d in fit_days(state, need, u) if d not in used]
    short = visits - len(fits)
    if short <= 0:
        return []
    windows = p.window_patterns[p.need_window_pattern[need]]
    busy_days = {x.day for x in state.visits_of_volunteer.get(u, [])}
    days = sorted({w.day for w in windows} - set(fits) - used, key=lambda d: (d in busy_days, d))
    if len(days) < short:
        return None
    chosen = set(days[:short])
    return [w for w in windows if w.day in chosen]


def _recruit_dict(volunteers: tuple[Volunteer, ...]) -> dict:
    first = volunteers[0]
    return {"count": len(volunteers), "ids": [v.id for v in volunteers],
            "skills": list(first.skills), "availability": compact_windows(first.availability),
            "within_km": NEW_VOLUNTEER_KM, "max_hours_per_week": first.max_hours_per_week,
            "gender": first.gender, "languages": list(first.languages),
            "background_check": first.background_check_until is not None}
