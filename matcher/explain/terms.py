"""What one pair adds to the objective, and how each term would move if another volunteer
took the pair's place.

A pair's share of each term, summed over all pairs, gives the roster's term (the unmet
terms aside, which belong to needs, and churn, which is paid for `current` pairs the
roster drops, not by the pairs it makes):

- distance_km: the pair's km times the visits the volunteer attends there;
- preference: the soft wishes the pair misses;
- fairness: the volunteer's hours above their fair share, split over their residents in
  proportion to the minutes each takes (objective.py defines the measure);
- cohesion: a team spanning organizations, split evenly over its members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.explain.state import RosterState
from matcher.objective import preference_misses

PAIR_TERMS = ("distance_km", "preference", "churn", "fairness", "cohesion")


@dataclass(frozen=True)
class TermLine:
    term: str
    value: float
    weight: float

    @property
    def cost(self) -> float:
        return self.value * self.weight

    def as_dict(self) -> dict:
        return {"term": self.term, "value": round(self.value, 6), "weight": self.weight,
                "cost": round(self.cost, 6)}


def pair_terms(state: RosterState, r: int, v: int) -> dict[str, TermLine]:
    weights = state.evaluation.weights
    visits = len(state.attended(r, v))
    load = float(state.load[v])
    excess = max(load - float(state.share[v]), 0.0) / 60
    fairness = excess * state.pair_minutes(r, v) / load if load > 0 else 0.0
    team = state.team.get(r, [])
    cohesion = 1 / len(team) if v in team and _spans(state, team) else 0.0
    values = {
        "distance_km": state.km(r, v) * visits,
        "preference": _misses(state, r, v),
        "churn": 0.0,
        "fairness": fairness,
        "cohesion": cohesion,
    }
    return {term: TermLine(term, values[term], weights[term]) for term in PAIR_TERMS}


def swap_delta(state: RosterState, r: int, out_v: int, in_v: int) -> dict[str, float]:
    """Weighted change of each term if `in_v` replaced `out_v` on r's team and attended the
    same visits (same needs, as many visits); hard rules are not looked at here."""
    weights = state.evaluation.weights
    attended = state.attended(r, out_v)
    km = (state.km(r, in_v) - state.km(r, out_v)) * len(attended)
    preference = _misses(state, r, in_v) - _misses(state, r, out_v)
    churn = int((r, out_v) in state.current) - int((r, in_v) in state.current)
    lost = state.pair_minutes(r, out_v)
    gained = sum(state.visit_minutes(visit.need, r, in_v) for visit in attended)
    fairness = (_excess(state, out_v, -lost) + _excess(state, in_v, gained)
                - _excess(state, out_v, 0.0) - _excess(state, in_v, 0.0))
    team = state.team.get(r, [])
    after = [v for v in team if v != out_v] + [in_v]
    cohesion = int(_spans(state, after)) - int(_spans(state, team))
    values = {"distance_km": km, "preference": preference, "churn": churn,
              "fairness": fairness, "cohesion": cohesion}
    return {term: values[term] * weights[term] for term in PAIR_TERMS}


def _misses(state: RosterState, r: int, v: int) -> float:
    return float(preference_misses(state.problem, np.array([r]), np.array([v]))[0])


def _excess(state: RosterState, v: int, change: float) -> float:
    """Hours above the fair share after the load changes by `change` minutes."""
    return max(float(state.load[v]) + change - float(state.share[v]), 0.0) / 60


def _spans(state: RosterState, team: list[int]) -> bool:
    return len({int(state.problem.volunteer_organization[v]) for v in team}) > 1
