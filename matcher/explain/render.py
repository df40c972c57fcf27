"""Explanations as plain text for a terminal, one function per kind of explanation."""

from __future__ import annotations

from matcher.explain.overview import RosterExplanation
from matcher.explain.pair import PairExplanation
from matcher.explain.resident import ResidentExplanation
from matcher.explain.volunteer import VolunteerExplanation
from matcher.explain.words import (
    TERM_NAMES,
    change_words,
    kind_name,
    pad,
    say,
    verdict_words,
)


def render_pair(e: PairExplanation, lang: str) -> str:
    lines = [say(lang, "pair_head", resident=e.resident, resident_name=e.resident_name,
                 volunteer=e.volunteer, volunteer_name=e.volunteer_name, km=e.km,
                 status=say(lang, "incumbent" if e.incumbent else "new_pair")),
             f"{say(lang, 'visits')}: " + (", ".join(e.visits) or say(lang, "no_visits")),
             say(lang, "adds")]
    for line in e.terms:
        if line.term == "churn":
            what = (say(lang, "term_churn", weight=line.weight) if e.incumbent
                    else say(lang, "term_churn_new"))
        else:
            what = say(lang, f"term_{line.term}", value=line.value, km=e.km,
                       visits=len(e.visits), volunteer=e.volunteer)
        lines.append(f"  {pad(TERM_NAMES[lang][line.term], 14)} {pad(what, 60)} x {line.weight:<6g}"
                     f" = {line.cost:8.2f}")
    lines.append(f"  {pad(say(lang, 'total'), 14)} {'':<60}   {'':<6}   {e.total:8.2f}")
    if e.dropped_current:
        lines.append(say(lang, "dropped", resident=e.resident,
                         volunteers=", ".join(e.dropped_current),
                         weight=e.terms[2].weight))
    if not e.alternatives:
        lines.append(say(lang, "no_alternatives"))
        return "\n".join(lines) + "\n"
    lines.append(say(lang, "alternatives", count=e.candidates))
    for a in e.alternatives:
        parts = ", ".join(f"{TERM_NAMES[lang][t]} {d:+.2f}" for t, d in a.deltas.items()
                          if abs(d) > 5e-3)
        lines.append(f"  {a.volunteer} {a.name} {a.km:.2f} km: "
                     f"{say(lang, 'delta', total=a.total)}" + (f" ({parts})" if parts else ""))
        lines.append("    " + say(lang, "not_chosen", why=verdict_words(lang, a.verdict.as_dict())))
    return "\n".join(lines) + "\n"


def render_resident(e: ResidentExplanation, lang: str) -> str:
    lines = [say(lang, "resident_head", resident=e.resident, name=e.name,
                 kind=kind_name(lang, e.kind), priority=e.priority, team_size=e.team_size),
             f"{say(lang, 'team')}: " + (", ".join(f"{m['volunteer']} {m['name']} "
                                                   f"({m['distance_km']:.2f} km)" for m in e.team)
                                         or say(lang, "nobody")),
             f"{say(lang, 'visits')}: " + ("; ".join(e.visits) or say(lang, "nobody"))]
    if not e.unmet:
        lines.append(say(lang, "no_unmet"))
    for u in e.unmet:
        lines += ["", say(lang, "unmet_head", service=u.service, visits_missing=u.visits_missing,
                          members_missing=u.members_missing),
                  "  " + say(lang, "roster_says", reason=u.reason), "  " + say(lang, "nearby")]
        for n in u.nearby:
            lines.append(f"    {n.volunteer} {n.name} {n.km:.2f} km: "
                         + verdict_words(lang, n.verdict.as_dict()))
        if u.search is not None:
            lines += ["  " + line for line in _search_lines(u.search, e.resident, lang)]
    return "\n".join(lines) + "\n"


def _search_lines(search, resident: str, lang: str) -> list[str]:
    found = search.found
    last = found or (search.trials[-1] if search.trials else None)
    if found is None:
        kinds = ", ".join(dict.fromkeys(t.change.kind for t in search.trials))
        lines = [say(lang, "no_change", count=len(search.trials), kinds=kinds)]
    else:
        lines = [say(lang, "change", words=change_words(lang, found.change.as_dict(), resident))]
        if found.losses:
            lines.append(say(lang, "change_losses", losses="; ".join(found.losses)))
    if last is not None:
        lines.append(say(lang, "tried", count=len(search.trials), seconds=search.seconds,
                         residents=len(last.residents), volunteers=len(last.volunteers),
                         resident=resident, delta=last.objective_delta))
    return lines


def render_volunteer(e: VolunteerExplanation, lang: str) -> str:
    lines = [say(lang, "volunteer_head", volunteer=e.volunteer, name=e.name,
                 count=len(e.residents), cap=e.residents_cap, used=e.hours_used,
                 hours=e.hours_cap, share=e.fair_share_h, km=e.max_distance_km)]
    for row in e.residents:
        lines.append("  " + say(lang, "serves_line", resident=row["resident"], name=row["name"],
                                km=row["distance_km"], visits=row["visits"], hours=row["hours"],
                                cost=row["cost"]))
    lines.append(f"{say(lang, 'visits')}: " + ("; ".join(e.visits) or say(lang, "nobody")))
    lines.append(say(lang, "nearby_residents", volunteer=e.volunteer))
    for n in e.nearby:
        lines.append(f"  {n.resident} {n.name} {n.km:.2f} km: "
                     + verdict_words(lang, n.verdict.as_dict()))
    return "\n".join(lines) + "\n"


def render_roster(e: RosterExplanation, lang: str) -> str:
    bound = say(lang, "bound", bound=e.bound) if isinstance(e.bound, (int, float)) else ""
    lines = [say(lang, "roster_head", scenario=e.scenario, status=e.status,
                 objective=e.objective, bound=bound)]
    coverage = e.coverage
    if coverage.get("visits_demanded"):
        lines.append(say(lang, "coverage", scheduled=coverage.get("visits_scheduled", 0),
                         demanded=coverage["visits_demanded"],
                         share=coverage.get("visits_scheduled", 0) / coverage["visits_demanded"]))
    lines.append(say(lang, "terms"))
    for t in e.terms:
        lines.append(f"  {pad(TERM_NAMES[lang][t['term']], 16)} {t['value']:>12,.2f} x {t['weight']:<6g}"
                     f" = {t['cost']:>12,.2f}")
    lines.append(say(lang, "costliest", count=len(e.costliest), total=e.decisions))
    for d in e.costliest:
        what = say(lang, f"decision_{d.kind}", resident=d.resident, name=d.name, subject=d.subject)
        parts = ", ".join(f"{TERM_NAMES[lang][t]} {c:.2f}" for t, c in d.parts.items() if c)
        lines.append(f"  {d.cost:>10,.2f}  {what}" + (f" ({parts})" if parts else ""))
    return "\n".join(lines) + "\n"
