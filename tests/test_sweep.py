"""Sweeps of settings: grid parsing, Pareto marking, serial against Dask, the command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import matcher
from matcher.check import check_roster
from matcher.cli import main
from matcher.whatif import GridError, pareto_mask, parse_grid, sweep
from matcher.whatif.sweeps import check_grid, point_label
from tests.scenarios import BASE_LAT, BASE_LON, scenario

TINY = Path(__file__).resolve().parent.parent / "scenarios" / "tiny" / "scenario.yaml"
GRID = {"weights.distance_km": [0.5, 2], "weights.churn": [0, 200]}


def _trade_off():
    """Two residents, each with a current volunteer 2.2 km away, and one volunteer next door
    who can take only one of them: moving a resident saves km and costs a current pair, so
    the churn weight decides, and a low and a high churn weight are both non-dominated."""
    residents = [{"id": f"R{i}", "lat": BASE_LAT, "lon": BASE_LON + 0.001 * i,
                  "needs": [{"service": "companionship", "visits_per_week": 2, "duration_min": 60,
                             "windows": ["Mon-Fri 09:00-12:00"]}]} for i in (1, 2)]
    volunteers = [{"id": "V1", "max_residents": 1},
                  {"id": "V2", "lat": BASE_LAT + 0.015},
                  {"id": "V3", "lat": BASE_LAT - 0.015}]
    return scenario(residents, volunteers, current=[("R1", "V2"), ("R2", "V3")])


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    table = sweep(_trade_off(), GRID, client="serial", time_limit_s=10, out_dir=out,
                  keep_rosters=True)
    return table, out


def test_a_sweep_on_a_dask_cluster_gives_the_serial_table_and_valid_rosters(serial_run,
                                                                            tmp_path):
    from distributed import Client, LocalCluster

    serial, serial_out = serial_run
    s = _trade_off()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        spread = sweep(s, GRID, client=client, time_limit_s=10, out_dir=tmp_path,
                       keep_rosters=True)
        # The command on the same cluster, by its address, gives the same table again.
        command_out = tmp_path / "command"
        assert main(["sweep", str(TINY), "--grid", "weights.churn=0,200", "-o", str(command_out),
                     "--scheduler", cluster.scheduler_address, "--time-limit", "10",
                     "--quiet"]) == 0
    assert main(["sweep", str(TINY), "--grid", "weights.churn=0,200", "-o",
                 str(tmp_path / "serial_command"), "--serial", "--time-limit", "10",
                 "--quiet"]) == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(command_out / "results.csv").drop(columns=["solve_seconds"]),
        pd.read_csv(tmp_path / "serial_command" / "results.csv").drop(columns=["solve_seconds"]))
    seconds = ["solve_seconds"]
    pd.testing.assert_frame_equal(serial.drop(columns=seconds), spread.drop(columns=seconds))
    assert list(serial["settings"]) == ["distance_km=0.5 churn=0", "distance_km=0.5 churn=200",
                                        "distance_km=2 churn=0", "distance_km=2 churn=200"]
    # The grid matters here: without a churn weight one resident moves next door.
    assert list(serial["churn"]) == [1, 0, 1, 0]
    assert list(serial["pairs_kept"]) == [1, 2, 1, 2]
    assert serial["km"].iloc[0] < serial["km"].iloc[1]
    assert serial["pareto"].all()
    assert (serial["status"] == "optimal").all()
    for out, table in ((serial_out, serial), (tmp_path, spread)):
        for folder in table["roster"]:
            assert check_roster(s, out / folder) == []


def test_the_sweep_folder_holds_the_table_as_csv_and_parquet_and_the_plot(serial_run):
    table, out = serial_run
    csv = pd.read_csv(out / "results.csv", encoding="utf-8-sig")
    parquet = pd.read_parquet(out / "results.parquet")
    pd.testing.assert_frame_equal(parquet, table)
    assert list(csv.columns) == list(table.columns)
    assert list(csv["pareto"]) == list(table["pareto"])
    for term in ("unmet_visit", "distance_km", "churn", "fairness", "cohesion"):
        assert f"term_{term}" in table.columns and f"cost_{term}" in table.columns
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pareto_marks_the_rows_no_other_row_beats_on_every_criterion():
    table = pd.DataFrame({
        "unmet_visits": [0, 0, 1, 0, 2, 0],
        "km": [10.0, 12.0, 5.0, 10.0, 5.0, 9.0],
        "churn": [3, 3, 0, 3, 0, 4],
        "fairness": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    })
    # Row 1 loses to row 0 on km; row 4 to row 2 on unmet visits; rows 0 and 3 tie, and a
    # tie dominates neither; row 5 trades km for churn against row 0.
    criteria = {"unmet_visits": "min", "km": "min", "churn": "min", "fairness": "min"}
    assert list(pareto_mask(table, criteria)) == [True, False, True, True, False, True]
    # Fairness worse where km is better: row 5 is no longer beaten by row 0 alone.
    table.loc[1, "fairness"] = 0.5
    assert list(pareto_mask(table, criteria)) == [True, True, True, True, False, True]
    assert list(pareto_mask(table)) == [True, False, True, True, False, True]
    # Maximising coverage is minimising its negative.
    frame = pd.DataFrame({"coverage": [0.9, 0.8, 0.9], "km": [5.0, 4.0, 6.0]})
    assert list(pareto_mask(frame, {"coverage": "max", "km": "min"})) == [True, True, False]
    with pytest.raises(ValueError, match="not a column"):
        pareto_mask(frame, {"hours": "min"})


def test_grid_items_parse_to_values_and_points_follow_the_grid_order():
    grid = parse_grid(["weights.distance_km=0.5, 1,2", "defaults.volunteer.travel=walk,bike"])
    assert grid == {"weights.distance_km": [0.5, 1, 2], "defaults.volunteer.travel": ["walk", "bike"]}
    points = check_grid(grid)
    assert len(points) == 6
    assert points[1] == {"weights.distance_km": 0.5, "defaults.volunteer.travel": "bike"}
    assert point_label(points[1]) == "distance_km=0.5 travel=bike"


@pytest.mark.parametrize("items, message", [
    (["weights.distance_km"], "is not KEY=VALUE"),
    (["weights.churn="], "has no values"),
    (["weights.churn=1,,2"], "empty value"),
    (["weights.churn=1", "weights.churn=2"], "given twice"),
])
def test_grid_items_of_the_wrong_form_are_refused(items, message):
    with pytest.raises(GridError, match=message):
        parse_grid(items)


@pytest.mark.parametrize("grid, message", [
    ({"weights.distanse_km": [1, 2]}, "unknown setting (did you mean 'distance_km'?)"),
    ({"weights.churn": [0, -5]}, "weights.churn: -5 must be at least 0"),
    ({"weights.churn": ["lots"]}, "'lots' is not a number"),
    ({"solver.seed": [1.5]}, "must be a whole number"),
    ({"weights.churn": [1, 1]}, "listed twice"),
    ({"weights.churn": []}, "non-empty list"),
    ({}, "grid is empty"),
])
def test_grid_keys_and_values_are_checked_like_settings(grid, message):
    with pytest.raises(GridError) as caught:
        sweep(_trade_off(), grid, client="serial")
    assert message in str(caught.value)


def test_cli_bad_grid_exits_2_with_every_problem_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["sweep", str(TINY), "--grid", "weights.distanse_km=1,2", "--grid",
                 "weights.churn=0,-1", "--grid", "nonsense", "-o", str(out), "--serial"])
    err = capsys.readouterr().err
    assert code == 2
    assert "'nonsense' is not KEY=VALUE" in err
    code = main(["sweep", str(TINY), "--grid", "weights.distanse_km=1,2", "--grid",
                 "weights.churn=0,-1", "-o", str(out), "--serial"])
    err = capsys.readouterr().err
    assert code == 2
    assert "did you mean 'distance_km'?" in err and "-1 must be at least 0" in err
    assert "Traceback" not in err
    assert not out.exists()
    for extra, message in ((["--dask-workers", "0"], "--dask-workers 0 must be at least 1"),
                           (["--serial", "--dask-workers", "3"], "does not apply with --serial"),
                           (["--time-limit", "0"], "--time-limit 0 must be greater than 0"),
                           (["--pareto-on", "km,speed"], "cannot take a Pareto front on 'speed'")):
        code = main(["sweep", str(TINY), "--grid", "weights.churn=0,1", "-o", str(out), *extra])
        assert code == 2
        assert message in capsys.readouterr().err
        assert not out.exists()


def test_cli_sweep_writes_results_plot_and_rosters(tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(["sweep", str(TINY), "--grid", "weights.fairness=0,5", "-o", str(out),
                 "--serial", "--time-limit", "10", "--keep-rosters"])
    captured = capsys.readouterr()
    assert code == 0
    assert "point 2 (2/2 done) fairness=5" in captured.err
    assert "2 settings solved" in captured.out
    table = pd.read_csv(out / "results.csv", encoding="utf-8-sig")
    assert list(table["weights.fairness"]) == [0, 5]
    assert len(pd.read_parquet(out / "results.parquet")) == 2
    assert (out / "pareto.png").stat().st_size > 10_000
    s = matcher.read_scenario(TINY)
    for folder in table["roster"]:
        assert check_roster(s, out / folder) == []
    code = main(["sweep", str(TINY), "--grid", "weights.fairness=0", "-o", str(out),
                 "--serial", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == "" and captured.out == ""
    assert len(pd.read_csv(out / "results.csv", encoding="utf-8-sig")) == 1


def test_a_hint_from_another_scenario_is_matched_by_ids():
    s = _trade_off()
    first = matcher.solve(s, time_limit_s=10)
    # The same residents and volunteers in another order: a Solution in the first
    # scenario's indices would point at the wrong people, a Result is matched by ids.
    reordered = scenario([{"id": r.id, "lat": r.lat, "lon": r.lon,
                           "needs": [{"service": "companionship", "visits_per_week": 2,
                                      "duration_min": 60, "windows": ["Mon-Fri 09:00-12:00"]}]}
                          for r in reversed(s.residents)],
                         [{"id": v.id, "lat": v.lat, "lon": v.lon,
                           "max_residents": v.max_residents} for v in reversed(s.volunteers)],
                         current=[("R1", "V2"), ("R2", "V3")])
    again = matcher.solve(reordered, time_limit_s=10, hint=first)
    assert again.objective == pytest.approx(first.objective)
    assert set(map(tuple, again.pairs[["resident_id", "volunteer_id"]].to_numpy())) == \
        set(map(tuple, first.pairs[["resident_id", "volunteer_id"]].to_numpy()))
    from matcher.solution import Solution

    with pytest.raises(ValueError, match="does not hold"):
        matcher.solve(s, time_limit_s=10, hint=Solution(((0, 99),), ()))
