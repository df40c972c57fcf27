"""The output contract of section 7 beyond the shape of each file: unmet.csv and summary.json
agree with the visits and pairs actually written."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

from .context import Context
from .files import ASSIGNMENTS, SUMMARY, UNMET, VISITS
from .violation import Violation, output_violation

BOUND_TOLERANCE = 1e-6

# summary.json keys and what each must hold; "number" excludes true/false and NaN.
SUMMARY_KEYS: dict[str, tuple[str, ...]] = {
    "status": ("string",),
    "objective": ("number",),
    "bound": ("number", "null"),
    "gap": ("number", "null"),
    "terms": ("object",),
    "coverage": ("object",),
    "counts": ("object",),
    "solve_seconds": ("number",),
    "config": ("object",),
    "input_hash": ("string",),
}
COVERAGE_KEYS = ("visits_demanded", "visits_scheduled")


def unmet_rows_unique(ctx: Context) -> Iterator[Violation]:
    """One row per need: a repeated (resident, service) is ambiguous."""
    first_row: dict[tuple[str, str], int] = {}
    for row in ctx.roster.unmet or ():
        key = (row.resident, row.service)
        if key in first_row:
            yield output_violation(
                f"{UNMET} row {row.row}",
                f"repeats {row.resident} {row.service} (first on row {first_row[key]})",
            )
        else:
            first_row[key] = row.row


def unmet_rows_have_reasons(ctx: Context) -> Iterator[Violation]:
    """A coordinator must be told why, in words."""
    for row in ctx.roster.unmet or ():
        if row.reason is not None and not row.reason.strip():
            yield output_violation(
                f"{UNMET} row {row.row}", f"{row.resident} {row.service} has an empty reason"
            )


def unmet_matches_roster(ctx: Context) -> Iterator[Violation]:
    """unmet.csv lists exactly the needs that visits.csv and assignments.csv leave short.

    Nothing may be dropped silently: a need with fewer visits than visits_per_week, or a
    resident with fewer pairs than team_size, must have a row with exactly those shortfalls.
    """
    roster = ctx.roster
    if roster.unmet is None or roster.visits is None or roster.pairs is None:
        return  # an unreadable file is already reported; its figures cannot be compared
    visits = Counter((visit.resident, visit.service) for visit in roster.visits)
    members = Counter(resident_id for resident_id, _ in ctx.pairs)
    rows = {}
    for row in roster.unmet:
        rows.setdefault((row.resident, row.service), row)
    for resident in ctx.scenario.residents:
        members_missing = max(0, resident.team_size - members[resident.id])
        seen_services = set()
        for need in resident.needs:
            if need.service in seen_services:
                continue
            seen_services.add(need.service)
            scheduled = visits[(resident.id, need.service)]
            visits_missing = max(0, need.visits_per_week - scheduled)
            row = rows.get((resident.id, need.service))
            label = f"{resident.id} {need.service}"
            shortfall = (
                f"{VISITS} has {scheduled} of {need.visits_per_week} visits and {ASSIGNMENTS} "
                f"pairs {members[resident.id]} of team_size {resident.team_size}"
            )
            if row is None:
                if visits_missing or members_missing:
                    yield output_violation(
                        UNMET,
                        f"no row for {label}, which misses {visits_missing} visit(s) and "
                        f"{members_missing} member(s): {shortfall}",
                    )
            elif not visits_missing and not members_missing:
                yield output_violation(f"{UNMET} row {row.row}", f"{label} is fully served ({shortfall})")
            elif _disagree(row.visits_missing, visits_missing) or _disagree(
                row.members_missing, members_missing
            ):
                yield output_violation(
                    f"{UNMET} row {row.row}",
                    f"{label} says visits_missing {_cell(row.visits_missing)}, members_missing "
                    f"{_cell(row.members_missing)}; expected {visits_missing} and "
                    f"{members_missing}: {shortfall}",
                )


def summary_complete(ctx: Context) -> Iterator[Violation]:
    """summary.json has every key of the contract, each of the right JSON type."""
    summary = ctx.roster.summary
    if summary is None:
        return
    for key, kinds in SUMMARY_KEYS.items():
        if key not in summary:
            yield output_violation(SUMMARY, f"has no key {key!r}")
        elif _json_kind(summary[key]) not in kinds:
            yield output_violation(
                SUMMARY, f"{key} is {_json_kind(summary[key])}, expected {' or '.join(kinds)}"
            )
    coverage = summary.get("coverage")
    if isinstance(coverage, dict):
        for key in COVERAGE_KEYS:
            if key not in coverage:
                yield output_violation(SUMMARY, f"coverage has no key {key!r}")
            elif not _is_int(coverage[key]):
                yield output_violation(
                    SUMMARY, f"coverage.{key} is {_json_kind(coverage[key])}, expected integer"
                )


def summary_matches_roster(ctx: Context) -> Iterator[Violation]:
    """summary.json's coverage counts the visits written and demanded; bound <= objective."""
    summary = ctx.roster.summary
    if summary is None:
        return
    coverage = summary.get("coverage")
    coverage = coverage if isinstance(coverage, dict) else {}
    demanded = sum(need.visits_per_week for r in ctx.scenario.residents for need in r.needs)
    if _is_int(coverage.get("visits_demanded")) and coverage["visits_demanded"] != demanded:
        yield output_violation(
            SUMMARY,
            f"coverage.visits_demanded is {coverage['visits_demanded']}, but the needs ask for "
            f"{demanded} visits",
        )
    scheduled = coverage.get("visits_scheduled")
    if ctx.roster.visits is not None and _is_int(scheduled):
        written = len(ctx.roster.visits)
        if scheduled != written:
            yield output_violation(
                SUMMARY,
                f"coverage.visits_scheduled is {scheduled}, but {VISITS} has {written} visits",
            )
    bound, objective = summary.get("bound"), summary.get("objective")
    both_numbers = _json_kind(bound) == "number" and _json_kind(objective) == "number"
    if both_numbers and bound > objective + BOUND_TOLERANCE:
        yield output_violation(
            SUMMARY, f"bound {bound:g} is above objective {objective:g}; a lower bound cannot be"
        )


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"  # bool is an int in Python, never a number in the contract
    if isinstance(value, int | float):
        return "number" if math.isfinite(value) else "not a finite number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "array" if isinstance(value, list) else type(value).__name__


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _disagree(written: int | None, expected: int) -> bool:
    # An unreadable count is already reported where it was read; do not report it again.
    return written is not None and written != expected


def _cell(value: int | None) -> str:
    return "unreadable" if value is None else str(value)
