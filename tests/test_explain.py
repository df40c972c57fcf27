"""`matcher explain`: term values checked by hand, the rule named for each nearby volunteer,
suggested changes that really serve the need once applied and re-solved, and the command
line (JSON, languages, bad input)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import matcher
from matcher.check import check_roster
from matcher.cli import main
from matcher.explain import (
    explain_pair,
    explain_resident,
    explain_roster,
    explain_volunteer,
    open_roster,
    render_pair,
    render_resident,
    smallest_change,
    write_trial_roster,
)
from matcher.explain.changes import KINDS
from matcher.explain.rules import VERDICTS
from matcher.explain.words import _CHANGES, _VERDICTS, compact_windows
from matcher.scenario import read_scenario
from matcher.scenario.windows import parse_windows
from tests.scenarios import BASE_LAT, KM_PER_HUNDREDTH_DEGREE, scenario

ROOT = Path(__file__).resolve().parent.parent
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"
TINY = ROOT / "scenarios" / "tiny" / "scenario.yaml"
WALK_KMH = 4.5


def _solved(s, folder: Path) -> Path:
    out = matcher.solve(s, time_limit_s=10).write(folder)
    assert check_roster(s, out) == []
    return out


def _two_volunteers(current=None):
    """R1 needs two 60-min visits; V1 lives 0.01 degree north of R1, V2 0.015 degree (so
    that two visits with travel, 235.6 minutes, still fit V2's 4 hours)."""
    need = {"service": "companionship", "visits_per_week": 2, "duration_min": 60,
            "windows": ["Mon,Wed 09:00-12:00"]}
    return scenario([{"needs": [need]}],
                    [{"id": "V1", "lat": BASE_LAT + 0.01}, {"id": "V2", "lat": BASE_LAT + 0.015}],
                    current=current)


def _excess_hours(km: float, visits: int, share_minutes: float) -> float:
    load = visits * (60 + 2 * km / WALK_KMH * 60)
    return max(load - share_minutes, 0.0) / 60


def test_pair_terms_and_alternative_match_a_count_by_hand(tmp_path):
    s = _two_volunteers()
    state = open_roster(_solved(s, tmp_path / "r"), s)
    e = explain_pair(state, "R1", "V1")
    d1, d2 = KM_PER_HUNDREDTH_DEGREE, 1.5 * KM_PER_HUNDREDTH_DEGREE
    # Fair share: 120 minutes asked of 480 offered, so each volunteer's share is a quarter
    # of their 4 h: 60 minutes.
    terms = {line.term: line for line in e.terms}
    assert terms["distance_km"].value == pytest.approx(2 * d1, abs=1e-4)
    assert terms["fairness"].value == pytest.approx(_excess_hours(d1, 2, 60), abs=1e-4)
    assert terms["fairness"].cost == pytest.approx(5 * _excess_hours(d1, 2, 60), abs=1e-4)
    assert terms["preference"].value == terms["churn"].value == terms["cohesion"].value == 0
    assert e.total == pytest.approx(state.evaluation.objective, abs=1e-6)  # the only pair
    [alternative] = e.alternatives
    assert alternative.volunteer == "V2"
    assert alternative.deltas["distance_km"] == pytest.approx(2 * (d2 - d1), abs=1e-4)
    assert alternative.deltas["fairness"] == pytest.approx(
        5 * (_excess_hours(d2, 2, 60) - _excess_hours(d1, 2, 60)), abs=1e-4)
    assert alternative.verdict.rule == "costlier"
    assert alternative.verdict.facts["by"] == pytest.approx(alternative.total, abs=1e-6)
    text = render_pair(e, "en")
    assert "V2" in text and "would cost" in text


def test_churn_keeps_the_incumbent_and_the_pair_says_so(tmp_path):
    s = _two_volunteers(current=[("R1", "V2")])
    state = open_roster(_solved(s, tmp_path / "r"), s)
    e = explain_pair(state, "R1", "V2")
    assert e.incumbent
    [alternative] = e.alternatives
    assert alternative.volunteer == "V1"
    assert alternative.deltas["churn"] == 50  # V1 would drop the current pair
    assert alternative.verdict.rule == "costlier"


def _blocked_scenario():
    """A child R1 whose rehab need every nearby volunteer is kept from by one rule each."""
    ok = {"skills": ["rehab"], "gender": "female", "languages": ["tangshan_dialect"],
          "availability": ["Mon 08:00-12:00"]}
    volunteers = [
        {**ok, "id": "VD", "lat": BASE_LAT + 0.025},  # 3.61 km away, travels 3 km
        {**ok, "id": "VS"},  # the one without a safeguarding check
        {**ok, "id": "VX"},
        {**ok, "id": "VG", "gender": "male"},
        {**ok, "id": "VL", "languages": ["putonghua"]},
        {**ok, "id": "VK", "skills": []},
        {**ok, "id": "VT", "availability": ["Tue 08:00-12:00"]},
        {**ok, "id": "VC", "lat": BASE_LAT - 0.0125, "max_residents": 1},
        {**ok, "id": "VH", "lat": BASE_LAT + 0.001, "max_hours_per_week": 1.0},
    ]
    for volunteer in volunteers:
        if volunteer["id"] != "VS":
            volunteer["background_check_until"] = "2027-06-30"
    residents = [
        {"id": "R1", "kind": "child", "exclude_volunteers": ["VX"],
         "require": {"gender": "female", "languages": ["tangshan_dialect"]},
         "needs": [{"service": "rehab", "duration_min": 60, "windows": ["Mon 09:00-10:00"]}]},
        # Only VC reaches R2, and R2 is more urgent, so VC's one place goes to R2.
        {"id": "R2", "name": "王建国", "lat": BASE_LAT - 0.025, "priority": 3,
         "needs": [{"service": "companionship", "duration_min": 60,
                    "windows": ["Mon 08:00-09:00"]}]},
    ]
    return scenario(residents, volunteers)


def test_unmet_need_names_the_rule_for_each_nearby_volunteer(tmp_path):
    s = _blocked_scenario()
    state = open_roster(_solved(s, tmp_path / "r"), s)
    e = explain_resident(state, "R1", search=False)
    [unmet] = e.unmet
    assert unmet.service == "rehab" and unmet.visits_missing == 1
    rules = {n.volunteer: n.verdict.rule for n in unmet.nearby}
    assert rules == {"VD": "distance", "VS": "safeguarding", "VX": "excluded", "VG": "gender",
                     "VL": "language", "VK": "skills", "VT": "time", "VC": "residents_cap",
                     "VH": "hours_cap"}
    verdicts = {n.volunteer: n.verdict.facts for n in unmet.nearby}
    assert verdicts["VC"]["residents"] == ["R2"]
    assert verdicts["VD"]["max_distance_km"] == 3
    assert verdicts["VD"]["needed_km"] == pytest.approx(3.7)  # 3.614 km rounded up to 0.1
    assert verdicts["VK"]["missing"] == ["rehab"]
    for lang, words in (("en", "excluded by the resident"), ("zh", "被服务对象排除")):
        assert words in render_resident(e, lang)


def test_smallest_change_is_the_distance_and_serves_the_need_after_a_full_re_solve(tmp_path):
    s = _blocked_scenario()
    state = open_roster(_solved(s, tmp_path / "r"), s)
    e = explain_resident(state, "R1", time_limit_s=2)
    found = e.unmet[0].search.found
    assert found.accepted
    assert found.change.as_dict() == {"kind": "distance", "volunteer": "VD",
                                      "field": "max_distance_km", "from": 3, "to": 3.7}
    changed = found.change.apply(s)
    patched = write_trial_roster(found, tmp_path / "patched")
    assert check_roster(changed, patched) == []
    assert "R1" not in set(pd.read_csv(patched / "unmet.csv", encoding="utf-8-sig")["resident_id"])
    # The whole changed scenario solved from scratch serves R1 too.
    full = _solved(changed, tmp_path / "full")
    assert "R1" not in set(pd.read_csv(full / "unmet.csv", encoding="utf-8-sig")["resident_id"])


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    s = read_scenario(STATION)
    out = _solved(s, tmp_path_factory.mktemp("station") / "roster")
    return s, out, open_roster(out, s)


def test_station_changes_really_serve_the_needs(station, tmp_path):
    _, _, state = station
    rows = state.loaded.tables.unmet
    assert len(rows) >= 3
    for index, row in enumerate(rows[:3]):
        r = state.resident(row.resident)
        search = smallest_change(state, r, state.need_of(r, row.service), row.visits_missing,
                                 time_limit_s=2)
        found = search.found
        assert found is not None and found.accepted, (row, search.as_dict())
        folder = write_trial_roster(found, tmp_path / str(index))
        assert check_roster(found.problem.scenario, folder) == []
        unmet = pd.read_csv(folder / "unmet.csv", encoding="utf-8-sig")
        assert not ((unmet["resident_id"] == row.resident) & (unmet["service"] == row.service)).any()
        # Nothing else lost: every other need has at least the visits it had.
        before = pd.read_csv(state.loaded.folder / "visits.csv", encoding="utf-8-sig")
        after = pd.read_csv(folder / "visits.csv", encoding="utf-8-sig")
        counts_before = before.groupby(["resident_id", "service"]).size()
        counts_after = after.groupby(["resident_id", "service"]).size()
        assert (counts_after.reindex(counts_before.index, fill_value=0) >= counts_before).all()


def test_station_roster_and_volunteer_views_add_up(station):
    _, _, state = station
    roster = explain_roster(state)
    assert len(roster.costliest) == 10
    assert roster.costliest[0].cost >= roster.costliest[-1].cost
    assert sum(t["cost"] for t in roster.terms) == pytest.approx(state.evaluation.objective,
                                                                  abs=1e-3)
    volunteer = state.problem.volunteer_ids[next(iter(state.residents_of))]
    e = explain_volunteer(state, volunteer)
    assert e.hours_used <= e.hours_cap + 1e-9
    assert len(e.nearby) == 10 and all(n.verdict.rule for n in e.nearby)


def test_cli_json_parses_and_both_languages_work(station, capsys):
    _, out, state = station
    args = ["explain", str(out), "--scenario", str(STATION)]
    resident = state.loaded.tables.unmet[0].resident
    assert main([*args, "--resident", resident, "--json", "--time-limit", "2"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["mode"] == "resident" and document["language"] == "zh"
    assert document["unmet"][0]["smallest_change"]["found"]["served"] is True
    r, v = next(iter(state.loaded.solution.pairs))
    pair = [state.problem.resident_ids[r], state.problem.volunteer_ids[v]]
    assert main([*args, "--pair", *pair, "--lang", "en"]) == 0
    assert "What this pair adds to the objective" in capsys.readouterr().out
    assert main([*args, "--pair", *pair]) == 0  # Chinese names: Chinese by default
    assert "此配对对目标值的贡献" in capsys.readouterr().out
    assert main([*args, "--volunteer", pair[1], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["volunteer"] == pair[1]
    assert main([*args, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["costliest"]) == 10


def test_cli_finds_the_scenario_summary_json_records(station, capsys):
    _, out, _ = station
    assert main(["explain", str(out), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["costliest"]) == 10


def test_cli_bad_input_is_a_message_and_exit_2(station, tmp_path, capsys):
    _, out, _ = station
    cases = [
        ([str(tmp_path / "nowhere"), "--scenario", str(STATION)], "is not a roster folder"),
        ([str(out), "--scenario", str(TINY)], "input_hash: the roster was made for other inputs"),
        ([str(out), "--scenario", str(STATION), "--resident", "R404"], "resident R404"),
        ([str(out), "--scenario", str(STATION), "--pair", "R00001", "V000001"],
         "is not in the roster"),
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    cases.append(([str(empty), "--scenario", str(STATION)], "summary.json: file does not exist"))
    # A roster of a scenario built in memory records no file to find it again by.
    unrecorded = tmp_path / "unrecorded"
    shutil.copytree(out, unrecorded)
    summary = json.loads((unrecorded / "summary.json").read_text(encoding="utf-8"))
    del summary["scenario_path"]
    (unrecorded / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    cases.append(([str(unrecorded)], "give the scenario the roster was solved for with --scenario"))
    for args, words in cases:
        assert main(["explain", *args]) == 2, args
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, (args, err)


def test_every_rule_and_change_has_words_in_both_languages():
    for lang in ("en", "zh"):
        assert set(_VERDICTS[lang]) == set(VERDICTS)
        assert set(_CHANGES[lang]) == set(KINDS)
    windows = parse_windows(["Mon-Thu 14:30-16:30", "Sat 09:00-12:00", "Mon,Wed 18:00-19:00"])
    assert compact_windows(windows) == "Mon-Thu 14:30-16:30; Mon,Wed 18:00-19:00; Sat 09:00-12:00"
    assert parse_windows(compact_windows(windows).split("; ")) == windows
