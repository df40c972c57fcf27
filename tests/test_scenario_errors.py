"""Every kind of bad input is refused with a message naming file, line, entity and field."""

from __future__ import annotations

import textwrap

import pytest

from matcher.errors import ScenarioError
from matcher.scenario import parse_scenario

BASE = textwrap.dedent("""\
    format: matcher/v1
    name: 测试社区
    week_of: 2026-12-07
    services:
      companionship: {name: 陪伴探访, skills: []}
      rehab: {name: 康复训练, skills: [rehab]}
    stations:
      - {id: S01, name: 文化路社区服务站, lat: 39.63, lon: 118.18}
    organizations:
      - {id: ORG1, name: 志愿服务队}
    residents:
      - id: R01
        name: 张秀兰
        kind: senior
        lat: 39.632
        lon: 118.181
        station: S01
        team_size: 2
        needs:
          - service: companionship
            duration_min: 60
            windows: [Mon-Fri 09:00-11:30]
    volunteers:
      - id: V01
        name: 刘桂芳
        lat: 39.631
        lon: 118.183
        organization: ORG1
        availability: [Mon-Sat 08:30-12:00]
    current:
      - {resident: R01, volunteer: V01}
    """)


def problems_of(text: str, files: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "x.yaml", files=files)
    return [str(problem) for problem in caught.value.problems]


def test_base_scenario_is_valid():
    scenario = parse_scenario(BASE, "x.yaml")
    assert [r.id for r in scenario.residents] == ["R01"]
    assert scenario.residents[0].needs[0].windows[0].start == 9 * 60


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # malformed YAML
        ("name: 测试社区", "name: [测试社区", "x.yaml:3: not valid YAML: expected ',' or ']', but got ':'"),
        # wrong format
        ("format: matcher/v1", "format: matcher/v2",
         "x.yaml:1: format: 'matcher/v2' is not a supported format (expected 'matcher/v1')"),
        # missing required top-level key
        ("name: 测试社区\n", "", "x.yaml:1: name: is required but missing"),
        # unknown top-level key with a hint
        ("week_of:", "weekof: 2026-12-07\nweek_of:",
         "x.yaml:3: weekof: unknown top-level key (did you mean 'week_of'?)"),
        # missing required entity field
        ("    name: 刘桂芳\n", "", "x.yaml:24: volunteer V01: name: is required but missing"),
        # wrong types
        ("lat: 39.632", "lat: north", "x.yaml:15: resident R01: lat: 'north' is not a number"),
        ("team_size: 2", "team_size: two",
         "x.yaml:18: resident R01: team_size: 'two' is not a whole number"),
        ("team_size: 2", "team_size: 1.5",
         "x.yaml:18: resident R01: team_size: 1.5 is not a whole number"),
        ("availability: [Mon-Sat 08:30-12:00]", "availability: {Mon: morning}",
         "x.yaml:29: volunteer V01: availability: {'Mon': 'morning'} is not a list"),
        # unknown entity key with a hint
        ("    station: S01\n", "    staton: S01\n",
         "x.yaml:17: resident R01: staton: unknown field (did you mean 'station'?)"),
        # duplicate ids
        ("current:", "  - {id: V01, name: 又一个, lat: 39.6, lon: 118.1, availability: [Mon 09:00-10:00]}\n"
         "current:",
         "x.yaml:30: volunteer V01: id: 'V01' is used twice (first at x.yaml:24)"),
        # dangling references
        ("station: S01\n    team", "station: S09\n    team",
         "x.yaml:12: resident R01: station: 'S09' is not a known station id (did you mean 'S01'?)"),
        ("organization: ORG1", "organization: ORG7",
         "x.yaml:24: volunteer V01: organization: 'ORG7' is not a known organization id "
         "(did you mean 'ORG1'?)"),
        ("service: companionship", "service: companionshp",
         "x.yaml:12: resident R01: needs[0].service: 'companionshp' is not a known service id "
         "(did you mean 'companionship'?)"),
        ("    station: S01\n", "    station: S01\n    exclude_volunteers: [V99]\n",
         "x.yaml:12: resident R01: exclude_volunteers[0]: 'V99' is not a known volunteer id"),
        ("{resident: R01, volunteer: V01}", "{resident: R02, volunteer: V01}",
         "x.yaml:31: current pair R02-V01: resident: 'R02' is not a known resident id "
         "(did you mean 'R01'?)"),
        # bad windows
        ("windows: [Mon-Fri 09:00-11:30]", "windows: [Mon-Fri 09:00-11:30, Mon 25:00-26:00]",
         "x.yaml:22: resident R01: needs[0].windows[1]: 'Mon 25:00-26:00' is not a time window: "
         "'25:00' is not a time of day (expected like 'Mon-Fri 09:00-11:30')"),
        ("windows: [Mon-Fri 09:00-11:30]", "windows: [Mon 11:30-09:00]",
         "x.yaml:22: resident R01: needs[0].windows[0]: 'Mon 11:30-09:00' is not a time window: "
         "ends before it starts (expected like 'Mon-Fri 09:00-11:30')"),
        ("availability: [Mon-Sat 08:30-12:00]", "availability: [Mon-Fir 08:30-12:00]",
         "x.yaml:29: volunteer V01: availability[0]: 'Mon-Fir 08:30-12:00' is not a time window: "
         "'Fir' is not a day (expected one of Mon, Tue, Wed, Thu, Fri, Sat, Sun) "
         "(expected like 'Mon-Fri 09:00-11:30')"),
        ("windows: [Mon-Fri 09:00-11:30]", "windows: [mornings]",
         "x.yaml:22: resident R01: needs[0].windows[0]: 'mornings' is not a time window "
         "(expected like 'Mon-Fri 09:00-11:30')"),
        # lat/lon out of range
        ("lon: 118.183", "lon: 218.183",
         "x.yaml:27: volunteer V01: lon: 218.183 must be at most 180 and at least -180"),
        ("lat: 39.632", "lat: -91",
         "x.yaml:15: resident R01: lat: -91 must be at least -90 and at most 90"),
        # zero or negative capacities
        ("    organization: ORG1\n", "    organization: ORG1\n    max_residents: 0\n",
         "x.yaml:29: volunteer V01: max_residents: 0 must be at least 1"),
        ("    organization: ORG1\n", "    organization: ORG1\n    max_hours_per_week: -2\n",
         "x.yaml:29: volunteer V01: max_hours_per_week: -2 must be greater than 0"),
        ("    organization: ORG1\n", "    organization: ORG1\n    max_distance_km: 0\n",
         "x.yaml:29: volunteer V01: max_distance_km: 0 must be greater than 0"),
        ("team_size: 2", "team_size: 0", "x.yaml:18: resident R01: team_size: 0 must be at least 1"),
        # volunteers_per_visit > team_size
        ("duration_min: 60", "duration_min: 60\n        volunteers_per_visit: 3",
         "x.yaml:12: resident R01: needs[0].volunteers_per_visit: 3 is more than team_size 2 "
         "(expected at most team_size)"),
        # unknown travel mode
        ("    organization: ORG1\n", "    organization: ORG1\n    travel: jetpack\n",
         "x.yaml:29: volunteer V01: travel: 'jetpack' is not one of bike, drive, walk"),
        # bad dates
        ("week_of: 2026-12-07", "week_of: 2026-12-32",
         "x.yaml:3: week_of: '2026-12-32' is not a date (expected an ISO date like 2026-12-07)"),
        ("week_of: 2026-12-07", "week_of: 2026-12-09",
         "x.yaml:3: week_of: '2026-12-09' is a Wednesday (expected the Monday the roster week starts)"),
        ("    organization: ORG1\n", "    organization: ORG1\n    background_check_until: 2027-02-30\n",
         "x.yaml:29: volunteer V01: background_check_until: '2027-02-30' is not a date "
         "(expected an ISO date like 2026-12-07)"),
        # a kind or gender outside the list
        ("kind: senior", "kind: elder",
         "x.yaml:14: resident R01: kind: 'elder' is not one of senior, child"),
        # visits on distinct days: more than seven cannot be
        ("duration_min: 60", "duration_min: 60\n        visits_per_week: 8",
         "x.yaml:22: resident R01: needs[0].visits_per_week: 8 must be at most 7 and at least 1"),
        # duplicate keys in one mapping
        ("kind: senior", "kind: senior\n    kind: child",
         "x.yaml:15: key 'kind' appears twice in one mapping"),
        # a need listed twice for one service
        ("        windows: [Mon-Fri 09:00-11:30]\n",
         "        windows: [Mon-Fri 09:00-11:30]\n"
         "      - {service: companionship, duration_min: 30, windows: [Sat 09:00-10:00]}\n",
         "x.yaml:12: resident R01: needs[1].service: 'companionship' is listed twice "
         "(give one need per service; the roster reports needs by service)"),
    ],
)
def test_bad_input_message(old: str, new: str, expected: str):
    assert old in BASE, old
    assert expected in problems_of(BASE.replace(old, new, 1))


def test_all_problems_are_reported_together():
    text = (BASE.replace("lat: 39.632", "lat: north")
            .replace("organization: ORG1", "organization: ORG7")
            .replace("weekof", "weekof"))
    text = text.replace("format: matcher/v1", "format: matcher/v1\ncolour: red")
    found = problems_of(text)
    assert len(found) == 3
    assert found[0].startswith("x.yaml:2: colour: unknown top-level key")


def test_id_that_yaml_reads_as_a_number_keeps_its_digits():
    scenario = parse_scenario(BASE.replace("id: R01", "id: 007").replace("resident: R01",
                                                                          "resident: '007'"), "x.yaml")
    assert scenario.residents[0].id == "007"


def test_id_that_a_spreadsheet_would_run_is_refused():
    assert ("x.yaml:24: volunteer =cmd: id: '=cmd' may not start with '=', '+', '-' or '@' "
            "(a spreadsheet would run it as a formula)") in problems_of(
        BASE.replace("id: V01", "id: '=cmd'"))


RESIDENTS_CSV = (
    "\ufeffid,name,kind,lat,lon,station,priority,team_size,require_gender,require_languages,"
    "prefer_gender,prefer_languages,exclude_volunteers\n"
    "R01,张秀兰,senior,39.632,118.181,S01,2,1,female,tangshan_dialect;putonghua,,,\n"
    "R02,李小雨,child,39.633,118.180,S01,,,,,,,\n"
)
NEEDS_CSV = (
    "resident,service,visits_per_week,duration_min,volunteers_per_visit,windows\n"
    "R01,companionship,2,60,,Mon-Fri 09:00-11:30;Sat 09:00-10:00\n"
    "R02,rehab,1,45,1,Sat 09:00-12:00\n"
)
VOLUNTEERS_CSV = (
    "id,name,lat,lon,gender,skills,languages,organization,station,availability,"
    "max_hours_per_week,max_residents,max_distance_km,travel,background_check_until\n"
    "V01,刘桂芳,39.631,118.183,female,rehab;first_aid,putonghua,ORG1,S01,"
    "Mon-Sat 08:30-12:00,5,,,bike,2027-06-30\n"
)


def csv_scenario(residents=RESIDENTS_CSV, needs=NEEDS_CSV, volunteers=VOLUNTEERS_CSV):
    text = BASE.split("residents:")[0] + textwrap.dedent("""\
        residents: {file: residents.csv, needs: needs.csv}
        volunteers: {file: tables/volunteers.csv}
        """)
    files = {"residents.csv": residents, "needs.csv": needs, "tables/volunteers.csv": volunteers}
    return text, files


def test_csv_tables_are_read_with_defaults_and_lists():
    text, files = csv_scenario()
    scenario = parse_scenario(text, "x.yaml", files=files)
    first, second = scenario.residents
    assert first.require.languages == ("tangshan_dialect", "putonghua")
    assert first.priority == 2 and second.priority == 1 and second.team_size == 1
    assert [str(w) for w in first.needs[0].windows][-1] == "Sat 09:00-10:00"
    volunteer = scenario.volunteers[0]
    assert volunteer.skills == ("rehab", "first_aid")
    assert volunteer.max_residents == 2 and volunteer.max_distance_km == 3.0
    assert volunteer.travel == "bike"


@pytest.mark.parametrize(
    ("table", "old", "new", "expected"),
    [
        ("volunteers", "V01,刘桂芳,39.631", "V01,刘桂芳,abc",
         "tables/volunteers.csv:2: volunteer V01: lat: 'abc' is not a number"),
        ("volunteers", "max_hours_per_week,", "max_hour_per_week,",
         "tables/volunteers.csv:1: max_hour_per_week: unknown column (did you mean "
         "'max_hours_per_week'?)"),
        ("volunteers", "id,name,lat,lon,", "id,name,lon,",
         "tables/volunteers.csv:1: lat: missing column"),
        ("needs", "Sat 09:00-12:00", "Sat 09:00-12:60",
         "needs.csv:3: resident R02: windows[0]: 'Sat 09:00-12:60' is not a time window: "
         "'12:60' is not a time of day (expected like 'Mon-Fri 09:00-11:30')"),
        ("needs", "R02,rehab", "R03,rehab",
         "needs.csv:3: need of resident R03: resident: 'R03' is not a resident id in the "
         "residents table"),
        ("residents", ",S01,,,,,,,", ",S01,9,,,,,,",
         "residents.csv:3: resident R02: priority: '9' must be at most 5 and at least 1"),
    ],
)
def test_csv_problems_name_file_and_row(table, old, new, expected):
    tables = {"residents": RESIDENTS_CSV, "needs": NEEDS_CSV, "volunteers": VOLUNTEERS_CSV}
    assert old in tables[table]
    tables[table] = tables[table].replace(old, new, 1)
    text, files = csv_scenario(**tables)
    assert expected in problems_of(text, files)


def test_a_cell_repeated_down_a_table_is_reported_on_every_row_and_read_the_same():
    row = VOLUNTEERS_CSV.splitlines()[1]
    rows = [row.replace("V01", f"V0{n}") for n in (1, 2, 3)]
    rows[1] = rows[1].replace("Mon-Sat 08:30-12:00", "Mon-Sat 08:30-25:00")
    rows[2] = rows[2].replace("Mon-Sat 08:30-12:00", "Mon-Sat 08:30-25:00")
    header = VOLUNTEERS_CSV.splitlines()[0]
    text, files = csv_scenario(volunteers="\n".join([header, *rows, rows[0].replace("V01", "V04")]) + "\n")
    bad = [p for p in problems_of(text, files) if "availability" in p]
    assert [p.split(": availability")[0] for p in bad] == [
        "tables/volunteers.csv:3: volunteer V02", "tables/volunteers.csv:4: volunteer V03"]
    good_text, good_files = csv_scenario(volunteers="\n".join([header, rows[0], rows[0].replace(
        "V01", "V04")]) + "\n")
    first, second = parse_scenario(good_text, "x.yaml", files=good_files).volunteers
    assert first.availability == second.availability and first.skills == second.skills
    assert str(first.availability[0]) == "Mon 08:30-12:00"


def test_missing_csv_file_is_named():
    text, files = csv_scenario()
    del files["tables/volunteers.csv"]
    assert ("x.yaml:12: volunteers.file: file 'tables/volunteers.csv' does not exist"
            in problems_of(text, files))


def test_current_accepts_an_earlier_assignments_table():
    text = BASE.replace("current:\n  - {resident: R01, volunteer: V01}\n",
                        "current: {file: assignments.csv}\n")
    assignments = ("\ufeffresident_id,resident_name,volunteer_id,volunteer_name,station_id,"
                   "distance_km,incumbent\nR01,张秀兰,V01,刘桂芳,S01,0.22,false\n")
    scenario = parse_scenario(text, "x.yaml", files={"assignments.csv": assignments})
    assert [(p.resident, p.volunteer) for p in scenario.current] == [("R01", "V01")]


def test_config_file_is_merged_and_checked():
    text = BASE.replace("week_of: 2026-12-07", "week_of: 2026-12-07\nconfig: c.yaml")
    config = "weights: {distance_km: 2}\ntravel: {speed_kmh: {ebike: 18}}\n"
    scenario = parse_scenario(text, "x.yaml", files={"c.yaml": config})
    assert scenario.config.weights.distance_km == 2
    assert scenario.config.weights.unmet_visit == 1000
    assert scenario.config.travel.speed("ebike") == 18
    assert scenario.config.travel.speed("walk") == 4.5
    bad = "weights: {distance: 2}\nsolver: {workers: 0}\n"
    found = problems_of(text, {"c.yaml": bad})
    assert "c.yaml:1: config: weights.distance: unknown setting (did you mean 'distance_km'?)" in found
    assert "c.yaml:2: config: solver.workers: 0 must be a whole number at least 1" in found


def test_yaml_tags_that_would_run_code_are_refused():
    text = BASE.replace("name: 测试社区", "name: !!python/object/apply:os.system ['echo hi']")
    assert ("x.yaml:2: not valid YAML here: tag '!!python/object/apply:os.system' is not allowed "
            "(plain values, lists and mappings only)") in problems_of(text)
