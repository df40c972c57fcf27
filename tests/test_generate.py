"""The synthetic scenario generator: determinism, realism, and validity against the format."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from matcher.generate import DEFAULT_WEEK_OF, PRESETS, generate_tables, write_scenario
from matcher.generate.geography import haversine_km, pairs_within_reach
from matcher.scenario import read_scenario
from matcher.scenario.windows import parse_windows

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "district"
FILES = ("scenario.yaml", "residents.csv", "needs.csv", "volunteers.csv", "current.csv")

RESIDENT_COLUMNS = ["id", "name", "kind", "lat", "lon", "station", "priority", "team_size",
                    "require_gender", "require_languages", "prefer_gender", "prefer_languages",
                    "exclude_volunteers"]
NEED_COLUMNS = ["resident", "service", "visits_per_week", "duration_min", "volunteers_per_visit",
                "windows"]
VOLUNTEER_COLUMNS = ["id", "name", "lat", "lon", "gender", "skills", "languages", "organization",
                     "station", "availability", "max_hours_per_week", "max_residents",
                     "max_distance_km", "travel", "background_check_until"]
CURRENT_COLUMNS = ["resident", "volunteer"]


@pytest.fixture(scope="module")
def district():
    return generate_tables("district", seed=1, with_current=True)


@pytest.fixture(scope="module")
def station():
    return generate_tables("station", seed=3, with_current=True)


def _split(cell: str) -> list[str]:
    return [item for item in cell.split(";") if item]


# --- determinism ---------------------------------------------------------------------------


def test_same_arguments_write_byte_identical_files(tmp_path):
    first = write_scenario(tmp_path / "a", "station", seed=7, with_current=True).parent
    second = write_scenario(tmp_path / "b", "station", seed=7, with_current=True).parent
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_same_arguments_write_byte_identical_files_at_district_size(tmp_path):
    first = write_scenario(tmp_path / "a", "district", seed=2, residents=300, volunteers=1200,
                           with_current=True).parent
    second = write_scenario(tmp_path / "b", "district", seed=2, residents=300, volunteers=1200,
                            with_current=True).parent
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_different_seeds_give_different_scenarios(tmp_path):
    first = write_scenario(tmp_path / "a", "station", seed=1).parent
    second = write_scenario(tmp_path / "b", "station", seed=2).parent
    for name in ("residents.csv", "needs.csv", "volunteers.csv"):
        assert (first / name).read_bytes() != (second / name).read_bytes(), name


def test_asking_for_a_previous_roster_changes_nothing_else():
    without = generate_tables("station", seed=5)
    with_current = generate_tables("station", seed=5, with_current=True)
    assert without.current is None and "current" not in without.header
    assert with_current.header["current"] == {"file": "current.csv"}
    for table in ("residents", "needs", "volunteers"):
        assert getattr(without, table).equals(getattr(with_current, table)), table


def test_written_files_hold_the_generated_tables(tmp_path):
    tables = generate_tables("station", seed=4, with_current=True)
    folder = write_scenario(tmp_path, "station", seed=4, with_current=True).parent
    for name, table in (("residents", tables.residents), ("needs", tables.needs),
                        ("volunteers", tables.volunteers), ("current", tables.current)):
        text = (folder / f"{name}.csv").read_text(encoding="utf-8-sig")
        rows = list(csv.reader(text.splitlines()))
        assert rows[0] == list(table.columns)
        assert len(rows) - 1 == len(table)
        assert rows[1][0] == str(table.iloc[0, 0])
    header = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert header == tables.header


# --- the format ----------------------------------------------------------------------------


def test_tables_have_exactly_the_format_columns(district):
    assert list(district.residents.columns) == RESIDENT_COLUMNS
    assert list(district.needs.columns) == NEED_COLUMNS
    assert list(district.volunteers.columns) == VOLUNTEER_COLUMNS
    assert list(district.current.columns) == CURRENT_COLUMNS


def test_header_declares_the_format_and_its_tables(district):
    header = district.header
    assert header["format"] == "matcher/v1"
    assert header["week_of"] == DEFAULT_WEEK_OF and DEFAULT_WEEK_OF.weekday() == 0
    assert "唐山" in header["name"] and "seed 1" in header["name"]
    assert header["residents"] == {"file": "residents.csv", "needs": "needs.csv"}
    assert header["volunteers"] == {"file": "volunteers.csv"}
    assert set(header["services"]) == {"companionship", "housekeeping", "escort", "haircut",
                                       "safety_check", "tutoring", "rehab", "sign_language"}


def test_ids_are_unique_and_well_formed(district):
    header = district.header
    for ids, pattern in ((district.residents["id"], r"R\d{5}"),
                         (district.volunteers["id"], r"V\d{6}"),
                         (pd.Series([s["id"] for s in header["stations"]]), r"S\d{4}"),
                         (pd.Series([o["id"] for o in header["organizations"]]), r"ORG\d{2}")):
        assert ids.is_unique
        assert ids.str.fullmatch(pattern).all()


def test_every_reference_names_an_existing_entity(district):
    stations = {s["id"] for s in district.header["stations"]}
    organizations = {o["id"] for o in district.header["organizations"]}
    residents = set(district.residents["id"])
    volunteers = set(district.volunteers["id"])
    assert set(district.residents["station"]) <= stations
    assert set(district.volunteers["station"]) <= stations
    assert set(district.volunteers["organization"]) - {""} <= organizations
    assert set(district.needs["resident"]) == residents  # and everyone has a need
    assert set(district.needs["service"]) <= set(district.header["services"])
    excluded = {v for cell in district.residents["exclude_volunteers"] for v in _split(cell)}
    assert excluded and excluded <= volunteers
    assert set(district.current["resident"]) <= residents
    assert set(district.current["volunteer"]) <= volunteers


def test_field_values_are_in_range(district):
    residents, volunteers = district.residents, district.volunteers
    assert set(residents["kind"]) == {"senior", "child"}
    assert residents["priority"].between(1, 5).all()
    assert residents["team_size"].between(1, 3).all()
    for column in ("require_gender", "prefer_gender"):
        assert set(residents[column]) <= {"", "female", "male"}
    assert set(volunteers["gender"]) == {"female", "male"}
    assert set(volunteers["travel"]) == {"walk", "bike", "drive"}
    assert volunteers["max_hours_per_week"].between(2, 8).all()
    assert volunteers["max_residents"].between(1, 3).all()
    assert volunteers["max_distance_km"].between(2, 5).all()
    assert volunteers["languages"].map(_split).map(len).ge(1).all()
    for cell in volunteers["background_check_until"]:
        assert cell == "" or dt.date.fromisoformat(cell)
    for table in (residents, volunteers):
        assert table["lat"].between(39.0, 40.6).all() and table["lon"].between(117.4, 119.4).all()
        assert (table["lat"].round(6) == table["lat"]).all()


def test_every_window_parses(district):
    for cell in list(district.needs["windows"]) + list(district.volunteers["availability"]):
        assert parse_windows(_split(cell))


def test_every_need_can_be_met_in_principle(district):
    needs = district.needs.merge(district.residents[["id", "team_size"]], left_on="resident",
                                 right_on="id")
    assert needs["visits_per_week"].between(1, 3).all()
    assert needs["duration_min"].between(30, 120).all()
    assert (needs["volunteers_per_visit"] <= needs["team_size"]).all()
    assert (needs["volunteers_per_visit"] == 2).any()
    assert not needs.duplicated(["resident", "service"]).any()
    assert needs.groupby("resident").size().between(1, 3).all()
    for row in needs.itertuples():
        windows = parse_windows(_split(row.windows))
        # Each window fits one visit, and there are enough days for the visits to differ.
        assert all(w.length >= row.duration_min for w in windows), row
        assert len({w.day for w in windows}) >= row.visits_per_week, row


def test_children_are_offered_only_children_services_and_after_school(district):
    kinds = dict(zip(district.residents["id"], district.residents["kind"], strict=True))
    child_needs = district.needs[district.needs["resident"].map(kinds) == "child"]
    assert set(child_needs["service"]) <= {"tutoring", "rehab", "sign_language", "companionship"}
    senior_needs = district.needs[district.needs["resident"].map(kinds) == "senior"]
    assert not set(senior_needs["service"]) & {"tutoring", "rehab", "sign_language"}


def test_previous_roster_is_plausible(district):
    residents = district.residents.set_index("id")
    volunteers = district.volunteers.set_index("id")
    current = district.current
    assert not current.duplicated().any()
    r = residents.loc[current["resident"]]
    v = volunteers.loc[current["volunteer"]]
    km = haversine_km(r["lat"].to_numpy(), r["lon"].to_numpy(), v["lat"].to_numpy(),
                      v["lon"].to_numpy())
    assert (km * 1.3 <= v["max_distance_km"].to_numpy()).all()
    child = (r["kind"] == "child").to_numpy()
    checked = (v["background_check_until"] >= DEFAULT_WEEK_OF.isoformat()).to_numpy()
    assert (checked | ~child).all()
    required = r["require_gender"].to_numpy()
    assert ((required == "") | (required == v["gender"].to_numpy())).all()
    for resident, volunteer in zip(current["resident"], current["volunteer"], strict=True):
        assert volunteer not in _split(residents.at[resident, "exclude_volunteers"])
    team = current.groupby("resident").size()
    assert (team <= residents.loc[team.index, "team_size"]).all()
    load = current.groupby("volunteer").size()
    assert (load <= volunteers.loc[load.index, "max_residents"]).all()
    assert 0.4 < current["resident"].nunique() / len(residents) < 0.8


# --- realism -------------------------------------------------------------------------------


def test_children_are_about_a_fifth_as_in_the_published_figures(district):
    share = (district.residents["kind"] == "child").mean()
    assert abs(share - 2_806 / 14_806) < 0.04


def test_priorities_skew_low_and_teams_are_mostly_one_to_one(district):
    priority = district.residents["priority"].value_counts(normalize=True)
    assert priority[1] + priority[2] > 0.6 and priority.get(5, 0) < 0.1
    team = district.residents["team_size"].value_counts(normalize=True)
    assert team[1] > 0.6 and team[2] > team[3] > 0


def test_rare_skills_are_rare(district):
    skills = district.volunteers["skills"]
    share = {s: skills.str.contains(s).mean() for s in ("rehab", "sign_language", "first_aid")}
    assert share["rehab"] < 0.08 and share["sign_language"] < 0.06
    assert share["first_aid"] > share["rehab"]


def test_most_background_checks_are_valid_but_not_all(district):
    until = district.volunteers["background_check_until"]
    valid = (until >= DEFAULT_WEEK_OF.isoformat()).mean()
    missing = (until == "").mean()
    assert 0.5 < valid < 0.8 and 0.05 < missing < 0.4 and valid + missing < 1


def test_a_resident_reaches_tens_to_hundreds_of_volunteers(district):
    r, v = district.residents, district.volunteers
    res, _, _ = pairs_within_reach(r["lat"].to_numpy(), r["lon"].to_numpy(),
                                   v["lat"].to_numpy(), v["lon"].to_numpy(),
                                   v["max_distance_km"].to_numpy())
    per_resident = np.bincount(res, minlength=len(r))
    assert 50 <= np.median(per_resident) <= 250
    assert per_resident.min() >= 10 and per_resident.max() <= 600
    assert 50_000 <= len(res) <= 300_000


def test_pairs_within_reach_agrees_with_brute_force(station):
    r, v = station.residents, station.volunteers
    res, vol, km = pairs_within_reach(r["lat"].to_numpy(), r["lon"].to_numpy(),
                                      v["lat"].to_numpy(), v["lon"].to_numpy(),
                                      v["max_distance_km"].to_numpy())
    all_km = haversine_km(r["lat"].to_numpy()[:, None], r["lon"].to_numpy()[:, None],
                          v["lat"].to_numpy()[None, :], v["lon"].to_numpy()[None, :])
    expected = np.argwhere(all_km * 1.3 <= v["max_distance_km"].to_numpy()[None, :])
    assert np.array_equal(np.column_stack([res, vol]), expected)
    assert np.allclose(km, all_km[res, vol])


def test_stations_follow_the_number_of_residents():
    assert len(generate_tables("station").header["stations"]) == 1
    assert len(generate_tables("station", residents=200, volunteers=600).header["stations"]) == 5
    tables = generate_tables("station", residents=200, volunteers=700)
    assert len(tables.residents) == 200 and len(tables.volunteers) == 700


def test_stations_are_named_after_their_district(district):
    names = [s["name"] for s in district.header["stations"]]
    assert names[0] == "路北区文化路社区服务站"
    assert len(set(names)) == len(names)
    assert all(n.startswith("路北区") and n.endswith("社区服务站") for n in names)


def test_city_preset_spreads_over_the_districts_and_counties():
    city = PRESETS["city"]
    assert city.residents == 15_000 and city.volunteers == 60_000
    assert {"路北区", "路南区", "古冶区", "开平区", "丰南区", "丰润区", "曹妃甸区"} <= set(city.areas)
    small_city = generate_tables("city", residents=600, volunteers=2_400)
    names = [s["name"] for s in small_city.header["stations"]]
    assert len(names) == 15 and any(n.startswith("曹妃甸区") for n in names)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown preset"):
        generate_tables("country")
    with pytest.raises(ValueError, match="Monday"):
        generate_tables("station", week_of=dt.date(2026, 12, 8))
    with pytest.raises(ValueError, match="at least one"):
        generate_tables("station", residents=0)


# --- loading -------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["station", "district"])
def test_written_scenario_loads(tmp_path, preset):
    tables = generate_tables(preset, seed=1, with_current=True)
    path = write_scenario(tmp_path, preset, seed=1, with_current=True)
    scenario = read_scenario(path)
    assert scenario.name == tables.header["name"]
    assert scenario.week_of == DEFAULT_WEEK_OF
    assert len(scenario.residents) == len(tables.residents)
    assert len(scenario.volunteers) == len(tables.volunteers)
    assert len(scenario.current) == len(tables.current)
    assert sum(len(r.needs) for r in scenario.residents) == len(tables.needs)


def test_bundled_district_scenario_is_what_the_generator_writes(tmp_path):
    fresh = write_scenario(tmp_path, "district", seed=1, with_current=True).parent
    for name in FILES:
        assert (BUNDLED / name).read_bytes() == (fresh / name).read_bytes(), (
            f"scenarios/district/{name} is stale: regenerate it with "
            "write_scenario('scenarios/district', 'district', seed=1, with_current=True)")
