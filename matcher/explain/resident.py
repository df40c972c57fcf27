"""`--resident R`: the resident's team and visits, and for each unmet need which rule keeps
each nearby volunteer away and the smallest change found that would serve it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.explain.neighbourhood import TIME_LIMIT_S
from matcher.explain.rules import Verdict, verdict_for_need
from matcher.explain.search import MAX_TRIALS, ChangeSearch, smallest_change
from matcher.explain.state import RosterState
from matcher.explain.words import clock
from matcher.scenario.model import DAYS

NEARBY = 10


@dataclass(frozen=True)
class NearbyVolunteer:
    volunteer: str
    name: str
    km: float
    verdict: Verdict

    def as_dict(self) -> dict:
        return {"volunteer": self.volunteer, "name": self.name, "distance_km": round(self.km, 3),
                "why_not": self.verdict.as_dict()}


@dataclass(frozen=True, eq=False)
class UnmetNeedExplanation:
    service: str
    visits_missing: int
    members_missing: int
    reason: str  # as unmet.csv gives it
    nearby: list[NearbyVolunteer]
    search: ChangeSearch | None  # None when the search was not asked for

    def as_dict(self) -> dict:
        result = {"service": self.service, "visits_missing": self.visits_missing,
                  "members_missing": self.members_missing, "reason": self.reason,
                  "nearby": [n.as_dict() for n in self.nearby]}
        if self.search is not None:
            result["smallest_change"] = self.search.as_dict()
        return result


@dataclass(frozen=True, eq=False)
class ResidentExplanation:
    resident: str
    name: str
    kind: str
    priority: int
    team_size: int
    team: list[dict]  # volunteer, name, distance_km, incumbent
    visits: list[str]  # "companionship Mon 09:00-10:00 V000012"
    dropped_current: list[str]
    unmet: list[UnmetNeedExplanation]

    def as_dict(self) -> dict:
        return {"mode": "resident", "resident": self.resident, "name": self.name,
                "kind": self.kind, "priority": self.priority, "team_size": self.team_size,
                "team": self.team, "visits": self.visits,
                "dropped_current": self.dropped_current,
                "unmet": [u.as_dict() for u in self.unmet]}


def explain_resident(state: RosterState, resident_id: str, *, search: bool = True,
                     nearby: int = NEARBY, time_limit_s: float = TIME_LIMIT_S, seed: int = 0,
                     max_trials: int = MAX_TRIALS) -> ResidentExplanation:
    p = state.problem
    r = state.resident(resident_id)
    resident = state.scenario.residents[r]
    team = state.team.get(r, [])
    unmet = []
    for row in state.loaded.tables.unmet_of(resident_id):
        n = state.need_of(r, row.service)
        missing = row.visits_missing
        found = (smallest_change(state, r, n, missing, time_limit_s=time_limit_s, seed=seed,
                                 max_trials=max_trials) if search else None)
        unmet.append(UnmetNeedExplanation(row.service, missing, row.members_missing, row.reason,
                                          nearby_volunteers(state, r, n, missing, nearby), found))
    return ResidentExplanation(
        resident_id, resident.name, resident.kind, resident.priority, resident.team_size,
        [{"volunteer": p.volunteer_ids[v], "name": state.scenario.volunteers[v].name,
          "distance_km": round(state.km(r, v), 3), "incumbent": (r, v) in state.current}
         for v in team],
        [visit_words(state, visit) for visit in sorted(state.visits_of_resident.get(r, []))],
        [p.volunteer_ids[v] for x, v in sorted(state.current) if x == r and v not in team],
        unmet)


def nearby_volunteers(state: RosterState, r: int, n: int, missing: int,
                      count: int) -> list[NearbyVolunteer]:
    """The resident's team and the `count` nearest volunteers, each with what keeps them
    from the need."""
    p = state.problem
    km = p.distance_km(np.full(p.n_volunteers, r), np.arange(p.n_volunteers))
    nearest = np.argsort(km, kind="stable")[:count].tolist()
    chosen = list(dict.fromkeys(state.team.get(r, []) + nearest))
    return [NearbyVolunteer(p.volunteer_ids[v], state.scenario.volunteers[v].name, float(km[v]),
                            verdict_for_need(state, r, v, n, missing)) for v in chosen]


def visit_words(state: RosterState, visit) -> str:
    p = state.problem
    end = visit.start + int(p.need_duration[visit.need])
    return (f"{p.service_ids[p.need_service[visit.need]]} {DAYS[visit.day]} "
            f"{clock(visit.start)}-{clock(end)} " + ";".join(p.volunteer_ids[v] for v in visit.volunteers))
