"""The independent roster checker: a hand-checkable scenario, its correct roster, and broken
variants that must each be caught with the right rule code and words.

The numbers of the scenario are chosen so that every distance and travel time can be checked
by hand. Every point lies on the meridian 118.18 E, so the haversine distance is simply
6371.0088 km x the latitude difference in radians, and the config's detour factor is 2:

    one step of 0.0045 deg latitude = 6371.0088 x 0.0045 x pi / 180 = 0.50038 km, x 2 = 1.0008 km
    walking at 6 km/h, one step takes 1.0008 / 6 x 60 = 10.008 min; by bike (12 km/h) 5.004 min

    39.6345  R2, V1          (R1 is one step south of R2)
    39.6300  R1, V2
    39.6255  R3, V3, V4      (two steps south of R2)
"""

from __future__ import annotations

import ast
import copy
import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from matcher.check import Violation, check_roster, format_report
from matcher.check.geometry import haversine_km
from matcher.scenario.model import (
    Config,
    Need,
    Pair,
    Resident,
    Scenario,
    Service,
    Station,
    Travel,
    Volunteer,
    Wishes,
)
from matcher.scenario.windows import parse_windows

ASSIGNMENTS, VISITS, UNMET, SUMMARY = "assignments.csv", "visits.csv", "unmet.csv", "summary.json"
HEADERS = {
    ASSIGNMENTS: [
        "resident_id",
        "resident_name",
        "volunteer_id",
        "volunteer_name",
        "station_id",
        "distance_km",
        "incumbent",
    ],
    VISITS: ["resident_id", "service", "day", "start", "end", "volunteer_ids"],
    UNMET: ["resident_id", "service", "visits_missing", "members_missing", "reason"],
}
LON = 118.18
CONFIG = Config(travel=Travel(detour_factor=2.0, speed_kmh=(("walk", 6.0), ("bike", 12.0), ("drive", 25.0))))


def need(service: str, duration: int, windows: list[str], per_week: int = 1, per_visit: int = 1) -> Need:
    return Need(service, duration, parse_windows(windows), per_week, per_visit)


def volunteer(vid: str, name: str, lat: float, availability: list[str], **fields) -> Volunteer:
    defaults = {"max_hours_per_week": 4, "max_residents": 2, "max_distance_km": 3, "travel": "walk"}
    return Volunteer(vid, name, lat, LON, parse_windows(availability), **{**defaults, **fields})


def scenario() -> Scenario:
    return Scenario(
        name="文化路社区 测试周",
        week_of=dt.date(2026, 12, 7),  # a Monday
        config=CONFIG,
        services=(
            Service("meal", "送餐"),
            Service("nursing", "护理", ("nursing", "first_aid")),
            Service("tutoring", "辅导", ("tutoring",)),
        ),
        stations=(Station("S1", "文化路站", 39.63, LON),),
        residents=(
            Resident(
                "R1",
                "王奶奶",
                "senior",
                39.6300,
                LON,
                needs=(
                    need("meal", 60, ["Mon-Fri 09:00-17:00"], per_week=2),
                    need("nursing", 30, ["Wed 13:00-17:00"], per_visit=2),
                ),
                station="S1",
                team_size=3,
                # At least one language in common is enough: V4 speaks only putonghua.
                require=Wishes("female", ("tangshan_dialect", "putonghua")),
            ),
            Resident(
                "R2", "李爷爷", "senior", 39.6345, LON, needs=(need("meal", 60, ["Mon 09:00-16:00"], 2),)
            ),
            Resident(
                "R3",
                "小明",
                "child",
                39.6255,
                LON,
                needs=(need("tutoring", 60, ["Sat 09:00-12:00"]),),
                team_size=2,
            ),
        ),
        volunteers=(
            volunteer(
                "V1",
                "张阿姨",
                39.6345,
                ["Mon-Fri 08:00-18:00"],
                gender="female",
                skills=("nursing",),
                languages=("tangshan_dialect",),
            ),
            volunteer(
                "V2",
                "刘姐",
                39.6300,
                ["Wed 13:00-15:00"],
                travel="bike",
                gender="female",
                skills=("first_aid",),
                languages=("tangshan_dialect",),
            ),
            volunteer(
                "V3",
                "赵老师",
                39.6255,
                ["Sat 09:00-12:00"],
                gender="male",
                skills=("tutoring",),
                languages=("putonghua",),
                background_check_until=dt.date(2027, 6, 30),
            ),
            volunteer(
                "V4",
                "陈姐",
                39.6255,
                ["Mon-Fri 08:00-18:00"],
                travel="bike",
                gender="female",
                languages=("putonghua",),
            ),
        ),
        current=(Pair("R1", "V1"), Pair("R3", "V3")),
    )


# The correct roster. Why it is valid, by hand:
#   H1  R1-V1 and R1-V4 are 1.0008 km, the others 0 km; every cap is 3 km.
#   H5  V1 on Mon: R1 until 10:00, R2 from 10:30; 30 min >= 10.008 min walking one step.
#   H6  V1: 60 + 30 + 60 = 150 min of visits; travel base->resident and back is 2 x 10.008 for
#       each of the two R1 visits and 0 for R2 (same place): 150 + 40.03 = 190.03 <= 240.
#   H4  nursing needs nursing + first_aid: V1 brings one, V2 the other.
#   unmet: R2 meal has 1 of 2 visits (its only window is Monday); R3 has 1 of team_size 2.
CORRECT_ASSIGNMENTS = [
    ["R1", "王奶奶", "V1", "张阿姨", "S1", "1.00", "true"],
    ["R1", "王奶奶", "V2", "刘姐", "S1", "0.00", "false"],
    ["R1", "王奶奶", "V4", "陈姐", "S1", "1.00", "false"],
    ["R2", "李爷爷", "V1", "张阿姨", "", "0.00", "false"],
    ["R3", "小明", "V3", "赵老师", "", "0.00", "true"],
]
CORRECT_VISITS = [  # spreadsheet rows 2..6
    ["R1", "meal", "Mon", "09:00", "10:00", "V1"],
    ["R1", "meal", "Tue", "09:00", "10:00", "V4"],
    ["R1", "nursing", "Wed", "14:00", "14:30", "V1;V2"],
    ["R2", "meal", "Mon", "10:30", "11:30", "V1"],
    ["R3", "tutoring", "Sat", "09:00", "10:00", "V3"],
]
CORRECT_UNMET = [
    ["R2", "meal", "1", "0", "只有周一可以上门，一天只排一次"],
    ["R3", "tutoring", "0", "1", "只有一位志愿者有有效的背景审查"],
]
CORRECT_SUMMARY = {
    "status": "feasible",
    "objective": 1302.0,
    "bound": 1300.0,
    "gap": 0.0015,
    "terms": {"unmet_visit": 1000, "unmet_member": 300, "distance_km": 2.0},
    "coverage": {"visits_demanded": 6, "visits_scheduled": 5},
    "counts": {"residents": 3, "volunteers": 4, "pairs": 5, "visits": 5},
    "solve_seconds": 0.12,
    "config": CONFIG.as_dict(),
    "input_hash": "sha256:0123abcd",
}


@dataclass
class Draft:
    """A roster folder under construction: tables as lists of cells, changed by each variant."""

    scenario: Scenario
    headers: dict[str, list[str]] = field(default_factory=lambda: copy.deepcopy(HEADERS))
    tables: dict[str, list[list[str]]] = field(
        default_factory=lambda: {
            ASSIGNMENTS: copy.deepcopy(CORRECT_ASSIGNMENTS),
            VISITS: copy.deepcopy(CORRECT_VISITS),
            UNMET: copy.deepcopy(CORRECT_UNMET),
        }
    )
    summary: dict = field(default_factory=lambda: copy.deepcopy(CORRECT_SUMMARY))
    summary_text: str | None = None  # raw text instead of the summary dict
    count_visits: bool = True  # keep coverage.visits_scheduled equal to the visit rows
    text_edits: dict[str, Callable[[str], str]] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)

    def write(self, folder: Path) -> Path:
        for name, rows in self.tables.items():
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(self.headers[name])
            writer.writerows(rows)
            self._write(folder, name, "\ufeff" + buffer.getvalue())
        if self.count_visits:
            self.summary["coverage"]["visits_scheduled"] = len(self.tables[VISITS])
        text = self.summary_text or json.dumps(self.summary, ensure_ascii=False, indent=2)
        self._write(folder, SUMMARY, text)
        return folder

    def _write(self, folder: Path, name: str, text: str) -> None:
        if name in self.missing:
            return
        text = self.text_edits.get(name, lambda same: same)(text)
        (folder / name).write_bytes(text.encode("utf-8"))

    def set(self, name: str, row: int, column: str, value: str) -> None:
        """Change one cell; `row` as a spreadsheet numbers it (the header is row 1)."""
        self.tables[name][row - 2][self.headers[name].index(column)] = value

    def drop_column(self, name: str, column: str) -> None:
        index = self.headers[name].index(column)
        del self.headers[name][index]
        for row in self.tables[name]:
            del row[index]

    def change_volunteer(self, vid: str, **changes) -> None:
        self.scenario = _replace_entity(self.scenario, "volunteers", vid, changes)

    def change_resident(self, rid: str, **changes) -> None:
        self.scenario = _replace_entity(self.scenario, "residents", rid, changes)


def _replace_entity(scenario: Scenario, attribute: str, entity_id: str, changes: dict) -> Scenario:
    entities = tuple(
        replace(entity, **changes) if entity.id == entity_id else entity
        for entity in getattr(scenario, attribute)
    )
    return replace(scenario, **{attribute: entities})


def check(draft: Draft, folder: Path) -> list[Violation]:
    return check_roster(draft.scenario, draft.write(folder))


def test_correct_roster_is_valid(tmp_path):
    assert check(Draft(scenario()), tmp_path) == []


def test_one_degree_of_latitude_is_111_km():
    # 6371.0088 x pi / 180 = 111.19508 km, the textbook figure for the mean Earth radius.
    assert haversine_km(39.0, LON, 40.0, LON) == pytest.approx(111.19508, abs=1e-5)


# Each variant breaks the correct roster (or tightens the scenario) in one way. Rows are
# numbered as a spreadsheet shows them: visits.csv row 2 is R1's Monday meal, row 5 R2's meal.

Mutation = Callable[[Draft], None]


def cells(name: str, row: int, **values: str) -> Mutation:
    def change(d: Draft) -> None:
        for column, value in values.items():
            d.set(name, row, column, value)

    return change


def append_row(name: str, row: list[str]) -> Mutation:
    return lambda d: d.tables[name].append(list(row))


def remove_row(name: str, row: int) -> Mutation:
    return lambda d: d.tables[name].pop(row - 2)


def edit_text(name: str, edit: Callable[[str], str]) -> Mutation:
    return lambda d: d.text_edits.update({name: edit})


def volunteer_change(vid: str, **changes) -> Mutation:
    return lambda d: d.change_volunteer(vid, **changes)


def resident_change(rid: str, **changes) -> Mutation:
    return lambda d: d.change_resident(rid, **changes)


def summary_change(**changes) -> Mutation:
    return lambda d: d.summary.update(changes)


def coverage_change(**changes) -> Mutation:
    def change(d: Draft) -> None:
        d.count_visits = False  # keep the written figure, right or wrong
        d.summary["coverage"].update(changes)

    return change


def summary_text(text: str) -> Mutation:
    return lambda d: setattr(d, "summary_text", text)


def strip_bom(text: str) -> str:
    return text.removeprefix("\ufeff")


def r2_meal_at(start: str, end: str) -> Mutation:
    return cells(VISITS, 5, start=start, end=end)


def tue_meal_to(day: str, start: str, end: str) -> Mutation:
    return cells(VISITS, 3, day=day, start=start, end=end)


@dataclass(frozen=True)
class Variant:
    name: str
    mutate: Mutation
    rule: str
    fragment: str  # a key part of the expected message
    also: frozenset[str] = frozenset()  # rules a variant cannot help breaking too


VARIANTS = [
    # --- H1 distance: R1-V1 is 1.0008 km.
    Variant(
        "h1_over_max_distance",
        volunteer_change("V1", max_distance_km=0.5),
        "H1",
        "H1 distance: pair R1-V1 is 1.00 km apart, over V1's max_distance_km 0.5",
    ),
    # --- H2 team. R2 (39.6345) to V4 (39.6255) is two steps, 2.0015 km, within V4's 3 km.
    Variant(
        "h2_team_too_big",
        append_row(ASSIGNMENTS, ["R2", "李爷爷", "V4", "陈姐", "", "2.00", "false"]),
        "H2",
        "R2 has 2 volunteers (V1, V4), over team_size 1",
    ),
    Variant(
        "h2_attendee_not_paired",
        cells(VISITS, 5, volunteer_ids="V4"),
        "H2",
        "V4 attends visit R2 meal Mon 10:30-11:30 (visits.csv row 5) but is not paired with R2",
    ),
    # --- H3 visits
    Variant(
        "h3_outside_need_window",
        r2_meal_at("16:30", "17:30"),
        "H3",
        "visit R2 meal Mon 16:30-17:30 (visits.csv row 5) is outside the need's windows (Mon 09:00-16:00)",
    ),
    Variant(
        "h3_outside_availability",
        cells(VISITS, 4, start="15:00", end="15:30"),
        "H3",
        "visit R1 nursing Wed 15:00-15:30 (visits.csv row 4) is outside V2's availability (Wed 13:00-15:00)",
    ),
    Variant(
        "h3_outside_availability_day",
        tue_meal_to("Sat", "09:00", "10:00"),
        "H3",
        "is outside V4's availability (none on Sat)",  # and outside the need's windows
    ),
    Variant(
        "h3_two_visits_same_day",
        tue_meal_to("Mon", "11:00", "12:00"),
        "H3",
        "R1 meal has 2 visits on Mon (visits.csv rows 2, 3)",
    ),
    Variant(
        "h3_too_many_visits",
        append_row(VISITS, ["R1", "meal", "Wed", "09:00", "10:00", "V4"]),
        "H3",
        "R1 meal has 3 visits (visits.csv rows 2, 3, 7), over visits_per_week 2",
    ),
    Variant("h3_wrong_duration", r2_meal_at("10:30", "11:15"), "H3", "lasts 45 min, not duration_min 60"),
    Variant(
        "h3_too_many_attendees",
        cells(VISITS, 2, volunteer_ids="V1;V4"),
        "H3",
        "has 2 volunteers (V1, V4), not volunteers_per_visit 1",
    ),
    # V1 listed twice leaves one distinct volunteer, and without V2 nobody brings first_aid.
    Variant(
        "h3_repeated_attendee",
        cells(VISITS, 4, volunteer_ids="V1;V1"),
        "H3",
        "lists V1 more than once",
        frozenset({"H4"}),
    ),
    # --- H4 skills: nursing needs nursing (V1) and first_aid (V2).
    Variant(
        "h4_missing_skill",
        volunteer_change("V2", skills=()),
        "H4",
        "visit R1 nursing Wed 14:00-14:30 (visits.csv row 4): V1, V2 together lack skill first_aid",
    ),
    # --- H5 clashes
    Variant(
        "h5_volunteer_overlap",
        r2_meal_at("09:30", "10:30"),
        "H5",
        "V1 attends visit R1 meal Mon 09:00-10:00 (visits.csv row 2) and visit R2 meal Mon 09:30-10:30",
    ),
    # R1's meal ends 10:00; walking one step to R2 takes 10.008 min, so 10:05 is 5 min short.
    Variant(
        "h5_travel_gap",
        r2_meal_at("10:05", "11:05"),
        "H5",
        "V1 has 5 min between visit R1 meal Mon 09:00-10:00 (visits.csv row 2) and visit R2 meal "
        "Mon 10:05-11:05 (visits.csv row 5), but needs 10.01 min to go 1.00 km from R1 to R2 by walk",
    ),
    # V4's meal moved onto the nursing visit (V1, V2): only R1 has two visits at once.
    Variant(
        "h5_resident_overlap",
        tue_meal_to("Wed", "14:00", "15:00"),
        "H5",
        "R1 has overlapping visits: visit R1 nursing Wed 14:00-14:30 (visits.csv row 4) and "
        "visit R1 meal Wed 14:00-15:00 (visits.csv row 3)",
    ),
    # --- H6 hours: 150 min of visits + 4 x 10.008 min of travel = 190.03 > 180. Counting each
    # trip one way only (170.02) would wrongly pass.
    Variant(
        "h6_hours_with_travel",
        volunteer_change("V1", max_hours_per_week=3),
        "H6",
        "V1 works 190.03 min (150 min of visits + 40.03 min of travel from base and back), "
        "over max_hours_per_week 3 (180 min)",
    ),
    # --- H7 load
    Variant(
        "h7_too_many_residents",
        volunteer_change("V1", max_residents=1),
        "H7",
        "V1 has 2 residents (R1, R2), over max_residents 1",
    ),
    # --- H8 wishes
    Variant(
        "h8_excluded_volunteer",
        resident_change("R2", exclude_volunteers=("V1",)),
        "H8",
        "pair R2-V1: R2 excludes V1",
    ),
    Variant(
        "h8_wrong_gender",
        volunteer_change("V4", gender="male"),
        "H8",
        "pair R1-V4: R1 requires a female volunteer, V4 is male",
    ),
    Variant("h8_gender_unknown", volunteer_change("V4", gender=None), "H8", "V4 is of unknown gender"),
    Variant(
        "h8_no_common_language",
        volunteer_change("V4", languages=("english",)),
        "H8",
        "R1 requires one of the languages tangshan_dialect, putonghua; V4 speaks english",
    ),
    # --- H9 ids
    Variant(
        "h9_unknown_resident",
        append_row(ASSIGNMENTS, ["R9", "某人", "V4", "陈姐", "", "0.00", "false"]),
        "H9",
        "assignments.csv row 7: resident 'R9' is not in the scenario",
    ),
    Variant(
        "h9_unknown_volunteer_in_visit",
        cells(VISITS, 6, volunteer_ids="V9"),
        "H9",
        "visits.csv row 6: volunteer 'V9' is not in the scenario",
    ),
    # R3's visit by V3 is then unpaired, so H2 follows.
    Variant(
        "h9_unknown_volunteer_in_pair",
        cells(ASSIGNMENTS, 6, volunteer_id="V9"),
        "H9",
        "assignments.csv row 6: volunteer 'V9' is not in the scenario",
        frozenset({"H2"}),
    ),
    Variant(
        "h9_service_not_a_need",
        append_row(VISITS, ["R2", "nursing", "Mon", "12:00", "12:30", "V1"]),
        "H9",
        "visits.csv row 7: R2 has no need for service 'nursing'",
    ),
    # R3's tutoring is then unscheduled, which unmet.csv does not say.
    Variant(
        "h9_unknown_service",
        cells(VISITS, 6, service="haircut"),
        "H9",
        "visits.csv row 6: service 'haircut' is not in the scenario",
        frozenset({"OUTPUT"}),
    ),
    Variant(
        "h9_unknown_resident_in_unmet",
        append_row(UNMET, ["R9", "meal", "1", "0", "无人"]),
        "H9",
        "unmet.csv row 4: resident 'R9' is not in the scenario",
    ),
    Variant(
        "h9_wrong_distance",
        cells(ASSIGNMENTS, 2, distance_km="1.50"),
        "H9",
        "assignments.csv row 2: distance_km 1.5 but R1-V1 is 1.001 km apart",
    ),
    Variant(
        "h9_wrong_incumbent",
        cells(ASSIGNMENTS, 2, incumbent="false"),
        "H9",
        "incumbent is false but pair R1-V1 is in the current roster",
    ),
    Variant(
        "h9_wrong_incumbent_new_pair",
        cells(ASSIGNMENTS, 3, incumbent="true"),
        "H9",
        "incumbent is true but pair R1-V2 is not in the current roster",
    ),
    Variant(
        "h9_wrong_resident_name",
        cells(ASSIGNMENTS, 5, resident_name="李大爷"),
        "H9",
        "resident_name '李大爷' is not R2's name '李爷爷'",
    ),
    Variant(
        "h9_wrong_volunteer_name",
        cells(ASSIGNMENTS, 5, volunteer_name="张姨"),
        "H9",
        "volunteer_name '张姨' is not V1's name '张阿姨'",
    ),
    Variant(
        "h9_wrong_station",
        cells(ASSIGNMENTS, 5, station_id="S1"),
        "H9",
        "assignments.csv row 5: station_id 'S1', but R2 has no station (an empty cell)",
    ),
    Variant(
        "h9_duplicate_pair",
        append_row(ASSIGNMENTS, CORRECT_ASSIGNMENTS[4]),
        "H9",
        "assignments.csv row 7 repeats pair R3-V3 (first on row 6)",
    ),
    # --- H10 safeguarding: week_of is Monday 2026-12-07.
    Variant(
        "h10_expired_check",
        volunteer_change("V3", background_check_until=dt.date(2026, 12, 6)),
        "H10",
        "R3 is a child and V3's background check ran out on 2026-12-06, before week_of 2026-12-07",
    ),
    Variant(
        "h10_no_check",
        volunteer_change("V3", background_check_until=None),
        "H10",
        "pair R3-V3: R3 is a child and V3 has no background check",
    ),
    # --- OUTPUT: files and cells
    Variant(
        "output_missing_bom",
        edit_text(VISITS, strip_bom),
        "OUTPUT",
        "OUTPUT visits.csv: does not start with the UTF-8 BOM",
    ),
    Variant(
        "output_formula_equals",
        cells(UNMET, 2, reason='=HYPERLINK("x")'),
        "OUTPUT",
        "OUTPUT unmet.csv row 2: cell reason starts with '='",
    ),
    Variant(
        "output_formula_plus",
        cells(UNMET, 3, reason="+86 电话联系"),
        "OUTPUT",
        "unmet.csv row 3: cell reason starts with '+'",
    ),
    Variant(
        "output_formula_minus",
        cells(UNMET, 3, reason="-"),
        "OUTPUT",
        "unmet.csv row 3: cell reason starts with '-'",
    ),
    Variant(
        "output_formula_at",
        cells(ASSIGNMENTS, 6, volunteer_name="@赵老师"),
        "OUTPUT",
        "assignments.csv row 6: cell volunteer_name starts with '@'",
        frozenset({"H9"}),  # and it is not V3's name
    ),
    Variant(
        "output_missing_file",
        lambda d: d.missing.add(UNMET),
        "OUTPUT",
        "OUTPUT unmet.csv: is missing from the roster folder",
    ),
    # A missing column that is no key: the rest of the file is still checked.
    Variant(
        "output_missing_column",
        lambda d: d.drop_column(ASSIGNMENTS, "incumbent"),
        "OUTPUT",
        "distance_km, expected exactly resident_id,resident_name,volunteer_id,volunteer_name,"
        "station_id,distance_km,incumbent; missing incumbent",
    ),
    Variant(
        "output_missing_key_column",
        lambda d: d.drop_column(VISITS, "volunteer_ids"),
        "OUTPUT",
        "OUTPUT visits.csv: columns are resident_id,service,day,start,end, expected exactly",
    ),
    Variant(
        "output_columns_out_of_order",
        edit_text(
            UNMET, lambda t: t.replace("visits_missing,members_missing", "members_missing,visits_missing")
        ),
        "OUTPUT",
        "expected exactly resident_id,service,visits_missing,members_missing,reason",
    ),
    Variant(
        "output_short_row",
        lambda d: d.tables[ASSIGNMENTS][4].pop(),
        "OUTPUT",
        "OUTPUT assignments.csv row 6: has 6 cells, the header has 7",
    ),
    Variant(
        "output_bad_time",
        cells(VISITS, 5, start="25:00"),
        "OUTPUT",
        "OUTPUT visits.csv row 5: start '25:00' is not a time of day (expected HH:MM)",
    ),
    Variant(
        "output_bad_time_format", cells(VISITS, 5, end="11.30"), "OUTPUT", "end '11.30' is not a time of day"
    ),
    Variant(
        "output_end_before_start",
        r2_meal_at("11:30", "10:30"),
        "OUTPUT",
        "visits.csv row 5: end 10:30 is not after start 11:30",
    ),
    Variant(
        "output_bad_day",
        cells(VISITS, 5, day="Monday"),
        "OUTPUT",
        "visits.csv row 5: day 'Monday' is not a day",
    ),
    Variant(
        "output_bad_distance",
        cells(ASSIGNMENTS, 2, distance_km="about 1"),
        "OUTPUT",
        "assignments.csv row 2: distance_km 'about 1' is not a number of km",
    ),
    Variant(
        "output_bad_incumbent",
        cells(ASSIGNMENTS, 2, incumbent="yes"),
        "OUTPUT",
        "incumbent 'yes' is not 'true' or 'false'",
    ),
    Variant(
        "output_bad_count",
        cells(UNMET, 2, visits_missing="one"),
        "OUTPUT",
        "unmet.csv row 2: visits_missing 'one' is not a whole number",
    ),
    # --- OUTPUT: unmet.csv agrees with the visits and pairs written
    Variant(
        "output_unmet_row_missing",
        remove_row(UNMET, 2),
        "OUTPUT",
        "no row for R2 meal, which misses 1 visit(s) and 0 member(s)",
    ),
    Variant(
        "output_unmet_wrong_visits",
        cells(UNMET, 2, visits_missing="2"),
        "OUTPUT",
        "R2 meal says visits_missing 2, members_missing 0; expected 1 and 0",
    ),
    Variant(
        "output_unmet_wrong_members",
        cells(UNMET, 3, members_missing="0"),
        "OUTPUT",
        "R3 tutoring says visits_missing 0, members_missing 0; expected 0 and 1",
    ),
    Variant(
        "output_unmet_fully_served",
        append_row(UNMET, ["R1", "meal", "0", "0", "已排满"]),
        "OUTPUT",
        "unmet.csv row 4: R1 meal is fully served",
    ),
    # A visit dropped from visits.csv must show up in unmet.csv, never vanish silently.
    Variant(
        "output_unmet_dropped_visit",
        remove_row(VISITS, 3),
        "OUTPUT",
        "no row for R1 meal, which misses 1 visit(s)",
    ),
    Variant(
        "output_unmet_empty_reason",
        cells(UNMET, 2, reason=" "),
        "OUTPUT",
        "unmet.csv row 2: R2 meal has an empty reason",
    ),
    Variant(
        "output_unmet_duplicate",
        append_row(UNMET, CORRECT_UNMET[0]),
        "OUTPUT",
        "unmet.csv row 4: repeats R2 meal (first on row 2)",
    ),
    # --- OUTPUT: summary.json
    Variant(
        "output_summary_missing_key",
        lambda d: d.summary.pop("bound"),
        "OUTPUT",
        "OUTPUT summary.json: has no key 'bound'",
    ),
    Variant(
        "output_summary_coverage_key",
        lambda d: d.summary["coverage"].pop("visits_demanded"),
        "OUTPUT",
        "coverage has no key 'visits_demanded'",
    ),
    Variant(
        "output_summary_wrong_type",
        summary_change(objective="1302"),
        "OUTPUT",
        "objective is string, expected number",
    ),
    Variant(
        "output_summary_bool_is_no_number",
        summary_change(solve_seconds=True),
        "OUTPUT",
        "solve_seconds is boolean, expected number",
    ),
    Variant(
        "output_summary_scheduled_mismatch",
        coverage_change(visits_scheduled=4),
        "OUTPUT",
        "coverage.visits_scheduled is 4, but visits.csv has 5 visits",
    ),
    Variant(
        "output_summary_demanded_mismatch",
        coverage_change(visits_demanded=5),
        "OUTPUT",
        "coverage.visits_demanded is 5, but the needs ask for 6 visits",
    ),
    Variant(
        "output_summary_bound_above_objective",
        summary_change(bound=1303.0),
        "OUTPUT",
        "bound 1303 is above objective 1302",
    ),
    Variant(
        "output_summary_not_json",
        summary_text("{status: feasible"),
        "OUTPUT",
        "OUTPUT summary.json: is not valid JSON (line 1",
    ),
    Variant(
        "output_summary_not_object",
        summary_text("[1, 2]"),
        "OUTPUT",
        "OUTPUT summary.json: is not a JSON object",
    ),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.name for variant in VARIANTS])
def test_broken_variant_is_caught(tmp_path, variant: Variant):
    draft = Draft(scenario())
    variant.mutate(draft)
    violations = check(draft, tmp_path)
    messages = "\n".join(v.message for v in violations)
    assert any(v.rule == variant.rule and variant.fragment in v.message for v in violations), messages
    # Precision matters as much as recall: nothing may be blamed but what the variant broke.
    assert {v.rule for v in violations} <= {variant.rule} | variant.also, messages


def test_every_rule_has_a_variant():
    assert {variant.rule for variant in VARIANTS} == {f"H{n}" for n in range(1, 11)} | {"OUTPUT"}


def test_empty_folder_reports_each_missing_file(tmp_path):
    violations = check_roster(scenario(), tmp_path / "nowhere")
    assert [v.message for v in violations] == [
        f"OUTPUT {name}: is missing from the roster folder" for name in (ASSIGNMENTS, SUMMARY, UNMET, VISITS)
    ]


def test_garbage_files_give_violations_not_tracebacks(tmp_path):
    for name in (ASSIGNMENTS, VISITS, UNMET):
        (tmp_path / name).write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / SUMMARY).write_bytes(b"")
    violations = check_roster(scenario(), tmp_path)
    assert {v.rule for v in violations} == {"OUTPUT"}
    assert any("visits.csv: is not UTF-8 text" in v.message for v in violations)


def test_violations_are_sorted_and_repeatable(tmp_path):
    draft = Draft(scenario())
    draft.change_volunteer("V1", max_distance_km=0.5, max_residents=1)
    draft.set(VISITS, 5, "day", "Monday")
    draft.text_edits[VISITS] = strip_bom
    first = check(draft, tmp_path)
    assert first == check_roster(draft.scenario, tmp_path)
    assert [v.rule for v in first] == ["OUTPUT", "OUTPUT", "H1", "H7"]
    assert "does not start with the UTF-8 BOM" in first[1].message


def test_rows_sort_naturally(tmp_path):
    draft = Draft(scenario())
    draft.tables[UNMET] += [["R9", "meal", "1", "0", "无人"] for _ in range(9)]
    rows = [v.message.split(":")[1] for v in check(draft, tmp_path) if v.rule == "H9"]
    assert rows == [f" unmet.csv row {n}" for n in range(4, 13)]


def test_format_report():
    assert format_report([]).startswith("valid")
    report = format_report([Violation("H1", "H1 distance: x"), Violation("OUTPUT", "OUTPUT a.csv: y")])
    assert report == "H1 distance: x\nOUTPUT a.csv: y\ninvalid: 2 violations (OUTPUT, H1)\n"


def test_checker_shares_no_code_with_a_solver():
    # The checker is only worth having if a solver bug cannot hide in both; it may read the
    # scenario model and window helpers, nothing else of the project.
    allowed = {"matcher.scenario.model", "matcher.scenario.windows"}
    package = Path(__file__).resolve().parent.parent / "matcher" / "check"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                assert not module.startswith("matcher") or module in allowed, f"{path.name}: {module}"


def test_travel_minutes_are_not_rounded(tmp_path):
    # A gap of exactly 10 min is 0.008 min short of one walking step: still a violation.
    draft = Draft(scenario())
    r2_meal_at("10:10", "11:10")(draft)
    assert [v.rule for v in check(draft, tmp_path)] == ["H5"]


def exact_r1_v1_distance(d: Draft) -> None:
    # The cap set to the very distance, as a solver computing it the same way would see it.
    km = haversine_km(39.6300, LON, 39.6345, LON) * CONFIG.travel.detour_factor
    d.change_volunteer("V1", max_distance_km=km)


def touching_need_windows(d: Draft) -> None:
    # Two touching windows are one merged window: a visit across 12:00 lies inside it.
    d.change_resident("R2", needs=(need("meal", 60, ["Mon 09:00-12:00", "Mon 12:00-16:00"], 2),))
    r2_meal_at("11:30", "12:30")(d)


def crlf_and_quoted_cells(d: Draft) -> None:
    d.text_edits[VISITS] = lambda text: text.replace("\n", "\r\n").replace("V1;V2", '"V1;V2"')


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(r2_meal_at("10:11", "11:11"), id="travel_gap_just_enough"),
        pytest.param(r2_meal_at("15:00", "16:00"), id="visit_ends_at_window_end"),
        pytest.param(tue_meal_to("Wed", "14:30", "15:30"), id="resident_visits_touching"),
        pytest.param(exact_r1_v1_distance, id="distance_exactly_at_cap"),
        pytest.param(touching_need_windows, id="visit_across_touching_windows"),
        pytest.param(crlf_and_quoted_cells, id="crlf_and_quoted_cells"),
        pytest.param(coverage_change(visits_scheduled=5), id="summary_figures_as_written"),
        pytest.param(summary_change(bound=None, gap=None), id="no_bound"),
    ],
)
def test_edge_cases_still_valid(tmp_path, mutate):
    draft = Draft(scenario())
    mutate(draft)
    assert check(draft, tmp_path) == []
