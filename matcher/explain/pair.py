"""`--pair R V`: what a pair costs, term by term, and the volunteers who could have taken
its place, each with the change in every term and what kept them out."""

from __future__ import annotations

from dataclasses import dataclass

from matcher.errors import InputProblem, ScenarioError
from matcher.explain.rules import Verdict, need_rule, option_days, swap_verdict
from matcher.explain.state import RosterState
from matcher.explain.terms import PAIR_TERMS, TermLine, pair_terms, swap_delta
from matcher.explain.words import clock
from matcher.scenario.model import DAYS

ALTERNATIVES = 3


@dataclass(frozen=True)
class Alternative:
    volunteer: str
    name: str
    km: float
    deltas: dict[str, float]  # weighted change of each term if this volunteer took the pair
    verdict: Verdict  # what kept this volunteer out, or that it costs more

    @property
    def total(self) -> float:
        return sum(self.deltas.values())

    def as_dict(self) -> dict:
        return {"volunteer": self.volunteer, "name": self.name, "distance_km": round(self.km, 3),
                "delta": {term: round(value, 6) for term, value in self.deltas.items()},
                "delta_total": round(self.total, 6), "why_not": self.verdict.as_dict()}


@dataclass(frozen=True)
class PairExplanation:
    resident: str
    resident_name: str
    volunteer: str
    volunteer_name: str
    km: float
    incumbent: bool
    visits: list[str]  # "companionship Mon 09:00-10:00"
    terms: list[TermLine]
    dropped_current: list[str]  # the resident's `current` volunteers this roster dropped
    alternatives: list[Alternative]
    candidates: int  # volunteers within the hard rules for the needs this pair serves

    @property
    def total(self) -> float:
        return sum(line.cost for line in self.terms)

    def as_dict(self) -> dict:
        return {"mode": "pair", "resident": self.resident, "resident_name": self.resident_name,
                "volunteer": self.volunteer, "volunteer_name": self.volunteer_name,
                "distance_km": round(self.km, 3), "incumbent": self.incumbent,
                "visits": self.visits, "terms": [line.as_dict() for line in self.terms],
                "cost_total": round(self.total, 6), "dropped_current": self.dropped_current,
                "candidates": self.candidates,
                "alternatives": [a.as_dict() for a in self.alternatives]}


def explain_pair(state: RosterState, resident_id: str, volunteer_id: str, *,
                 alternatives: int = ALTERNATIVES) -> PairExplanation:
    r, v = state.resident(resident_id), state.volunteer(volunteer_id)
    team = state.team.get(r, [])
    if v not in team:
        shown = ", ".join(state.problem.volunteer_ids[m] for m in team) or "nobody"
        raise ScenarioError([InputProblem(str(state.loaded.folder / "assignments.csv"), None,
                                          f"pair {resident_id} {volunteer_id}", None,
                                          f"is not in the roster ({resident_id}'s team: {shown}); "
                                          f"try --resident {resident_id} or --volunteer "
                                          f"{volunteer_id}")])
    scenario = state.scenario
    others = _able_alternatives(state, r, v)
    ranked = sorted(((swap_delta(state, r, v, u), u) for u in others),
                    key=lambda item: (sum(item[0].values()), state.km(r, item[1]), item[1]))
    chosen = [Alternative(state.problem.volunteer_ids[u], scenario.volunteers[u].name,
                          state.km(r, u), deltas, swap_verdict(state, r, v, u))
              for deltas, u in ranked[:alternatives]]
    dropped = [state.problem.volunteer_ids[c] for c_r, c in sorted(state.current)
               if c_r == r and c not in team]
    visits = [f"{state.problem.service_ids[state.problem.need_service[x.need]]} {DAYS[x.day]} "
              f"{clock(x.start)}-{clock(x.start + int(state.problem.need_duration[x.need]))}"
              for x in sorted(state.attended(r, v))]
    terms = pair_terms(state, r, v)
    return PairExplanation(resident_id, scenario.residents[r].name, volunteer_id,
                           scenario.volunteers[v].name, state.km(r, v), (r, v) in state.current,
                           visits, [terms[t] for t in PAIR_TERMS], dropped, chosen, len(others))


def _able_alternatives(state: RosterState, r: int, v: int) -> list[int]:
    """Volunteers not on r's team who pass the hard rules of the pair (H1, H8, H10) and the
    skills and time of every need v attends there (H3, H4), as the solver's options say."""
    options = state.options([r])
    needs = sorted({x.need for x in state.attended(r, v)})
    team = set(state.team.get(r, []))
    result = []
    for u in options.pairs_of_resident.get(r, []):
        if u in team:
            continue
        if all(need_rule(state, r, u, n, 0) is None and option_days(state, r, u, n)
               for n in needs):
            result.append(u)
    return result
