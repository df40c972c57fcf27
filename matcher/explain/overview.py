"""No selector: the roster's objective term by term and its costliest decisions.

A decision is a pair (its distance, missed wishes, share of fairness and cohesion, as in
`terms`), a need left unmet (its missing visits, and its resident's missing team members,
each times priority), or a `current` pair the roster dropped (churn). Their costs add up to
the objective.
"""

from __future__ import annotations

from dataclasses import dataclass

from matcher.explain.state import RosterState
from matcher.explain.terms import pair_terms
from matcher.objective import TERMS

TOP = 10


@dataclass(frozen=True)
class Decision:
    kind: str  # "pair", "unmet" or "dropped"
    resident: str
    name: str
    subject: str  # the volunteer (pair, dropped) or the service (unmet)
    cost: float
    parts: dict[str, float]  # weighted cost by term

    def as_dict(self) -> dict:
        return {"kind": self.kind, "resident": self.resident, "name": self.name,
                "subject": self.subject, "cost": round(self.cost, 6),
                "parts": {term: round(value, 6) for term, value in self.parts.items() if value}}


@dataclass(frozen=True, eq=False)
class RosterExplanation:
    scenario: str
    status: str
    objective: float
    bound: float | None
    terms: list[dict]  # term, value, weight, cost
    coverage: dict
    decisions: int  # how many decisions were ranked
    costliest: list[Decision]

    def as_dict(self) -> dict:
        return {"mode": "roster", "scenario": self.scenario, "status": self.status,
                "objective": round(self.objective, 6), "bound": self.bound, "terms": self.terms,
                "coverage": self.coverage, "decisions": self.decisions,
                "costliest": [d.as_dict() for d in self.costliest]}


def explain_roster(state: RosterState, *, top: int = TOP) -> RosterExplanation:
    p = state.problem
    evaluation = state.evaluation
    weights = evaluation.weights
    decisions = []
    for r, team in state.team.items():
        name = state.scenario.residents[r].name
        for v in team:
            parts = {t: line.cost for t, line in pair_terms(state, r, v).items()}
            decisions.append(Decision("pair", p.resident_ids[r], name, p.volunteer_ids[v],
                                      sum(parts.values()), parts))
    charged = set()
    for row in state.loaded.tables.unmet:
        r = state.resident(row.resident)
        priority = int(p.resident_priority[r])
        parts = {"unmet_visit": row.visits_missing * priority * weights["unmet_visit"]}
        if row.members_missing and r not in charged:
            # A short team is one cost per resident, though each unmet row repeats it.
            charged.add(r)
            parts["unmet_member"] = row.members_missing * priority * weights["unmet_member"]
        decisions.append(Decision("unmet", row.resident, state.scenario.residents[r].name,
                                  row.service, sum(parts.values()), parts))
    for r, v in sorted(state.current):
        if v not in state.team.get(r, []):
            decisions.append(Decision("dropped", p.resident_ids[r], state.scenario.residents[r].name,
                                      p.volunteer_ids[v], weights["churn"],
                                      {"churn": weights["churn"]}))
    decisions.sort(key=lambda d: (-d.cost, d.resident, d.subject))
    summary = state.loaded.summary
    terms = [{"term": t, "value": round(evaluation.values[t], 6), "weight": weights[t],
              "cost": round(evaluation.costs[t], 6)} for t in TERMS]
    return RosterExplanation(state.scenario.name, str(summary.get("status", "")),
                             evaluation.objective, summary.get("bound"), terms,
                             summary.get("coverage") or {}, len(decisions), decisions[:top])
