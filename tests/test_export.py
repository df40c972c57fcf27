"""Exports of a roster folder: workbook, printable page, calendars, redaction, the command."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import re
import shutil
import zipfile
from pathlib import Path

import icalendar
import openpyxl
import pytest

import matcher
from matcher.export import FORMATS, ExportError, add_export_command, export_files
from matcher.export.formats import parse_formats
from matcher.export.redact import NEUTRAL_SERVICE, is_health_related, mask_name
from matcher.export.xlsx import BY_DAY, BY_VOLUNTEER, OVERVIEW, UNMET, display_width, sheet_name
from matcher.output import ROSTER_FILES
from matcher.scenario import read_scenario
from matcher.scenario.model import DAYS, Service

from .scenarios import scenario as make_scenario

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "scenarios" / "tiny" / "scenario.yaml"
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    scenario = read_scenario(TINY)
    folder = matcher.solve(scenario, time_limit_s=10).write(tmp_path_factory.mktemp("tiny") / "roster")
    return scenario, folder


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    scenario = read_scenario(STATION)
    folder = matcher.solve(scenario, time_limit_s=10).write(tmp_path_factory.mktemp("station") / "roster")
    return scenario, folder


@pytest.fixture(scope="module")
def station_files(station):
    scenario, folder = station
    return export_files(scenario, folder, FORMATS)


@pytest.fixture(scope="module")
def station_redacted(station):
    scenario, folder = station
    return export_files(scenario, folder, FORMATS, redact=True)


def visits_csv(folder: Path) -> list[dict[str, str]]:
    with (folder / "visits.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def workbook(files: dict[str, bytes]):
    return openpyxl.load_workbook(io.BytesIO(files["roster.xlsx"]))


# --- roster.xlsx ----------------------------------------------------------------------------

def test_workbook_has_a_sheet_per_station_and_the_cross_sections(tiny):
    scenario, folder = tiny
    book = workbook(export_files(scenario, folder, ["xlsx"]))
    assert book.sheetnames == [OVERVIEW, "S01 文化路社区服务站", BY_VOLUNTEER, BY_DAY, UNMET]
    for sheet in book.worksheets:
        assert sheet.freeze_panes in ("B2", "C2")
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
        headers = [c.value for c in sheet[1]]
        assert all(headers) and all(c.font.bold for c in sheet[1])
    station = book["S01 文化路社区服务站"]
    assert [c.value for c in station[1]][:5] == ["居民编号 Resident ID", "居民 Resident", "类别 Kind",
                                                 "优先级 Priority", "服务 Service"]
    # Chinese characters count double, so the service column fits its widest cell.
    assert station.column_dimensions["E"].width >= display_width("陪伴探访 (companionship)") == 24
    assert station.row_dimensions[1].height == 30  # bilingual headers wrap to two lines
    assert book[BY_DAY].max_row == len(visits_csv(folder)) + 1


def test_a_residents_row_shows_team_and_visit_times(tiny):
    scenario, folder = tiny
    sheet = workbook(export_files(scenario, folder, ["xlsx"]))["S01 文化路社区服务站"]
    headers = [c.value for c in sheet[1]]
    rows = [dict(zip(headers, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    companionship = next(r for r in rows if r["居民编号 Resident ID"] == "R01"
                         and r["服务 Service"] == "陪伴探访 (companionship)")
    assert companionship["居民 Resident"] == "张秀兰"
    assert companionship["团队 Team"] == "刘桂芳 (V01)"
    assert companionship["每周次数 Visits asked"] == 2
    expected = [f"{v['day']} {v['start']}-{v['end']} 刘桂芳" for v in visits_csv(folder)
                if v["resident_id"] == "R01" and v["service"] == "companionship"]
    assert companionship["已排 Scheduled"] == len(expected) == 2
    for text in expected:
        assert text in companionship["探访时间 Visit times"]
    child = next(r for r in rows if r["居民编号 Resident ID"] == "R03")
    assert child["未满足原因 Unmet reason"].startswith("team has 1 of 2 members")


def test_formula_like_names_are_stored_as_text(tmp_path):
    scenario = make_scenario(
        [{"id": "R1", "name": '=HYPERLINK("http://x","y")'}, {"id": "R2", "name": "-2+3", "lat": 39.631}],
        [{"id": "V1", "name": "@SUM(A1)"}, {"id": "V2", "name": "+1", "lon": 118.181}])
    folder = matcher.solve(scenario, time_limit_s=5).write(tmp_path / "roster")
    book = workbook(export_files(scenario, folder, ["xlsx"]))
    values = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                values.add(cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    assert cell.quotePrefix
    assert {'=HYPERLINK("http://x","y")', "-2+3"} <= values  # shown as written, not as 'quoted
    assert "未分配服务站 No station" in book.sheetnames  # residents without a station


def test_sheet_names_are_legal_and_unique():
    taken: set[str] = set()
    first = sheet_name("S1 路北区/文化路:社区[服务站]*? 很长很长很长很长很长很长的名字", taken)
    second = sheet_name("S1 路北区/文化路:社区[服务站]*? 很长很长很长很长很长很长的名字", taken)
    for name in (first, second):
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    assert first != second and second.endswith("~2")
    assert sheet_name("'quoted'", set()) == "quoted"


def test_display_width_counts_cjk_twice():
    assert display_width("abc") == 3
    assert display_width("张秀兰") == 6
    assert display_width("居民 R01") == 8


def test_workbook_bytes_carry_no_clock_time(station_files, station):
    scenario, _ = station
    with zipfile.ZipFile(io.BytesIO(station_files["roster.xlsx"])) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 12, 7, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2026-12-07T00:00:00Z") == 2  # created and modified
    assert scenario.week_of == dt.date(2026, 12, 7)


def test_exports_are_byte_identical(station, station_files):
    scenario, folder = station
    assert export_files(scenario, folder, FORMATS) == station_files


# --- calendars ------------------------------------------------------------------------------

def test_each_volunteer_calendar_holds_their_weekly_visits(station, station_files):
    scenario, folder = station
    visits = visits_csv(folder)
    attending = {vid for v in visits for vid in v["volunteer_ids"].split(";")}
    calendars = {name for name in station_files if name.startswith("calendars/")}
    assert calendars == {f"calendars/{vid}.ics" for vid in attending}
    uids = set()
    for vid in sorted(attending):
        calendar = icalendar.Calendar.from_ical(station_files[f"calendars/{vid}.ics"])
        events = list(calendar.walk("VEVENT"))
        own = [v for v in visits if vid in v["volunteer_ids"].split(";")]
        assert len(events) == len(own)
        expected = sorted((DAYS.index(v["day"]), v["start"], v["end"]) for v in own)
        seen = []
        for event in events:
            start, end = event.decoded("dtstart"), event.decoded("dtend")
            assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
            assert str(start.tzinfo) == "Asia/Shanghai"
            assert 0 <= (start.date() - scenario.week_of).days < 7
            assert start.weekday() == (start.date() - scenario.week_of).days
            # One visit on one date: a series would outlive the roster (see matcher.export.ics).
            assert "rrule" not in event
            seen.append((start.weekday(), f"{start:%H:%M}", f"{end:%H:%M}"))
            uids.add(str(event["uid"]))
            # A place is named by station only: no coordinates anywhere in the event.
            assert not re.search(r"\d+\.\d{4,}", event.to_ical().decode())
        assert sorted(seen) == expected
    assert len(uids) == sum(len(v["volunteer_ids"].split(";")) for v in visits)


def test_calendar_summary_names_service_and_area(tiny):
    scenario, folder = tiny
    files = export_files(scenario, folder, ["ics"])
    event = icalendar.Calendar.from_ical(files["calendars/V01.ics"]).walk("VEVENT")[0]
    first = next(v for v in visits_csv(folder) if "V01" in v["volunteer_ids"].split(";"))
    assert first["resident_id"] == "R01" and first["service"] == "companionship"
    assert str(event["summary"]) == "陪伴探访 · 张秀兰 · 文化路社区服务站"
    assert str(event["location"]) == "文化路社区服务站"
    # Derived from ids only, and hashed: a health-related service id would show in the raw file.
    assert re.fullmatch(r"[0-9a-f]{24}@matcher\.roster", str(event["uid"]))
    assert "张秀兰 (R01)" in str(event["description"])
    assert "calendars/V04.ics" not in files  # no visit, no file


def test_a_calendar_is_for_its_week_and_updates_on_re_import(tiny):
    scenario, folder = tiny
    first = icalendar.Calendar.from_ical(export_files(scenario, folder, ["ics"])["calendars/V01.ics"])
    again = icalendar.Calendar.from_ical(export_files(scenario, folder, ["ics"])["calendars/V01.ics"])
    later_week = dataclasses.replace(scenario, week_of=scenario.week_of + dt.timedelta(days=7))
    later = icalendar.Calendar.from_ical(export_files(later_week, folder, ["ics"])["calendars/V01.ics"])

    def events(calendar):
        return {str(e["uid"]): e.decoded("dtstart") for e in calendar.walk("VEVENT")}

    # The same week exported again keeps its UIDs, so importing it updates the events in place.
    assert events(first) == events(again)
    # Another week's visits are events of their own, dated in that week: a visit the later
    # roster drops is not carried into it.
    assert not set(events(first)) & set(events(later))
    assert sorted(d + dt.timedelta(days=7) for d in events(first).values()) == sorted(events(later).values())


# --- roster.html ----------------------------------------------------------------------------

def test_page_is_self_contained_and_printable(station, station_files):
    scenario, _ = station
    page = station_files["roster.html"].decode("utf-8")
    for banned in ("http://", "https://", "<link", "<script", "src=", "url("):
        assert banned not in page
    assert '<meta charset="utf-8">' in page and '<html lang="zh-CN">' in page
    assert "@page { size: A4" in page and "break-after: page" in page
    assert "Noto Sans CJK SC" in page
    for station_ in scenario.stations:
        assert station_.name in page
    assert page.count('<section class="page') == 1 + len(scenario.stations)
    assert "<svg" in page and page.count("<line") >= len(visits_csv(station[1])) // 10
    for entity in (*scenario.residents, *scenario.volunteers):
        assert f"{entity.lat:.4f}" not in page and f"{entity.lon:.4f}" not in page
    for label in ("周一 Mon", "周日 Sun", "上午 Morning", "晚上 Evening"):
        assert label in page


# --- redaction ------------------------------------------------------------------------------

def test_mask_name_keeps_first_and_last_character():
    assert mask_name("张秀兰") == "张*兰"
    assert mask_name("王伟") == "王*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("李") == "*"


def test_health_related_services_by_id_or_name():
    assert is_health_related(Service("rehab", "康复训练"))
    assert is_health_related(Service("sign_language", "手语陪伴"))
    assert is_health_related(Service("clinic_trip", "就医陪护"))
    assert is_health_related(Service("checkup", "医疗巡诊"))
    assert not is_health_related(Service("companionship", "陪伴探访"))


def test_redacted_volunteer_files_hide_names_and_health(station, station_redacted):
    scenario, _ = station
    facing = {name: data.decode("utf-8") for name, data in station_redacted.items()
              if name.endswith((".ics", ".html"))}
    # Undo iCalendar line folding so that a name split across two lines is still found.
    facing = {name: text.replace("\r\n ", "") for name, text in facing.items()}
    fixed_text = " ".join([scenario.name, *(s.name for s in scenario.stations)])
    health = [s for s in scenario.services if is_health_related(s)]
    assert {s.id for s in health} >= {"rehab", "escort", "sign_language"}
    names = [p.name for p in (*scenario.residents, *scenario.volunteers) if p.name not in fixed_text]
    for name, text in facing.items():
        for service in health:
            assert service.id not in text, (name, service.id)
            assert service.name not in text, (name, service.name)
        for person in names:
            assert person not in text, (name, person)
    page = facing["roster.html"]
    assert "<svg" not in page  # no map of homes in the copy for volunteers
    assert mask_name(scenario.residents[0].name) in page
    assert any(NEUTRAL_SERVICE in text for name, text in facing.items() if name.endswith(".ics"))
    # The coordinator's workbook stays complete.
    assert station_redacted["roster.xlsx"] == export_files(scenario, station[1], ["xlsx"])["roster.xlsx"]


# --- reading and the command ----------------------------------------------------------------

def test_formats_are_parsed_and_checked():
    assert parse_formats("xlsx, HTML,ics,xlsx") == ("xlsx", "html", "ics")
    with pytest.raises(ValueError, match="'pdf'"):
        parse_formats("xlsx,pdf")
    with pytest.raises(ValueError, match="no export format"):
        parse_formats(" , ")


def test_csv_format_adds_nothing(tiny):
    scenario, folder = tiny
    assert export_files(scenario, folder, ["csv"]) == {}


def test_a_roster_of_another_scenario_is_refused(tiny, station):
    scenario, _ = station
    with pytest.raises(ExportError, match="is not in the scenario"):
        export_files(scenario, tiny[1], ["html"])


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="matcher")
    add_export_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_command_writes_into_the_roster_folder_and_keeps_its_files(tiny, tmp_path, capsys):
    folder = tmp_path / "roster"
    shutil.copytree(tiny[1], folder)
    before = snapshot(folder)
    assert command(["export", str(folder), "--scenario", str(TINY)]) == 0
    after = snapshot(folder)
    assert {name: after[name] for name in before} == before
    assert {"roster.xlsx", "roster.html", "calendars/V01.ics"} <= set(after)
    assert f"to {folder.resolve()}" in capsys.readouterr().out


def test_command_to_another_folder_with_csv_copies_the_roster(tiny, tmp_path):
    out = tmp_path / "for-print"
    assert command(["export", str(tiny[1]), "--scenario", str(TINY), "--formats", "csv,html",
                    "--redact", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*ROSTER_FILES, "roster.html"])
    assert "张*兰" in (out / "roster.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("change", "formats", "message"), [
    ("visits.csv", "xlsx,html,ics", "visits.csv: file does not exist"),
    (None, "xlsx,pdf", "unknown export format 'pdf'"),
    ("bad-day", "xlsx", "visits.csv:2: row 2: day: 'Someday' is not a day"),
])
def test_command_refuses_bad_input_and_writes_nothing(tiny, tmp_path, capsys, change, formats, message):
    folder = tmp_path / "roster"
    shutil.copytree(tiny[1], folder)
    if change == "visits.csv":
        (folder / "visits.csv").unlink()
    elif change == "bad-day":
        path = folder / "visits.csv"
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        first = lines[1].split(",")
        first[2] = "Someday"
        lines[1] = ",".join(first)
        path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    before = snapshot(folder)
    siblings = sorted(p.name for p in tmp_path.iterdir())
    assert command(["export", str(folder), "--scenario", str(TINY), "--formats", formats]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == siblings


def test_command_reports_a_missing_scenario(tiny, tmp_path, capsys):
    assert command(["export", str(tiny[1]), "--scenario", str(tmp_path / "nope.yaml"),
                    "-o", str(tmp_path / "out")]) == 2
    assert "nope.yaml" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
