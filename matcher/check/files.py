"""Reading a roster folder (section 7 of the format) with nothing but `csv` and `json`.

Every problem with a file's shape is returned as an OUTPUT violation that names the file and
the row, never raised: a checker that stops at the first bad cell hides everything after it.
Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is 2.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from matcher.scenario.model import DAYS, MINUTES_PER_DAY

from .violation import Violation, output_violation

ASSIGNMENTS = "assignments.csv"
VISITS = "visits.csv"
UNMET = "unmet.csv"
SUMMARY = "summary.json"

COLUMNS: dict[str, tuple[str, ...]] = {
    ASSIGNMENTS: (
        "resident_id",
        "resident_name",
        "volunteer_id",
        "volunteer_name",
        "station_id",
        "distance_km",
        "incumbent",
    ),
    VISITS: ("resident_id", "service", "day", "start", "end", "volunteer_ids"),
    UNMET: ("resident_id", "service", "visits_missing", "members_missing", "reason"),
}
# Without these columns a file's rows cannot be told apart, so its rows are not read at all.
# Any other missing column is reported and only the checks that need it are skipped.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    ASSIGNMENTS: ("resident_id", "volunteer_id"),
    VISITS: COLUMNS[VISITS],
    UNMET: ("resident_id", "service", "visits_missing", "members_missing"),
}

UTF8_BOM = b"\xef\xbb\xbf"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")
_MAYBE_FORMULA = re.compile(r'(?:^|[,\r])"?[=+\-@]', re.MULTILINE)

_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_WHOLE = re.compile(r"^\d+$")


@dataclass(frozen=True)
class PairRow:
    """One row of assignments.csv. None in a field: its cell is missing or unreadable."""

    row: int
    resident: str
    volunteer: str
    resident_name: str | None
    volunteer_name: str | None
    station: str | None
    distance_km: float | None
    incumbent: bool | None


@dataclass(frozen=True)
class VisitRow:
    """One row of visits.csv. `day`, `start`, `end` are None when the row's time is unreadable."""

    row: int
    resident: str
    service: str
    day: int | None
    start: int | None
    end: int | None
    volunteers: tuple[str, ...]  # as listed, repeats kept so that H3 can report them
    attendees: tuple[str, ...]  # the distinct volunteers attending, in the order listed

    @property
    def timed(self) -> bool:
        return self.day is not None

    @property
    def length(self) -> int:
        return self.end - self.start

    def label(self) -> str:
        return (
            f"visit {self.resident} {self.service} {DAYS[self.day]} "
            f"{hhmm(self.start)}-{hhmm(self.end)} ({VISITS} row {self.row})"
        )


@dataclass(frozen=True)
class UnmetRow:
    row: int
    resident: str
    service: str
    visits_missing: int | None
    members_missing: int | None
    reason: str | None


@dataclass(frozen=True)
class Roster:
    """The parsed folder. A table is None when its file could not be read at all."""

    pairs: tuple[PairRow, ...] | None
    visits: tuple[VisitRow, ...] | None
    unmet: tuple[UnmetRow, ...] | None
    summary: dict | None


@dataclass(frozen=True)
class _Row:
    number: int
    cells: dict[str, str]  # column -> cell, only for columns both in the header and the row
    complete: bool  # the row has a cell for every column of the header


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def read_roster(folder: Path) -> tuple[Roster, list[Violation]]:
    violations: list[Violation] = []
    pairs = _read_rows(folder, ASSIGNMENTS, _pair_row, violations)
    visits = _read_rows(folder, VISITS, _visit_row, violations)
    unmet = _read_rows(folder, UNMET, _unmet_row, violations)
    summary = _read_summary(folder / SUMMARY, violations)
    return Roster(pairs, visits, unmet, summary), violations


def _read_rows(folder: Path, name: str, parse_row, violations: list[Violation]) -> tuple | None:
    rows = _read_table(folder / name, name, violations)
    if rows is None:
        return None
    parsed = (parse_row(row, violations) for row in rows)
    return tuple(item for item in parsed if item is not None)


def _read_table(path: Path, name: str, violations: list[Violation]) -> list[_Row] | None:
    """The data rows of one CSV file, after checking its encoding, header and every cell."""
    data = _read_bytes(path, name, violations)
    if data is None:
        return None
    if not data.startswith(UTF8_BOM):
        violations.append(output_violation(name, "does not start with the UTF-8 BOM"))
    try:
        text = data.decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except UnicodeDecodeError as error:
        violations.append(output_violation(name, f"is not UTF-8 text ({error.reason})"))
        return None
    except csv.Error as error:
        violations.append(output_violation(name, f"is not a readable CSV table ({error})"))
        return None
    if not records:
        violations.append(output_violation(name, "is empty: no header row"))
        return None
    header = records[0]
    # Every cell starts a line or follows a comma, perhaps after an opening quote: a text
    # without that pattern has no formula cell, and a city roster needs no cell-by-cell look.
    if _MAYBE_FORMULA.search(text):
        for number, record in enumerate(records, start=1):
            violations.extend(formula_cells(name, number, header, record))
    if not _header_ok(name, header, violations):
        return None
    unique_header = len(set(header)) == len(header)
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not record:
            continue  # a blank line holds no row
        if len(record) != len(header):
            violations.append(
                output_violation(
                    f"{name} row {number}",
                    f"has {len(record)} cells, the header has {len(header)}",
                )
            )
        # A short row just lacks its last cells; extra cells beyond the header are ignored;
        # of a repeated column name, the first column counts.
        if unique_header:
            cells = dict(zip(header, record, strict=False))
        else:
            cells = {}
            for column, cell in zip(header, record, strict=False):
                cells.setdefault(column, cell)
        rows.append(_Row(number, cells, complete=len(record) >= len(header)))
    return rows


def _read_bytes(path: Path, name: str, violations: list[Violation]) -> bytes | None:
    if not path.is_file():
        violations.append(output_violation(name, "is missing from the roster folder"))
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        violations.append(output_violation(name, f"cannot be read ({error.strerror})"))
        return None


def formula_cells(name: str, number: int, header: list[str], record: list[str]):
    """Cells a spreadsheet would run as a formula."""
    for index, cell in enumerate(record):
        if cell.startswith(FORMULA_STARTS):
            column = header[index] if index < len(header) else f"#{index + 1}"
            yield output_violation(
                f"{name} row {number}",
                f"cell {column} starts with {cell[0]!r}, which a spreadsheet runs as a formula: "
                f"{_short(cell)!r}",
            )


def _header_ok(name: str, header: list[str], violations: list[Violation]) -> bool:
    """Report a header that is not exactly the contract's; False if rows cannot be read."""
    expected = COLUMNS[name]
    if tuple(header) == expected:
        return True
    missing = [column for column in expected if column not in header]
    detail = f"; missing {', '.join(missing)}" if missing else ""
    violations.append(
        output_violation(
            name,
            f"columns are {','.join(header)}, expected exactly {','.join(expected)}{detail}",
        )
    )
    return not any(column in missing for column in KEY_COLUMNS[name])


def _has_keys(name: str, row: _Row) -> bool:
    # A row too short to hold its key cells was already reported by its cell count.
    return row.complete or all(column in row.cells for column in KEY_COLUMNS[name])


def _pair_row(row: _Row, violations: list[Violation]) -> PairRow | None:
    if not _has_keys(ASSIGNMENTS, row):
        return None
    where = f"{ASSIGNMENTS} row {row.number}"
    cells = row.cells
    return PairRow(
        row=row.number,
        resident=cells["resident_id"],
        volunteer=cells["volunteer_id"],
        resident_name=cells.get("resident_name"),
        volunteer_name=cells.get("volunteer_name"),
        station=cells.get("station_id"),
        distance_km=_parse_km(cells.get("distance_km"), where, violations),
        incumbent=_parse_flag(cells.get("incumbent"), where, violations),
    )


def _visit_row(row: _Row, violations: list[Violation]) -> VisitRow | None:
    if not _has_keys(VISITS, row):
        return None
    where = f"{VISITS} row {row.number}"
    cells = row.cells
    day = _parse_day(cells["day"], where, violations)
    start = _parse_clock(cells["start"], "start", where, violations)
    end = _parse_clock(cells["end"], "end", where, violations)
    if start is not None and end is not None and end <= start:
        violations.append(output_violation(where, f"end {cells['end']} is not after start {cells['start']}"))
        start = end = None
    if start is None or end is None:
        day = None
    ids = cells["volunteer_ids"].split(";") if cells["volunteer_ids"] else []
    if "" in ids:
        violations.append(
            output_violation(where, f"volunteer_ids {cells['volunteer_ids']!r} has an empty id")
        )
    return VisitRow(
        row=row.number,
        resident=cells["resident_id"],
        service=cells["service"],
        day=day,
        start=start if day is not None else None,
        end=end if day is not None else None,
        volunteers=tuple(item for item in ids if item),
        attendees=tuple(dict.fromkeys(item for item in ids if item)),
    )


def _unmet_row(row: _Row, violations: list[Violation]) -> UnmetRow | None:
    if not _has_keys(UNMET, row):
        return None
    where = f"{UNMET} row {row.number}"
    cells = row.cells
    return UnmetRow(
        row=row.number,
        resident=cells["resident_id"],
        service=cells["service"],
        visits_missing=_parse_count(cells["visits_missing"], "visits_missing", where, violations),
        members_missing=_parse_count(cells["members_missing"], "members_missing", where, violations),
        reason=cells.get("reason"),
    )


def _parse_km(cell: str | None, where: str, violations: list[Violation]) -> float | None:
    if cell is None:
        return None
    try:
        value = float(cell)
    except ValueError:
        value = None
    # float() also reads 'nan' and 'inf', which are no distance.
    if value is None or value != value or value in (float("inf"), float("-inf")) or value < 0:
        violations.append(output_violation(where, f"distance_km {cell!r} is not a number of km"))
        return None
    return value


def _parse_flag(cell: str | None, where: str, violations: list[Violation]) -> bool | None:
    if cell is None:
        return None
    if cell in ("true", "false"):
        return cell == "true"
    violations.append(output_violation(where, f"incumbent {cell!r} is not 'true' or 'false'"))
    return None


def _parse_day(cell: str, where: str, violations: list[Violation]) -> int | None:
    if cell in DAYS:
        return DAYS.index(cell)
    violations.append(
        output_violation(where, f"day {cell!r} is not a day (expected one of {', '.join(DAYS)})")
    )
    return None


def _parse_clock(cell: str, column: str, where: str, violations: list[Violation]) -> int | None:
    match = _CLOCK.match(cell)
    minutes = int(match[1]) * 60 + int(match[2]) if match else None
    if match is None or int(match[2]) > 59 or minutes > MINUTES_PER_DAY:
        violations.append(output_violation(where, f"{column} {cell!r} is not a time of day (expected HH:MM)"))
        return None
    return minutes


def _parse_count(cell: str, column: str, where: str, violations: list[Violation]) -> int | None:
    if _WHOLE.match(cell):
        return int(cell)
    violations.append(output_violation(where, f"{column} {cell!r} is not a whole number"))
    return None


def _read_summary(path: Path, violations: list[Violation]) -> dict | None:
    data = _read_bytes(path, SUMMARY, violations)
    if data is None:
        return None
    try:
        summary = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        violations.append(output_violation(SUMMARY, f"is not UTF-8 text ({error.reason})"))
        return None
    except json.JSONDecodeError as error:
        violations.append(output_violation(SUMMARY, f"is not valid JSON (line {error.lineno}: {error.msg})"))
        return None
    if not isinstance(summary, dict):
        violations.append(output_violation(SUMMARY, "is not a JSON object"))
        return None
    return summary


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
