"""`--volunteer V`: whom the volunteer serves, their hours against their cap and fair
share, and for the residents near them they do not serve, why not."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.explain.resident import visit_words
from matcher.explain.rules import Verdict, verdict_for_resident
from matcher.explain.state import RosterState
from matcher.explain.terms import pair_terms

NEARBY = 10


@dataclass(frozen=True)
class NearbyResident:
    resident: str
    name: str
    km: float
    verdict: Verdict

    def as_dict(self) -> dict:
        return {"resident": self.resident, "name": self.name, "distance_km": round(self.km, 3),
                "why_not": self.verdict.as_dict()}


@dataclass(frozen=True, eq=False)
class VolunteerExplanation:
    volunteer: str
    name: str
    residents: list[dict]  # resident, name, distance_km, visits, hours, cost
    visits: list[str]
    hours_used: float  # service plus travel (rule H6)
    hours_cap: float
    residents_cap: int
    fair_share_h: float
    max_distance_km: float
    nearby: list[NearbyResident]

    def as_dict(self) -> dict:
        return {"mode": "volunteer", "volunteer": self.volunteer, "name": self.name,
                "residents": self.residents, "visits": self.visits,
                "hours_used": round(self.hours_used, 3), "hours_cap": self.hours_cap,
                "residents_cap": self.residents_cap, "fair_share_h": round(self.fair_share_h, 3),
                "max_distance_km": self.max_distance_km,
                "nearby": [n.as_dict() for n in self.nearby]}


def explain_volunteer(state: RosterState, volunteer_id: str, *,
                      nearby: int = NEARBY) -> VolunteerExplanation:
    p = state.problem
    v = state.volunteer(volunteer_id)
    volunteer = state.scenario.volunteers[v]
    served = state.residents_of.get(v, [])
    residents = []
    for r in served:
        terms = pair_terms(state, r, v)
        residents.append({"resident": p.resident_ids[r], "name": state.scenario.residents[r].name,
                          "distance_km": round(state.km(r, v), 3),
                          "visits": len(state.attended(r, v)),
                          "hours": round(state.pair_minutes(r, v) / 60, 3),
                          "cost": round(sum(t.cost for t in terms.values()), 6)})
    km = p.distance_km(np.arange(p.n_residents), np.full(p.n_residents, v))
    others = [x for x in np.argsort(km, kind="stable").tolist() if x not in served][:nearby]
    return VolunteerExplanation(
        volunteer_id, volunteer.name, residents,
        [visit_words(state, visit) for visit in sorted(state.visits_of_volunteer.get(v, []))],
        float(state.load[v]) / 60, volunteer.max_hours_per_week, volunteer.max_residents,
        float(state.share[v]) / 60, volunteer.max_distance_km,
        [NearbyResident(p.resident_ids[x], state.scenario.residents[x].name, float(km[x]),
                        verdict_for_resident(state, x, v)) for x in others])
