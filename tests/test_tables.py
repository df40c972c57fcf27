"""A volunteers table read column by column gives what reading it row by row gives."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from matcher.errors import ScenarioError
from matcher.scenario import parse as parse_module
from matcher.scenario.model import Config
from matcher.scenario.parse import VOLUNTEER_FIELD_ORDER, parse_scenario, volunteer_fields
from tests.test_scenario_errors import csv_scenario

# Cells a coordinator's spreadsheet might hold in each column: good, padded, empty, wrong.
CELLS = {
    "name": ["刘桂芳", " 王芳 ", "Ann Lee", ""],
    "lat": ["39.631", " 39.6305", "39.64 ", "abc", "", "95"],
    "lon": ["118.183", "118.19", " 118.2 ", "", "east"],
    "gender": ["", "female", " male", " ", "robot"],
    "skills": ["", "rehab", "rehab; first_aid", " ; ", "first_aid;"],
    "languages": ["", "putonghua", "putonghua;tangshan_dialect"],
    "organization": ["", "ORG1", " ORG1 ", "=SUM(A1)"],
    "station": ["", "S01"],
    "availability": ["Mon-Sat 08:30-12:00", " Sat 09:00-11:00 ; Mon 14:00-15:00", "",
                     "Mon 25:00-26:00", "Mon-Fri 09:00-10:00;Mon-Fri 09:30-11:00"],
    "max_hours_per_week": ["", "5", "2.5", "  ", "0", "x"],
    "max_residents": ["", "1", "3", "1.5"],
    "max_distance_km": ["", "2", " 4.5"],
    "travel": ["", "bike", "walk", "plane"],
    "background_check_until": ["", "2027-06-30", "2027", " 2028-01-31 "],
}
OPTIONAL = [key for key in CELLS if key not in ("name", "lat", "lon", "availability")]


@st.composite
def volunteer_tables(draw, mostly_good: bool):
    optional = draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=len(OPTIONAL)))
    columns = ["id", "name", "lat", "lon", "availability", *optional]
    rows = []
    for index in range(draw(st.integers(1, 6))):
        cells = [f"V{index:02d}" if draw(st.integers(0, 9)) else f" V{index:02d}"]
        for column in columns[1:]:
            choices = CELLS[column][:2] if mostly_good else CELLS[column]
            cells.append(draw(st.sampled_from(choices)))
        if not mostly_good and draw(st.integers(0, 9)) == 0:
            cells = cells[:-1]  # a row short of the header
        rows.append(",".join(f'"{cell}"' if ";" in cell or "," in cell else cell
                             for cell in cells))
    return ",".join(columns) + "\n" + "\n".join(rows) + "\n"


def _read(table: str):
    text, files = csv_scenario(volunteers=table)
    try:
        scenario = parse_scenario(text, "x.yaml", files=files)
    except ScenarioError as error:
        return "refused", [str(problem) for problem in error.problems]
    return "read", [(volunteer, volunteer.source) for volunteer in scenario.volunteers]


def _both_ways(table: str, monkeypatch):
    columns = _read(table)
    with monkeypatch.context() as patch:
        patch.setattr(parse_module, "convert_columns", lambda table, schema: None)
        rows = _read(table)
    return columns, rows


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.booleans().flatmap(lambda good: volunteer_tables(good)))
def test_a_table_read_by_columns_is_the_table_read_by_rows(table, monkeypatch):
    columns, rows = _both_ways(table, monkeypatch)
    assert columns == rows
    event(columns[0])  # both outcomes are drawn: read and refused


def test_the_column_reading_is_taken_for_a_good_table_and_left_for_a_bad_one(monkeypatch):
    good = "id,name,lat,lon,availability,skills\nV01,刘桂芳,39.631,118.183,Sat 09:00-11:00,rehab\n"
    bad = good.replace("39.631", "abc")
    taken = []
    original = parse_module.convert_columns

    def spy(table, schema):
        values = original(table, schema)
        taken.append(values is not None)
        return values

    monkeypatch.setattr(parse_module, "convert_columns", spy)
    assert _read(good)[0] == "read"
    outcome, problems = _read(bad)
    assert taken == [True, False]
    assert outcome == "refused"
    assert problems == ["tables/volunteers.csv:2: volunteer V01: lat: 'abc' is not a number"]


def test_volunteers_take_their_fields_in_the_order_the_table_reading_gives():
    assert set(VOLUNTEER_FIELD_ORDER) == set(volunteer_fields(Config()))


@pytest.mark.parametrize("rows", [0, 1])
def test_a_table_of_no_or_one_volunteer_reads(rows, monkeypatch):
    table = "id,name,lat,lon,availability\n" + "V01,刘桂芳,39.631,118.183,Sat 09:00-11:00\n" * rows
    columns, by_rows = _both_ways(table, monkeypatch)
    assert columns == by_rows
