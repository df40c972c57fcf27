"""The weighted objective of format section 4, one small function per term.

These are the exact (floating-point) values reported in `summary.json`. Solvers build
integer models of the same terms; whatever they believe, the roster is scored here.

Fairness measure: the hours each volunteer works (service plus travel, as in rule H6) above
a *fair share*, summed over volunteers. A volunteer's fair share is their weekly cap times
the scenario's ratio of demanded to offered hours (at most 1). Work below the share is free,
work above it costs `weights.fairness` per hour. It is linear per volunteer, so it can be
optimised exactly inside any part of a decomposed city, and it says in plain words what it
penalises: "V012 works 3.1 h against a fair share of 1.2 h".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.problem import NO_GENDER, Problem
from matcher.solution import Solution

TERMS: tuple[str, ...] = ("unmet_visit", "unmet_member", "distance_km", "preference", "churn",
                          "fairness", "cohesion")


@dataclass(frozen=True)
class Evaluation:
    """Each term's raw value, its weight and weighted cost, and the objective."""

    values: dict[str, float]
    weights: dict[str, float]

    @property
    def costs(self) -> dict[str, float]:
        return {term: self.weights[term] * self.values[term] for term in TERMS}

    @property
    def objective(self) -> float:
        return float(sum(self.costs.values()))


def evaluate(problem: Problem, solution: Solution) -> Evaluation:
    weights = problem.scenario.config.weights
    values = {term: value(problem, solution) for term, value in _TERM_VALUES.items()}
    return Evaluation(values, {term: float(getattr(weights, term)) for term in TERMS})


@dataclass(frozen=True)
class Change:
    value: float  # how much the objective changes
    load: np.ndarray  # every volunteer's minutes after the change


def objective_change(problem: Problem, old: Solution, new: Solution, load: np.ndarray) -> Change:
    """How much the objective of a roster changes when the pairs and visits of some
    residents, `old`, are replaced by `new` (pairs and visits of the same residents).

    `load` is every volunteer's minutes in the whole roster before the change. Every term
    but fairness is a sum over residents, so scoring the two pieces alone gives the change
    exactly (the residents outside count the same in both and cancel). Fairness is a sum
    over volunteers of load above the fair share; the change in it needs the load the rest
    of the roster gives each volunteer. This costs the size of the change, not of the
    roster, which matters when a city's search takes one small step after another."""
    weights = problem.scenario.config.weights
    change = 0.0
    for term, value in _TERM_VALUES.items():
        if term != "fairness":
            weight = float(getattr(weights, term))
            change += weight * value(problem, new) - weight * value(problem, old)
    after = load - volunteer_load_minutes(problem, old) + volunteer_load_minutes(problem, new)
    moved = np.flatnonzero(after != load)
    share = fair_share_minutes(problem)[moved]
    above = (np.maximum(after[moved] - share, 0.0).sum()
             - np.maximum(load[moved] - share, 0.0).sum()) / 60
    return Change(float(change + weights.fairness * above), after)


def unserved_cost(problem: Problem, residents) -> float:
    """What these residents cost with nothing done for them: every visit and team member
    missing, every current pair dropped. The empty roster's objective, resident by
    resident, from which relaxations and bounds count down."""
    weights = problem.scenario.config.weights
    cost = 0.0
    for r in residents:
        priority = int(problem.resident_priority[r])
        visits = sum(int(problem.need_visits[n]) for n in problem.needs_of(r))
        cost += (weights.unmet_visit * priority * visits
                 + weights.unmet_member * priority * int(problem.resident_team_size[r])
                 + weights.churn * len(problem.incumbents_of(r)))
    return cost


def unmet_visits_by_priority(problem: Problem, solution: Solution) -> float:
    done = np.bincount([v.need for v in solution.visits], minlength=problem.n_needs)
    missing = np.maximum(problem.need_visits - done, 0)
    return float((missing * problem.resident_priority[problem.need_resident]).sum())


def missing_members_by_priority(problem: Problem, solution: Solution) -> float:
    members = np.bincount([r for r, _ in solution.pairs], minlength=problem.n_residents)
    missing = np.maximum(problem.resident_team_size - members, 0)
    return float((missing * problem.resident_priority).sum())


def km_travelled_to_visits(problem: Problem, solution: Solution) -> float:
    residents, volunteers = _attendances(problem, solution)
    if not len(residents):
        return 0.0
    return float(problem.distance_km(residents, volunteers).sum())


def soft_wishes_missed(problem: Problem, solution: Solution) -> float:
    if not solution.pairs:
        return 0.0
    residents, volunteers = (np.array(a, dtype=np.int64) for a in zip(*solution.pairs, strict=True))
    return float(preference_misses(problem, residents, volunteers).sum())


def member_costs(problem: Problem, residents: np.ndarray, volunteers: np.ndarray) -> np.ndarray:
    """What each volunteer costs on the resident's team on its own, weighted: the soft
    wishes it misses, less the missing member it makes up and, for a pair in force, the
    churn it spares. Relaxations and bounds count a roster's pairs by it."""
    weights = problem.scenario.config.weights
    return (weights.preference * preference_misses(problem, residents, volunteers).astype(float)
            - weights.unmet_member * problem.resident_priority[residents].astype(float)
            - weights.churn * problem.is_current(residents, volunteers))


def preference_misses(problem: Problem, residents: np.ndarray, volunteers: np.ndarray) -> np.ndarray:
    """Soft wishes each pair misses: a preferred gender, and a preferred language not spoken."""
    wanted = problem.prefer_gender[residents]
    gender_miss = (wanted != NO_GENDER) & (wanted != problem.volunteer_gender[volunteers])
    if problem.prefer_languages.shape[1]:
        asks = problem.prefer_languages[residents]
        speaks = problem.volunteer_languages[volunteers]
        language_miss = asks.any(axis=1) & ~(asks & speaks).any(axis=1)
    else:
        language_miss = np.zeros(len(residents), dtype=bool)
    return gender_miss.astype(np.int64) + language_miss.astype(np.int64)


def current_pairs_dropped(problem: Problem, solution: Solution) -> float:
    kept = set(solution.pairs)
    return float(len(problem.current_pairs - kept))


def hours_above_fair_share(problem: Problem, solution: Solution) -> float:
    load = volunteer_load_minutes(problem, solution)
    share = fair_share_minutes(problem)
    return float(np.maximum(load - share, 0.0).sum() / 60)


def volunteer_load_minutes(problem: Problem, solution: Solution) -> np.ndarray:
    """Rule H6's measure per volunteer: visit minutes plus travel there and back."""
    residents, volunteers = _attendances(problem, solution)
    durations = np.array([problem.need_duration[v.need] for v in solution.visits
                          for _ in v.volunteers], dtype=float)
    load = np.zeros(problem.n_volunteers)
    if len(residents):
        np.add.at(load, volunteers, durations + 2 * problem.travel_minutes(residents, volunteers))
    return load


def fair_share_minutes(problem: Problem) -> np.ndarray:
    """Each volunteer's fair share of the week's work (see `Problem.fair_share_minutes`)."""
    return problem.fair_share_minutes


def teams_spanning_organizations(problem: Problem, solution: Solution) -> float:
    groups: dict[int, set[int]] = {}
    for r, v in solution.pairs:
        groups.setdefault(r, set()).add(int(problem.volunteer_organization[v]))
    return float(sum(1 for organizations in groups.values() if len(organizations) > 1))


_TERM_VALUES = {
    "unmet_visit": unmet_visits_by_priority,
    "unmet_member": missing_members_by_priority,
    "distance_km": km_travelled_to_visits,
    "preference": soft_wishes_missed,
    "churn": current_pairs_dropped,
    "fairness": hours_above_fair_share,
    "cohesion": teams_spanning_organizations,
}
assert tuple(_TERM_VALUES) == TERMS


def _attendances(problem: Problem, solution: Solution) -> tuple[np.ndarray, np.ndarray]:
    residents = [int(problem.need_resident[v.need]) for v in solution.visits for _ in v.volunteers]
    volunteers = [volunteer for v in solution.visits for volunteer in v.volunteers]
    return np.array(residents, dtype=np.int64), np.array(volunteers, dtype=np.int64)
