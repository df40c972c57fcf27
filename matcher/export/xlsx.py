"""roster.xlsx: the coordinator's workbook, one sheet per station plus by volunteer, by day, unmet.

Every cell holds a plain string or number, never a formula: text that a spreadsheet would run
(starting with = + - @) is stored as a string with Excel's quote-prefix style, so it shows as
written and stays text even when the cell is edited. The workbook is always complete (names,
services, reasons): it is for coordinators, whatever redaction the other files get.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from matcher.output import FORMULA_STARTS
from matcher.scenario.model import Scenario

from .read import RosterTables, VisitRow
from .redact import Naming
from .week import (
    DAY_LABELS,
    KIND_LABELS,
    StationGroup,
    day_date,
    hhmm,
    ordered,
    station_coverage,
    station_groups,
)

Cell = str | int | float

OVERVIEW = "概览 Overview"
BY_VOLUNTEER = "按志愿者 By volunteer"
BY_DAY = "按日 By day"
UNMET = "未满足 Unmet"

SHEET_NAME_MAX = 31
_ILLEGAL_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
LINE_HEIGHT = 15  # points: one line of 11-point text
WIDTH_MAX = 48  # wider text wraps inside its cell instead of pushing the next column off screen
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_NUMBER = Alignment(horizontal="center", vertical="top")
_CORE_PROPERTIES = "docProps/core.xml"


@dataclass(frozen=True)
class Sheet:
    """One worksheet as data: a header row, body rows, and which columns are percentages."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    freeze: str = "C2"
    percent_columns: tuple[int, ...] = ()


def xlsx_bytes(scenario: Scenario, roster: RosterTables) -> bytes:
    """The workbook's bytes: identical for identical inputs (fixed timestamps throughout)."""
    naming = Naming(scenario)
    sheets = [_overview(scenario, roster)]
    sheets += [_station_sheet(scenario, roster, naming, group) for group in station_groups(scenario)]
    sheets += [_by_volunteer(scenario, roster, naming), _by_day(scenario, roster, naming),
               _unmet(scenario, roster, naming)]
    return _render(sheets, scenario)


def sheet_name(title: str, taken: set[str]) -> str:
    """A legal, unique sheet name: no []:*?/\\, at most 31 characters, no quote at either end."""
    base = _ILLEGAL_IN_SHEET_NAME.sub(" ", title).strip().strip("'").strip() or "Sheet"
    name, number = base[:SHEET_NAME_MAX].rstrip("' "), 1
    while name.casefold() in taken:
        number += 1
        suffix = f"~{number}"
        name = base[:SHEET_NAME_MAX - len(suffix)].rstrip("' ") + suffix
    taken.add(name.casefold())
    return name


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK and other wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


# --- the sheets as data ---------------------------------------------------------------------

def _overview(scenario: Scenario, roster: RosterTables) -> Sheet:
    rows = tuple((c.title, c.residents, c.fully_served, c.visits_demanded, c.visits_scheduled,
                  round(c.share, 4), c.members_demanded, c.members_paired)
                 for c in station_coverage(scenario, roster))
    return Sheet(OVERVIEW, ("服务站 Station", "居民 Residents", "全部满足 Fully served",
                            "需求次数 Visits asked", "已排次数 Visits scheduled", "覆盖率 Coverage",
                            "团队需求 Team members asked", "已配对 Members paired"),
                 rows, freeze="B2", percent_columns=(6,))


def _station_sheet(scenario: Scenario, roster: RosterTables, naming: Naming,
                   group: StationGroup) -> Sheet:
    rows = []
    for resident in group.residents:
        # One visit, one team member per line: easier to read than a long line with semicolons.
        team = "\n".join(_person(naming.volunteer(v), v) for v in roster.team(resident.id))
        for need in resident.needs:
            visits = ordered(v for v in roster.visits_of(resident.id) if v.service == need.service)
            times = "\n".join(f"{DAY_LABELS[v.day]} {hhmm(v.start)}-{hhmm(v.end)} "
                              f"{'、'.join(naming.volunteer(x) for x in v.volunteers)}" for v in visits)
            reason = "; ".join(u.reason for u in roster.unmet_of(resident.id) if u.service == need.service)
            rows.append((resident.id, resident.name, KIND_LABELS.get(resident.kind, resident.kind),
                         resident.priority, _service(scenario, need.service), need.visits_per_week,
                         len(visits), need.duration_min, times, team, reason))
    return Sheet(group.title, ("居民编号 Resident ID", "居民 Resident", "类别 Kind", "优先级 Priority",
                               "服务 Service", "每周次数 Visits asked", "已排 Scheduled",
                               "时长(分钟) Minutes", "探访时间 Visit times", "团队 Team",
                               "未满足原因 Unmet reason"), tuple(rows))


def _by_volunteer(scenario: Scenario, roster: RosterTables, naming: Naming) -> Sheet:
    order = {v.id: i for i, v in enumerate(scenario.volunteers)}
    rows = []
    attendance = [(vid, visit) for visit in ordered(roster.visits) for vid in visit.volunteers]
    for vid, visit in sorted(attendance, key=lambda item: order[item[0]]):
        others = "; ".join(_person(naming.volunteer(o), o) for o in visit.volunteers if o != vid)
        rows.append((vid, naming.volunteer(vid), *_when(scenario, visit), visit.resident,
                     naming.resident(visit.resident), _service(scenario, visit.service),
                     naming.area(visit.resident), others))
    return Sheet(BY_VOLUNTEER, ("志愿者编号 Volunteer ID", "志愿者 Volunteer", *_WHEN_HEADERS,
                                "居民编号 Resident ID", "居民 Resident", "服务 Service",
                                "服务站 Station", "同行志愿者 Together with"), tuple(rows))


def _by_day(scenario: Scenario, roster: RosterTables, naming: Naming) -> Sheet:
    rows = tuple((*_when(scenario, visit), naming.area(visit.resident), visit.resident,
                  naming.resident(visit.resident), _service(scenario, visit.service),
                  "; ".join(_person(naming.volunteer(v), v) for v in visit.volunteers))
                 for visit in ordered(roster.visits))
    return Sheet(BY_DAY, (*_WHEN_HEADERS, "服务站 Station", "居民编号 Resident ID", "居民 Resident",
                          "服务 Service", "志愿者 Volunteers"), rows)


def _unmet(scenario: Scenario, roster: RosterTables, naming: Naming) -> Sheet:
    rows = tuple((u.resident, naming.resident(u.resident), naming.area(u.resident),
                  _service(scenario, u.service), u.visits_missing, u.members_missing, u.reason)
                 for u in roster.unmet)
    return Sheet(UNMET, ("居民编号 Resident ID", "居民 Resident", "服务站 Station", "服务 Service",
                         "缺少次数 Visits missing", "缺少成员 Members missing", "原因 Reason"), rows)


_WHEN_HEADERS = ("星期 Day", "日期 Date", "开始 Start", "结束 End", "时长(分钟) Minutes")


def _when(scenario: Scenario, visit: VisitRow) -> tuple[Cell, ...]:
    # The date is text (ISO), not an Excel date: it sorts correctly and needs no number format.
    return (DAY_LABELS[visit.day], day_date(scenario.week_of, visit.day).isoformat(),
            hhmm(visit.start), hhmm(visit.end), visit.end - visit.start)


def _person(name: str, entity_id: str) -> str:
    return f"{name} ({entity_id})"


def _service(scenario: Scenario, service_id: str) -> str:
    return f"{scenario.service(service_id).name} ({service_id})"


# --- rendering ------------------------------------------------------------------------------

def _render(sheets: list[Sheet], scenario: Scenario) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for sheet in sheets:
        _write_sheet(workbook.create_sheet(sheet_name(sheet.title, taken)), sheet)
    # openpyxl stamps the current time into the document properties and every zip entry;
    # the roster's week stands in for both so that re-exports are byte-identical.
    stamp = dt.datetime.combine(scenario.week_of, dt.time())
    properties = workbook.properties
    properties.creator = properties.lastModifiedBy = "matcher"
    properties.title = _text(scenario.name)
    properties.created = stamp
    buffer = io.BytesIO()
    workbook.save(buffer)
    properties.modified = stamp
    return _fixed_zip(buffer.getvalue(), stamp, tostring(properties.to_tree()))


def _write_sheet(worksheet, sheet: Sheet) -> None:
    # A bilingual header wraps to two lines, Chinese above English, so a column need only be
    # as wide as the longer of the two, not the whole header.
    widths = [max(display_width(part) for part in h.split(" ", 1)) for h in sheet.headers]
    for row in sheet.rows:
        widths = [max(w, _cell_width(v)) for w, v in zip(widths, row, strict=True)]
    widths = [min(width, WIDTH_MAX) for width in widths]
    wraps = [any(_cell_width(row[c]) > widths[c] or "\n" in str(row[c]) for row in sheet.rows)
             for c in range(len(widths))]
    for column, (header, width) in enumerate(zip(sheet.headers, widths, strict=True), start=1):
        cell = _put(worksheet, 1, column, header)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP
        worksheet.column_dimensions[get_column_letter(column)].width = width + 2
    worksheet.row_dimensions[1].height = 2 * LINE_HEIGHT
    for row_number, row in enumerate(sheet.rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = _put(worksheet, row_number, column, value)
            # Top-aligned, so that a row made tall by wrapped text still reads as one line.
            cell.alignment = (_WRAP if wraps[column - 1] else _TOP if isinstance(value, str)
                              else _NUMBER)
            if column in sheet.percent_columns:
                cell.number_format = "0.0%"
        # Spreadsheets differ in whether they fit a row to wrapped text on opening; an
        # explicit height shows every line everywhere.
        lines = max(_lines(value, width) for value, width in zip(row, widths, strict=True))
        if lines > 1:
            worksheet.row_dimensions[row_number].height = lines * LINE_HEIGHT
    last = get_column_letter(len(sheet.headers))
    worksheet.freeze_panes = sheet.freeze
    worksheet.auto_filter.ref = f"A1:{last}{len(sheet.rows) + 1}"
    worksheet.print_title_rows = "1:1"
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.paperSize = worksheet.PAPERSIZE_A4
    worksheet.page_setup.fitToWidth, worksheet.page_setup.fitToHeight = 1, 0
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True


def _cell_width(value: Cell) -> int:
    return max(display_width(line) for line in str(value).split("\n"))


def _lines(value: Cell, width: int) -> int:
    """Lines a cell takes when wrapped at `width` (an estimate: breaks may fall mid-word)."""
    return sum(max(1, -(-display_width(line) // width)) for line in str(value).split("\n"))


def _put(worksheet, row: int, column: int, value: Cell):
    cell = worksheet.cell(row=row, column=column)
    if isinstance(value, str):
        text = _text(value)
        cell.value = text
        # openpyxl turns any string starting with '=' into a formula; force it back to text,
        # and mark formula-like text with the quote prefix so an edit keeps it text too.
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _text(value: str) -> str:
    # Control characters make an .xlsx that Excel refuses to open.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _fixed_zip(data: bytes, stamp: dt.datetime, core_properties: bytes) -> bytes:
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = core_properties if info.filename == _CORE_PROPERTIES else source.read(info)
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0  # the same bytes whatever system writes them
            target.writestr(entry, payload)
    return out.getvalue()
