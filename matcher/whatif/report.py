"""A comparison in words: a table for the terminal and a Markdown report to share.

Both show the same sections from the same rows, so what a planner reads on screen and what
they send to the district say the same thing.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Sequence

import pandas as pd

from matcher.whatif.compare import Comparison, RosterFigures

Row = tuple[str, ...]
Section = tuple[str, Row, list[Row], str]  # title, headers, rows, a note under the table
NO_STATION = "(no station)"
# The two figures a planner could misread as like for like across a variant.
OBJECTIVE_NOTE = ("Objective and fairness are scored against each roster's own scenario (its "
                  "current roster and its fair share of hours), so they do not compare like for "
                  "like across variants.")


def comparison_table(c: Comparison, max_residents: int = 20) -> str:
    """The comparison as aligned text for a terminal (CJK names counted double width).

    At most `max_residents` residents whose volunteers changed are listed one by one.
    """
    lines = [f"A: {c.a.folder}", f"B: {c.b.folder}", ""]
    for title, headers, rows, note in _sections(c, max_residents):
        notes = textwrap.wrap(note, width=96, initial_indent="  ", subsequent_indent="  ")
        lines += [title, *_text_table(headers, rows), *notes, ""]
    return "\n".join(lines).rstrip() + "\n"


def comparison_markdown(c: Comparison, max_residents: int = 200) -> str:
    """The comparison as a Markdown report (headline, churn, reasons, stations, residents)."""
    lines = ["# Roster comparison", "", f"- **A**: `{c.a.folder}` ({_escape(c.a.scenario_name)})",
             f"- **B**: `{c.b.folder}` ({_escape(c.b.scenario_name)})", ""]
    for title, headers, rows, note in _sections(c, max_residents):
        lines += [f"## {title}", "", *_markdown_table(headers, rows), "", *([note, ""] if note else [])]
    return "\n".join(lines).rstrip() + "\n"


# -- the sections, shared by both renderings ---------------------------------------------

def _sections(c: Comparison, max_residents: int) -> list[Section]:
    sections: list[Section] = [
        ("Headline", ("", "A", "B", "change"), _headline(c.a, c.b), OBJECTIVE_NOTE),
        ("Churn (pairs of A against pairs of B)", ("", "count"), _churn(c), ""),
        ("Unmet needs by reason (rows of unmet.csv)", ("reason", "A", "B", "change"),
         [(kind, str(a), str(b), _signed(change)) for kind, a, b, change
          in c.unmet_by_reason.itertuples(index=False)] or [("(none)", "0", "0", "0")], ""),
        ("Visits per station", ("station", "name", "demanded A", "scheduled A", "demanded B",
                                "scheduled B", "change"), _stations(c.stations), ""),
    ]
    changed = c.residents_changed
    shown = changed.head(max_residents)
    title = "Residents whose volunteers changed"
    if len(changed) > len(shown):
        title += f" (first {len(shown)} of {len(changed)})"
    rows = [(r.resident_id, r.resident_name, r.station_id or NO_STATION,
             r.volunteers_a.replace(";", ", ") or "-", r.volunteers_b.replace(";", ", ") or "-")
            for r in shown.itertuples(index=False)]
    sections.append((title, ("resident", "name", "station", "volunteers in A", "volunteers in B"),
                     rows or [("(none)", "", "", "", "")], ""))
    return sections


def _headline(a: RosterFigures, b: RosterFigures) -> list[Row]:
    def count(label: str, x: int | None, y: int | None) -> Row:
        return (label, _int(x), _int(y), _signed(y - x) if x is not None and y is not None else "-")

    def number(label: str, x: float | None, y: float | None, digits: int = 1) -> Row:
        change = _signed(y - x, digits) + _percent(x, y) if x is not None and y is not None else "-"
        return (label, _float(x, digits), _float(y, digits), change)

    return [
        ("status", a.status, b.status, ""),
        count("visits demanded", a.visits_demanded, b.visits_demanded),
        count("visits scheduled", a.visits_scheduled, b.visits_scheduled),
        ("visit coverage", f"{a.coverage:.1%}", f"{b.coverage:.1%}",
         f"{(b.coverage - a.coverage) * 100:+.1f} pts"),
        ("residents fully served", _of(a.residents_fully_served, a.residents),
         _of(b.residents_fully_served, b.residents),
         _signed(b.residents_fully_served - a.residents_fully_served)
         if a.residents_fully_served is not None and b.residents_fully_served is not None else "-"),
        ("team members assigned", _of(a.team_members_assigned, a.team_members_demanded),
         _of(b.team_members_assigned, b.team_members_demanded),
         _signed(b.team_members_assigned - a.team_members_assigned)),
        count("unmet needs", a.unmet_needs, b.unmet_needs),
        count("volunteers used", a.volunteers_used, b.volunteers_used),
        number("km travelled to visits", a.km, b.km),
        number("volunteer hours (visits + travel)", a.hours, b.hours),
        number("volunteer hours (visits only)", a.service_hours, b.service_hours),
        number("fairness (hours above fair share)", a.fairness, b.fairness),
        number("objective", a.objective, b.objective, 0),
    ]


def _churn(c: Comparison) -> list[Row]:
    residents = len(set(c.pairs["resident_id"]))
    total = c.a.residents if c.a.residents is not None else residents
    rows = [("pairs kept", _int(c.pairs_kept)), ("pairs removed (in A only)", _int(c.pairs_removed))]
    if c.volunteers_gone:
        rows.append(("  of which the volunteer is not in B's scenario",
                     _int(c.pairs_removed_with_volunteer_gone)))
    return [*rows, ("pairs new (in B only)", _int(c.pairs_new)),
            ("residents whose volunteers changed", f"{len(c.residents_changed):,} of {total:,}")]


def _stations(table: pd.DataFrame) -> list[Row]:
    rows = [(s.station_id or NO_STATION, s.station_name, _int(s.demanded_a), _int(s.scheduled_a),
             _int(s.demanded_b), _int(s.scheduled_b), _signed(s.change))
            for s in table.itertuples(index=False)]
    if len(rows) > 1:
        def total(column: str) -> str:
            values = table[column]
            return "-" if values.isna().any() else _int(values.sum())

        rows.append(("total", "", total("demanded_a"), total("scheduled_a"), total("demanded_b"),
                     total("scheduled_b"), _signed(int(table["change"].sum()))))
    return rows or [("(none)", "", "-", "0", "-", "0", "0")]


# -- cells ---------------------------------------------------------------------------------

def _int(value) -> str:
    return "-" if value is None or pd.isna(value) else f"{int(value):,}"


def _float(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _signed(value, digits: int = 0) -> str:
    return f"{value:+,.{digits}f}" if digits else f"{int(value):+,d}"


def _percent(before: float, after: float) -> str:
    # A relative change says more than an absolute one for km and hours; none from zero.
    return f" ({(after - before) / abs(before):+.1%})" if before else ""


def _of(part: int | None, whole: int | None) -> str:
    if part is None:
        return "-"
    return f"{part:,} of {whole:,}" if whole is not None else f"{part:,}"


# -- layout --------------------------------------------------------------------------------

def _width(text: str) -> int:
    """Columns a terminal gives the text: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _text_table(headers: Row, rows: Sequence[Row]) -> list[str]:
    widths = [max(_width(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]
    # Labels, ids and names are left-aligned; counts and changes right-aligned.

    def line(row: Row) -> str:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(str(cell)))
            cells.append(f"{cell}{pad}" if i == 0 or _is_text(headers, i) else f"{pad}{cell}")
        return "  " + "  ".join(cells).rstrip()

    return [line(headers), "  " + "  ".join("-" * w for w in widths), *map(line, rows)]


def _is_text(headers: Row, column: int) -> bool:
    return headers[column] in ("name", "station", "volunteers in A", "volunteers in B", "reason")


def _markdown_table(headers: Row, rows: Sequence[Row]) -> list[str]:
    right = [not (i == 0 or _is_text(headers, i)) for i in range(len(headers))]
    return [
        "| " + " | ".join(_escape(h) or " " for h in headers) + " |",
        "| " + " | ".join("---:" if r else "---" for r in right) + " |",
        *("| " + " | ".join(_escape(str(cell)) for cell in row) + " |" for row in rows),
    ]


def _escape(text: str) -> str:
    return text.replace("|", "\\|")
