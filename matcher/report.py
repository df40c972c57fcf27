"""The short report `matcher validate` prints: what a scenario asks, offers, and cannot serve."""

from __future__ import annotations

from collections import Counter

import numpy as np

from matcher.candidates import RULES, Candidates, candidate_pairs
from matcher.gcpause import collector_paused
from matcher.problem import Problem, compile_problem
from matcher.scenario.model import RESIDENT_KINDS, Scenario

LISTED_AT_MOST = 20
_RULE_WORDS = dict(RULES)


def validation_report(scenario: Scenario) -> str:
    with collector_paused():
        return _report(scenario)


def _report(scenario: Scenario) -> str:
    problem = compile_problem(scenario)
    candidates = candidate_pairs(problem)
    lines = [f"{scenario.name}", f"week of {scenario.week_of.isoformat()}"
             + (f", read from {scenario.source}" if scenario.source else ""), "",
             "The scenario is valid.", ""]
    lines += _residents_section(scenario)
    lines += _demand_section(scenario)
    lines += _supply_section(scenario, candidates)
    lines += _uncovered_skills_section(problem, candidates)
    lines += _unreachable_section(problem, candidates)
    return "\n".join(lines).rstrip() + "\n"


def _residents_section(scenario: Scenario) -> list[str]:
    by_kind = Counter(r.kind for r in scenario.residents)
    by_priority = {kind: Counter(r.priority for r in scenario.residents if r.kind == kind)
                   for kind in RESIDENT_KINDS}
    teams = Counter(r.team_size for r in scenario.residents)
    lines = [f"Residents: {len(scenario.residents)}",
             "  kind      total   " + "  ".join(f"p{p}" .rjust(5) for p in range(1, 6))]
    for kind in RESIDENT_KINDS:
        counts = "  ".join(str(by_priority[kind][p]).rjust(5) for p in range(1, 6))
        lines.append(f"  {kind:<8}{by_kind[kind]:>7}   {counts}")
    lines.append("  team size: " + ", ".join(f"{size}: {teams[size]}" for size in sorted(teams)))
    return [*lines, ""]


def _demand_section(scenario: Scenario) -> list[str]:
    rows: dict[str, list[float]] = {}
    for resident in scenario.residents:
        for need in resident.needs:
            row = rows.setdefault(need.service, [0, 0, 0.0])
            row[0] += 1
            row[1] += need.visits_per_week
            row[2] += need.visits_per_week * need.duration_min * need.volunteers_per_visit / 60
    total_visits = sum(int(row[1]) for row in rows.values())
    total_hours = sum(row[2] for row in rows.values())
    lines = [f"Needs: {sum(int(r[0]) for r in rows.values())}, asking {total_visits} visits "
             f"and {total_hours:.1f} volunteer-hours a week (before travel)",
             f"  {'service':<16}{'name':<12}{'needs':>7}{'visits':>8}{'hours':>9}"]
    for service in scenario.services:
        if service.id in rows:
            needs, visits, hours = rows[service.id]
            lines.append(f"  {service.id:<16}{_fit(service.name, 12)}{int(needs):>7}"
                         f"{int(visits):>8}{hours:>9.1f}")
    return [*lines, ""]


def _supply_section(scenario: Scenario, candidates: Candidates) -> list[str]:
    volunteers = scenario.volunteers
    offered = sum(v.max_hours_per_week for v in volunteers)
    checked = sum(1 for v in volunteers if v.background_check_until is not None
                  and v.background_check_until >= scenario.week_of)
    modes = Counter(v.travel for v in volunteers)
    per_resident = np.bincount(candidates.resident[candidates.useful],
                               minlength=len(scenario.residents))
    median = float(np.median(per_resident)) if len(per_resident) else 0.0
    nearest_only = int(np.isfinite(candidates.radius_km).sum())
    kept = ([f"  {nearest_only} residents with the most volunteers within reach keep their "
             "nearest only (the eligible pairs count those)"] if nearest_only else [])
    return [f"Volunteers: {len(volunteers)}, offering up to {offered:.1f} hours a week "
            "(service plus travel)",
            f"  safeguarding valid for the week: {checked}",
            "  travel: " + ", ".join(f"{mode} {modes[mode]}" for mode in sorted(modes)),
            f"  eligible pairs: {int(candidates.useful.sum())} (median {median:g} eligible volunteers "
            "per resident)", *kept, ""]


def _uncovered_skills_section(problem: Problem, candidates: Candidates) -> list[str]:
    """Per service with skills: residents needing it whom no volunteer within reach can serve.

    For a one-volunteer visit, one volunteer within reach must hold all the skills; for a
    shared visit, the skills of all volunteers within reach together must cover them.
    """
    served = _needs_with_skills_in_reach(problem, candidates)
    lacking: dict[int, list[int]] = {}
    for need in np.flatnonzero(~served).tolist():
        lacking.setdefault(int(problem.need_service[need]), []).append(
            int(problem.need_resident[need]))
    lines = ["Services whose skills nobody within reach has:"]
    if not lacking:
        lines.append("  none: every need has a volunteer with its skills within reach")
    for service, residents in sorted(lacking.items()):
        total = int((problem.need_service == service).sum())
        skill_names = ", ".join(s for s, wanted in zip(problem.skills,
                                                       problem.service_skills[service],
                                                       strict=True) if wanted)
        shown = ", ".join(problem.resident_ids[r] for r in residents[:8])
        more = f" and {len(residents) - 8} more" if len(residents) > 8 else ""
        lines.append(f"  {problem.service_ids[service]} (skills {skill_names}): "
                     f"{len(residents)} of {total} residents who need it: {shown}{more}")
    return [*lines, ""]


def _needs_with_skills_in_reach(problem: Problem, candidates: Candidates) -> np.ndarray:
    """Per need: True if its skills are within reach (or it asks none), vectorised over
    every (need, volunteer within reach) row."""
    wanted = problem.service_skills[problem.need_service]
    served = ~wanted.any(axis=1)
    residents, volunteers = candidates.reach_resident, candidates.reach_volunteer
    counts = np.diff(problem.need_start)[residents]
    pair = np.repeat(np.arange(len(residents)), counts)
    offsets = np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts, counts)
    need = problem.need_start[residents][pair] + offsets
    keep = ~served[need]
    need, volunteer = need[keep], volunteers[pair[keep]]
    if not len(need):
        return served
    has = problem.volunteer_skills[volunteer]
    alone = ~(wanted[need] & ~has).any(axis=1)
    served[np.unique(need[alone & (problem.need_volunteers_per_visit[need] == 1)])] = True
    # A shared visit pools skills: the union over everyone within reach must cover them.
    shared = problem.need_volunteers_per_visit[need] > 1
    if shared.any():
        order = np.argsort(need[shared], kind="stable")
        grouped_need = need[shared][order]
        starts = np.flatnonzero(np.r_[True, np.diff(grouped_need) > 0])
        pooled = np.logical_or.reduceat(has[shared][order], starts, axis=0)
        covered = ~(wanted[grouped_need[starts]] & ~pooled).any(axis=1)
        served[grouped_need[starts][covered]] = True
    return served


def _unreachable_section(problem: Problem, candidates: Candidates) -> list[str]:
    blocked = [(r, candidates.first_blocking_rule(r)) for r in range(problem.n_residents)]
    blocked = [(r, rule) for r, rule in blocked if rule is not None]
    lines = [f"Residents with no eligible volunteer at all: {len(blocked)}"]
    for resident, rule in blocked[:LISTED_AT_MOST]:
        name = problem.scenario.residents[resident].name
        words = _RULE_WORDS[rule]
        if rule == "distance":
            nearest = candidates.nearest_km[resident]
            words += f"; the nearest volunteer is {nearest:.1f} km away"
        lines.append(f"  {problem.resident_ids[resident]} {name}: {words}")
    if len(blocked) > LISTED_AT_MOST:
        lines.append(f"  ... and {len(blocked) - LISTED_AT_MOST} more")
    return lines


def _fit(text: str, width: int) -> str:
    # CJK characters take two terminal columns; pad by display width so columns line up.
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(1, width - shown)

