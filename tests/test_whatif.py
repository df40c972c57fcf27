"""What-if variants and roster comparison: seeded variants that stay valid, and a comparison
whose churn and coverage match a count made by hand from the CSV files."""

from __future__ import annotations

import argparse
import csv
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

import matcher
from matcher.check import check_roster
from matcher.reasons import KNOWN_KINDS, reason_kinds
from matcher.scenario import read_scenario
from matcher.whatif import (
    add_compare_command,
    add_variant_command,
    compare_rosters,
    comparison_markdown,
    comparison_table,
    drop_volunteers,
    scale_demand,
    set_volunteer_cap,
    write_scenario_file,
)
from tests.scenarios import scenario

ROOT = Path(__file__).resolve().parent.parent
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"
TINY = ROOT / "scenarios" / "tiny" / "scenario.yaml"


@pytest.fixture(scope="module")
def station():
    return read_scenario(STATION)


@pytest.fixture(scope="module")
def dropout(station, tmp_path_factory):
    """The station and a 20 % volunteer drop-out of it, each solved and written."""
    folder = tmp_path_factory.mktemp("dropout")
    variant = read_scenario(write_scenario_file(drop_volunteers(station, 0.2, seed=7),
                                                folder / "variant"))
    base_dir = matcher.solve(station, time_limit_s=10).write(folder / "base")
    variant_dir = matcher.solve(variant, time_limit_s=10).write(folder / "roster")
    return station, variant, base_dir, variant_dir


def _team_sets(roster_dir: Path) -> dict[str, set[str]]:
    teams: dict[str, set[str]] = {}
    with open(roster_dir / "assignments.csv", encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            teams.setdefault(row["resident_id"], set()).add(row["volunteer_id"])
    return teams


def _pair_set(teams: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(resident, volunteer) for resident, team in teams.items() for volunteer in team}


# -- variants ------------------------------------------------------------------------------

def test_drop_volunteers_is_seeded_and_removes_the_share(station):
    n = len(station.volunteers)
    first = drop_volunteers(station, 0.2, seed=3)
    assert first == drop_volunteers(station, 0.2, seed=3)
    assert first != drop_volunteers(station, 0.2, seed=4)
    assert len(station.volunteers) - len(first.volunteers) == round(0.2 * n) == 24
    assert len(station.volunteers) == n  # the input is left as it was
    kept = {v.id for v in first.volunteers}
    assert all(pair.volunteer in kept for pair in first.current)
    assert len(first.current) < len(station.current)  # some incumbents dropped out
    assert all(v in kept for r in first.residents for v in r.exclude_volunteers)
    # Named volunteers go as well as the random share.
    named = drop_volunteers(station, 0.1, seed=3, ids=["V000001", "V000002"])
    assert len(named.volunteers) == n - 2 - round(0.1 * n)
    assert not {"V000001", "V000002"} & {v.id for v in named.volunteers}
    assert drop_volunteers(station, 0.0) is station
    assert drop_volunteers(station, 1.0).volunteers == ()


def test_drop_volunteers_removes_every_reference_to_a_removed_volunteer():
    s = scenario([{"id": "R1", "exclude_volunteers": ["V2", "V3"]}, {"id": "R2"}],
                 [{"id": "V1"}, {"id": "V2"}, {"id": "V3"}],
                 current=[("R1", "V1"), ("R2", "V2")])
    variant = drop_volunteers(s, 0.0, ids=["V2"])
    assert [v.id for v in variant.volunteers] == ["V1", "V3"]
    assert [(p.resident, p.volunteer) for p in variant.current] == [("R1", "V1")]
    assert variant.resident("R1").exclude_volunteers == ("V3",)
    with pytest.raises(ValueError, match="not a volunteer of the scenario: V9"):
        drop_volunteers(s, 0.0, ids=["V9"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        drop_volunteers(s, 1.5)


def test_scale_demand_rounds_at_random_within_the_caps(station):
    assert scale_demand(station, 1.0) == station
    needs = [need for r in station.residents for need in r.needs]

    def days(need) -> int:
        return len({w.day for w in need.windows})

    doubled = [need for r in scale_demand(station, 2.0).residents for need in r.needs]
    assert [n.visits_per_week for n in doubled] == [
        max(n.visits_per_week, min(2 * n.visits_per_week, 7, days(n))) for n in needs]
    more = scale_demand(station, 1.5, seed=5)
    assert more == scale_demand(station, 1.5, seed=5)
    scaled = [need for r in more.residents for need in r.needs]
    for before, after in zip(needs, scaled, strict=True):
        exact = before.visits_per_week * 1.5
        allowed = {math.floor(exact), math.ceil(exact)}
        ceiling = max(before.visits_per_week, min(7, days(before)))
        assert after.visits_per_week in {min(v, ceiling) for v in allowed}
        assert (after.service, after.windows) == (before.service, before.windows)
    total_before = sum(n.visits_per_week for n in needs)
    assert total_before < sum(n.visits_per_week for n in scaled) <= 1.5 * total_before + 10
    halved = [need for r in scale_demand(station, 0.1).residents for need in r.needs]
    assert all(n.visits_per_week >= 1 for n in halved)  # a need keeps at least one visit
    with pytest.raises(ValueError, match="greater than 0"):
        scale_demand(station, 0)


def test_set_volunteer_cap_sets_every_volunteer_with_the_reader_types(station):
    wider = set_volunteer_cap(station, "max_distance_km", 5)
    assert {v.max_distance_km for v in wider.volunteers} == {5.0}
    assert all(isinstance(v.max_distance_km, float) for v in wider.volunteers)
    assert [replace(v, max_distance_km=0) for v in wider.volunteers] == [
        replace(v, max_distance_km=0) for v in station.volunteers]
    assert {v.max_residents for v in set_volunteer_cap(station, "max_residents", "3").volunteers} == {3}
    assert {v.travel for v in set_volunteer_cap(station, "travel", "bike").volunteers} == {"bike"}
    assert {v.max_hours_per_week
            for v in set_volunteer_cap(station, "max_hours_per_week", 6.5).volunteers} == {6.5}
    for field, value, message in (("max_distance_km", -1, "greater than 0"),
                                  ("max_residents", 1.5, "whole number"),
                                  ("travel", "rocket", "not a travel mode"),
                                  ("skills", "x", "not a volunteer setting"),
                                  ("max_hours_per_week", "lots", "not a number")):
        with pytest.raises(ValueError, match=message):
            set_volunteer_cap(station, field, value)


def test_a_written_variant_reads_back_equal_and_solves_to_a_valid_roster(station, tmp_path):
    variant = set_volunteer_cap(
        scale_demand(drop_volunteers(station, 0.3, seed=2, ids=["V000108"]), 1.3, seed=2),
        "max_distance_km", 4)
    path = write_scenario_file(variant, tmp_path / "variant")
    back = read_scenario(path)
    assert back == variant
    assert back.source == str(path)
    roster = matcher.solve(back, time_limit_s=5).write(tmp_path / "roster")
    assert check_roster(back, roster) == []
    # The tiny scenario names its config by path; the variant carries it inline.
    tiny = read_scenario(TINY)
    assert read_scenario(write_scenario_file(tiny, tmp_path / "tiny")) == tiny


# -- comparison ----------------------------------------------------------------------------

def test_compare_dropout_matches_a_hand_count(dropout):
    base, variant, base_dir, variant_dir = dropout
    assert check_roster(base, base_dir) == []
    assert check_roster(variant, variant_dir) == []
    c = compare_rosters(base_dir, variant_dir, base, variant)

    before, after = _team_sets(base_dir), _team_sets(variant_dir)
    pairs_a, pairs_b = _pair_set(before), _pair_set(after)
    assert c.pairs_kept == len(pairs_a & pairs_b)
    assert c.pairs_removed == len(pairs_a - pairs_b)
    assert c.pairs_new == len(pairs_b - pairs_a)
    assert c.pairs_removed > 0 and c.pairs_new > 0
    changed = {r for r in set(before) | set(after) if before.get(r, set()) != after.get(r, set())}
    assert set(c.residents_changed["resident_id"]) == changed
    for resident in sorted(changed)[:3]:
        assert c.volunteers(resident) == (tuple(sorted(before.get(resident, ()))),
                                          tuple(sorted(after.get(resident, ()))))
        row = c.residents_changed.set_index("resident_id").loc[resident]
        assert row["volunteers_a"] == ";".join(sorted(before.get(resident, ())))
        assert row["volunteers_b"] == ";".join(sorted(after.get(resident, ())))
    gone = {v.id for v in base.volunteers} - {v.id for v in variant.volunteers}
    assert set(c.volunteers_gone) == {v for _, v in pairs_a} & gone
    assert c.pairs_removed_with_volunteer_gone == sum(1 for _, v in pairs_a - pairs_b if v in gone)

    for figures, folder in ((c.a, base_dir), (c.b, variant_dir)):
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        with open(folder / "visits.csv", encoding="utf-8-sig", newline="") as handle:
            visits = list(csv.DictReader(handle))
        assert figures.visits_scheduled == len(visits) == summary["coverage"]["visits_scheduled"]
        assert figures.visits_demanded == summary["coverage"]["visits_demanded"] == 92
        assert figures.coverage == pytest.approx(summary["coverage"]["visit_coverage"], abs=1e-6)
        assert figures.km == summary["terms"]["distance_km"]["value"]
        assert figures.fairness == summary["terms"]["fairness"]["value"]
        assert figures.hours > figures.service_hours > 0
    assert c.a.team_members_assigned == len(pairs_a)
    assert c.b.volunteers_used == len({v for _, v in pairs_b})
    # One station: every visit is counted there, demanded and scheduled.
    stations = c.stations.set_index("station_id")
    assert stations.loc["S0001", "scheduled_a"] == c.a.visits_scheduled
    assert stations.loc["S0001", "scheduled_b"] == c.b.visits_scheduled
    assert stations.loc["S0001", "demanded_b"] == 92
    assert stations.loc["S0001", "change"] == c.b.visits_scheduled - c.a.visits_scheduled
    assert set(c.unmet_by_reason["kind"]) <= KNOWN_KINDS  # every reason has a known kind
    assert c.unmet_by_reason["needs_a"].sum() >= c.a.unmet_needs

    table = comparison_table(c)
    assert "pairs kept" in table
    assert f"{len(changed)} of 40" in table
    assert f"{c.a.coverage:.1%}" in table and f"{c.b.coverage:.1%}" in table
    markdown = comparison_markdown(c)
    assert markdown.startswith("# Roster comparison")
    assert f"| pairs kept | {c.pairs_kept} |" in markdown


def test_compare_without_scenarios_uses_the_folders_alone(dropout):
    _, _, base_dir, variant_dir = dropout
    c = compare_rosters(base_dir, variant_dir)
    assert c.a.hours is None and c.volunteers_gone == ()
    assert c.stations["demanded_a"].isna().all()
    assert c.stations.set_index("station_id").loc["S0001", "scheduled_a"] == c.a.visits_scheduled
    assert "volunteer hours (visits + travel)" in comparison_table(c)
    same = compare_rosters(base_dir, base_dir)
    assert same.pairs_removed == same.pairs_new == 0 and same.residents_changed.empty


def test_reason_kinds_read_the_fixed_words_of_each_reason():
    assert reason_kinds("1 of 2 visits not scheduled: no eligible volunteer within reach is free "
                        "for 60 min during Mon 09:00-11:00; Tue 09:00-11:00; team has 0 of 1 "
                        "members: only 1 volunteer is eligible") == (
        "nobody free during the windows", "team short: too few eligible")
    assert reason_kinds("team has 1 of 2 members: other eligible volunteers: V1 2/2 residents, "
                        "V2 free but not chosen (4.0 h)") == (
        "team short: other eligible volunteers busy or full",)
    assert reason_kinds("1 of 1 visits not scheduled: one-to-one care: the resident's team (V1) "
                        "cannot do this need (skills or free time); 5 volunteers who could would "
                        "mean changing the team") == ("their one volunteer cannot do this need",)
    assert reason_kinds("1 of 1 visits not scheduled: the team is full: the resident's team "
                        "(V1, V2) cannot do this need (skills or free time); 3 volunteers who "
                        "could would mean changing the team") == ("full team cannot do this need",)
    assert reason_kinds("1 of 1 visits not scheduled: no volunteer lives within reach (the "
                        "nearest is 4.2 km away)") == ("nobody within reach",)
    assert reason_kinds("2 of 3 visits not scheduled: 4 new reasons (V1)") == ("N new reasons",)


# -- command line --------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matcher")
    commands = parser.add_subparsers(dest="command")
    add_variant_command(commands)
    add_compare_command(commands)
    return parser


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return args.run(args)


def test_variant_command_writes_the_variant_the_api_makes(station, tmp_path, capsys):
    out = tmp_path / "dropout"
    assert _run(["variant", str(STATION), "-o", str(out), "--drop-volunteers", "0.2",
                 "--seed", "7", "--scale-demand", "1.2", "--set-volunteer",
                 "max_distance_km=5"]) == 0
    assert "96 of 120 volunteers" in capsys.readouterr().out
    expected = set_volunteer_cap(scale_demand(drop_volunteers(station, 0.2, seed=7), 1.2, seed=7),
                                 "max_distance_km", 5)
    text = (out / "scenario.yaml").read_text(encoding="utf-8")
    assert text.startswith("# What-if variant: matcher variant ")
    assert read_scenario(out / "scenario.yaml") == expected


@pytest.mark.parametrize("extra, message", [
    (["--drop-volunteers", "1.5"], "--drop-volunteers 1.5 is out of range"),
    (["--set-volunteer", "max_distance_km"], "is not FIELD=VALUE"),
    (["--set-volunteer", "colour=red"], "'colour' is not a volunteer setting"),
    (["--remove-volunteer", "V999"], "not a volunteer of the scenario: V999"),
    (["--scale-demand", "0"], "--scale-demand 0 must be greater than 0"),
])
def test_variant_command_refuses_bad_options(tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    assert _run(["variant", str(STATION), "-o", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (out / "scenario.yaml").exists()


def test_variant_command_reports_a_missing_scenario(tmp_path, capsys):
    assert _run(["variant", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "out")]) == 2
    assert f"{tmp_path / 'nope.yaml'}: file does not exist" in capsys.readouterr().err


def test_compare_command_prints_the_table_and_writes_markdown(dropout, tmp_path, capsys):
    _, _, base_dir, variant_dir = dropout
    report = tmp_path / "reports" / "dropout.md"
    assert _run(["compare", str(base_dir), str(variant_dir), "--scenario-a", str(STATION),
                 "--scenario-b", str(variant_dir.parent / "variant" / "scenario.yaml"),
                 "--markdown", str(report)]) == 0
    out = capsys.readouterr().out
    assert "Headline" in out and "pairs kept" in out and "Visits per station" in out
    assert "of which the volunteer is not in B's scenario" in out
    assert report.read_text(encoding="utf-8").startswith("# Roster comparison")


def test_compare_command_bad_input_is_a_clear_message(dropout, tmp_path, capsys):
    _, _, base_dir, variant_dir = dropout
    assert _run(["compare", str(base_dir), str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'missing'}: roster folder does not exist" in err
    assert "Traceback" not in err
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "assignments.csv").write_bytes((base_dir / "assignments.csv").read_bytes())
    assert _run(["compare", str(base_dir), str(partial)]) == 2
    assert f"{partial / 'visits.csv'}: file does not exist" in capsys.readouterr().err
    # The variant's roster against the base scenario names no unknown id, but the base
    # roster against the variant scenario names volunteers who dropped out.
    assert _run(["compare", str(base_dir), str(variant_dir), "--scenario-a",
                 str(variant_dir.parent / "variant" / "scenario.yaml")]) == 2
    assert "not in the scenario given for it" in capsys.readouterr().err
    assert _run(["compare", str(base_dir), str(variant_dir), "--scenario-a",
                 str(tmp_path / "nope.yaml")]) == 2
    assert "file does not exist" in capsys.readouterr().err


def test_variant_against_the_base_roster_counts_only_forced_churn(tmp_path):
    # With the base roster as `current`, every base pair whose volunteer stays is worth
    # keeping: the drop-out variant keeps them unless a rule forces otherwise.
    from matcher.whatif import with_current

    base_scenario = read_scenario(STATION)
    base = matcher.solve(base_scenario, time_limit_s=10)
    pairs = list(zip(base.pairs["resident_id"], base.pairs["volunteer_id"], strict=True))
    variant = drop_volunteers(with_current(base_scenario, pairs), 0.2, seed=1)
    kept_possible = {(p.resident, p.volunteer) for p in variant.current}
    assert len(kept_possible) < len(pairs)  # some base pairs lost their volunteer
    result = matcher.solve(variant, time_limit_s=10)
    assert check_roster(variant, result.write(tmp_path / "variant")) == []
    after = set(zip(result.pairs["resident_id"], result.pairs["volunteer_id"], strict=True))
    assert len(after & kept_possible) >= 0.9 * len(kept_possible)
    with pytest.raises(ValueError, match="not in the scenario"):
        with_current(base_scenario, [("R99999", "V000001")])
