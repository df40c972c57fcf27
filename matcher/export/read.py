"""Reading a roster folder's CSV files (section 7 of the format) for export.

Only `csv` is used: the folder may come from another run or another tool, and a coordinator
may have opened it in Excel, so every cell is checked and every problem is listed at once,
each naming the file and the row as a spreadsheet numbers it (header = row 1).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from matcher.errors import InputProblem
from matcher.scenario.model import DAYS, Scenario

from .errors import ExportError

ASSIGNMENTS = "assignments.csv"
VISITS = "visits.csv"
UNMET = "unmet.csv"

COLUMNS: dict[str, tuple[str, ...]] = {
    ASSIGNMENTS: ("resident_id", "volunteer_id"),
    VISITS: ("resident_id", "service", "day", "start", "end", "volunteer_ids"),
    UNMET: ("resident_id", "service", "visits_missing", "members_missing", "reason"),
}

_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True)
class PairRow:
    resident: str
    volunteer: str


@dataclass(frozen=True)
class VisitRow:
    """One visit: `day` 0 (Mon) .. 6 (Sun), `start`/`end` minutes since midnight."""

    resident: str
    service: str
    day: int
    start: int
    end: int
    volunteers: tuple[str, ...]


@dataclass(frozen=True)
class UnmetRow:
    resident: str
    service: str
    visits_missing: int
    members_missing: int
    reason: str


@dataclass(frozen=True)
class RosterTables:
    """The three tables of a roster folder, rows in file order, every id known to the scenario."""

    pairs: tuple[PairRow, ...]
    visits: tuple[VisitRow, ...]
    unmet: tuple[UnmetRow, ...]

    def team(self, resident_id: str) -> tuple[str, ...]:
        """The volunteers paired with a resident, in file order."""
        return tuple(p.volunteer for p in self._by_resident["pairs"].get(resident_id, ()))

    def visits_of(self, resident_id: str) -> tuple[VisitRow, ...]:
        return self._by_resident["visits"].get(resident_id, ())

    def unmet_of(self, resident_id: str) -> tuple[UnmetRow, ...]:
        return self._by_resident["unmet"].get(resident_id, ())

    def visits_attended(self, volunteer_id: str) -> tuple[VisitRow, ...]:
        """The visits a volunteer attends, in file order."""
        return self._by_volunteer.get(volunteer_id, ())

    @cached_property
    def _by_resident(self) -> dict[str, dict[str, tuple]]:
        # Indexed once: a city's roster has tens of thousands of rows, and every export
        # looks rows up per resident or per volunteer.
        return {name: _grouped(getattr(self, name), lambda row: (row.resident,))
                for name in ("pairs", "visits", "unmet")}

    @cached_property
    def _by_volunteer(self) -> dict[str, tuple[VisitRow, ...]]:
        return _grouped(self.visits, lambda visit: visit.volunteers)


def _grouped(rows, keys) -> dict[str, tuple]:
    groups: dict[str, list] = {}
    for row in rows:
        for key in dict.fromkeys(keys(row)):
            groups.setdefault(key, []).append(row)
    return {key: tuple(group) for key, group in groups.items()}


def read_roster(roster_dir: str | Path, scenario: Scenario) -> RosterTables:
    """Read assignments.csv, visits.csv and unmet.csv; raise ExportError listing every problem."""
    folder = Path(roster_dir)
    problems: list[InputProblem] = []
    if not folder.is_dir():
        raise ExportError([InputProblem(str(folder), None, None, None,
                                        "is not a roster folder (it does not exist or is a file)")])
    tables = {name: _table(folder / name, problems) for name in COLUMNS}
    known = _Known.of(scenario)
    pairs = tuple(_pair(row, known, problems) for row in tables[ASSIGNMENTS])
    visits = tuple(_visit(row, known, problems) for row in tables[VISITS])
    unmet = tuple(_unmet(row, known, problems) for row in tables[UNMET])
    if problems:
        raise ExportError(problems)
    return RosterTables(pairs, visits, unmet)


@dataclass(frozen=True)
class _Row:
    file: str
    number: int
    cells: dict[str, str]

    def problem(self, field: str, message: str) -> InputProblem:
        return InputProblem(self.file, self.number, f"row {self.number}", field, message)


def _table(path: Path, problems: list[InputProblem]) -> list[_Row]:
    if not path.is_file():
        problems.append(InputProblem(str(path), None, None, None,
                                     "file does not exist (expected a roster folder written by "
                                     "`matcher solve`)"))
        return []
    try:
        # utf-8-sig: the roster files carry a BOM so that Excel shows Chinese names.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS[path.name] if c not in (reader.fieldnames or ())]
            if missing:
                problems.append(InputProblem(str(path), 1, None, None,
                                             f"missing column{'s' if len(missing) > 1 else ''} "
                                             + ", ".join(missing)))
                return []
            return [_Row(str(path), number, {k: (v or "").strip() for k, v in row.items() if k})
                    for number, row in enumerate(reader, start=2)]
    except (UnicodeDecodeError, csv.Error) as error:
        problems.append(InputProblem(str(path), None, None, None, f"cannot be read as UTF-8 CSV: {error}"))
        return []


@dataclass(frozen=True)
class _Known:
    residents: frozenset[str]
    volunteers: frozenset[str]
    services: frozenset[str]

    @classmethod
    def of(cls, scenario: Scenario) -> _Known:
        return cls(frozenset(r.id for r in scenario.residents),
                   frozenset(v.id for v in scenario.volunteers),
                   frozenset(s.id for s in scenario.services))


def _check_id(row: _Row, field: str, value: str, known: frozenset[str], what: str,
              problems: list[InputProblem]) -> None:
    if value not in known:
        problems.append(row.problem(field, f"{what} '{value}' is not in the scenario "
                                           "(was the roster made for another scenario?)"))


def _pair(row: _Row, known: _Known, problems: list[InputProblem]) -> PairRow:
    resident, volunteer = row.cells["resident_id"], row.cells["volunteer_id"]
    _check_id(row, "resident_id", resident, known.residents, "resident", problems)
    _check_id(row, "volunteer_id", volunteer, known.volunteers, "volunteer", problems)
    return PairRow(resident, volunteer)


def _visit(row: _Row, known: _Known, problems: list[InputProblem]) -> VisitRow:
    cells = row.cells
    _check_id(row, "resident_id", cells["resident_id"], known.residents, "resident", problems)
    _check_id(row, "service", cells["service"], known.services, "service", problems)
    day = DAYS.index(cells["day"]) if cells["day"] in DAYS else -1
    if day < 0:
        problems.append(row.problem("day", f"'{cells['day']}' is not a day (expected Mon .. Sun)"))
    start, end = _clock(row, "start", problems), _clock(row, "end", problems)
    if start >= 0 and end >= 0 and end <= start:
        problems.append(row.problem("end", f"'{cells['end']}' is not after start '{cells['start']}'"))
    volunteers = tuple(v.strip() for v in cells["volunteer_ids"].split(";") if v.strip())
    if not volunteers:
        problems.append(row.problem("volunteer_ids", "no volunteer attends this visit"))
    for volunteer in volunteers:
        _check_id(row, "volunteer_ids", volunteer, known.volunteers, "volunteer", problems)
    return VisitRow(cells["resident_id"], cells["service"], day, start, end, volunteers)


def _clock(row: _Row, field: str, problems: list[InputProblem]) -> int:
    text = row.cells[field]
    match = _CLOCK.match(text)
    minutes = int(match[1]) * 60 + int(match[2]) if match else -1
    if match and int(match[2]) < 60 and minutes <= 24 * 60:
        return minutes
    problems.append(row.problem(field, f"'{text}' is not a time of day (expected HH:MM)"))
    return -1


def _unmet(row: _Row, known: _Known, problems: list[InputProblem]) -> UnmetRow:
    cells = row.cells
    _check_id(row, "resident_id", cells["resident_id"], known.residents, "resident", problems)
    _check_id(row, "service", cells["service"], known.services, "service", problems)
    counts = []
    for field in ("visits_missing", "members_missing"):
        text = cells[field]
        if not text.isdigit():
            problems.append(row.problem(field, f"'{text}' is not a whole number"))
        counts.append(int(text) if text.isdigit() else 0)
    return UnmetRow(cells["resident_id"], cells["service"], counts[0], counts[1],
                    _unquote(cells["reason"]))


def _unquote(text: str) -> str:
    # The roster writer puts a quote mark before a cell that would run as a formula; the
    # exports guard their cells themselves, so the text is taken back as it was meant.
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text
