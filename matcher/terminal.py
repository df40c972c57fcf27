"""The few lines printed after a solve: coverage, unmet by reason, km, hours, where files are."""

from __future__ import annotations

from pathlib import Path

from matcher.reasons import kind_counts

# The clock, not the step budgets, ended some of the solve: its roster depends on the
# machine's speed and load that moment.
TIME_LIMIT_ADVICE = ("  cut short by the time limit: a longer --time-limit may do better, "
                     "and a rerun may differ")


def solve_report(result, path: Path) -> str:
    summary = result.summary
    coverage = summary["coverage"]
    terms = summary["terms"]
    bound = summary["bound"]
    gap = summary["gap"]
    lines = [
        f"{summary['scenario']} (week of {summary['week_of']})",
        f"status {summary['status']}, objective {summary['objective']:,.2f}"
        + (f", bound {bound:,.2f}, gap {gap:.2%}" if bound is not None else ", no bound known")
        + f", {summary['solve_seconds']:.1f} s",
        *([TIME_LIMIT_ADVICE] if summary["status"] == "time limit" else []),
        f"visits scheduled {coverage['visits_scheduled']} of {coverage['visits_demanded']} "
        f"({coverage['visit_coverage']:.1%}); residents fully served "
        f"{coverage['residents_fully_served']} of {coverage['residents']}; team members "
        f"{coverage['team_members_assigned']} of {coverage['team_members_demanded']}",
        f"travel to visits {terms['distance_km']['value']:,.1f} km; volunteer hours "
        f"{_hours(result):,.1f} (service plus travel)",
    ]
    # By kind, not by sentence: a city's rows have hundreds of distinct counts and windows.
    reasons = kind_counts(result.unmet["reason"])
    if reasons:
        lines.append("unmet needs by reason:")
        lines += [f"  {count:>5}  {kind}" for kind, count in reasons.most_common()]
    lines.append(f"roster written to {path}/ (assignments.csv, visits.csv, unmet.csv, "
                 "summary.json)")
    return "\n".join(lines)


def _hours(result) -> float:
    from matcher.objective import volunteer_load_minutes

    return float(volunteer_load_minutes(result.problem, result.solution).sum() / 60)
