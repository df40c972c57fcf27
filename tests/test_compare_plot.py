"""`matcher compare --plot`: bar charts of two rosters, written as a PNG."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import matcher
from matcher.cli import main
from matcher.whatif import compare_rosters, drop_volunteers, write_scenario_file
from matcher.whatif.compare_plot import MAX_STATIONS, comparison_figure

TINY = Path(__file__).resolve().parent.parent / "scenarios" / "tiny" / "scenario.yaml"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def rosters(tmp_path_factory):
    """The tiny scenario and a variant without the volunteer who cuts hair, both solved."""
    folder = tmp_path_factory.mktemp("compare")
    base = matcher.read_scenario(TINY)
    variant_file = write_scenario_file(drop_volunteers(base, 0.0, ids=["V01"]),
                                       folder / "variant")
    a = matcher.solve(base, time_limit_s=10).write(folder / "a")
    b = matcher.solve(variant_file, time_limit_s=10).write(folder / "b")
    return a, b, variant_file


def test_compare_plot_is_written_beside_the_table(rosters, tmp_path, capsys):
    a, b, variant_file = rosters
    plot = tmp_path / "plots" / "a_vs_b.png"
    code = main(["compare", str(a), str(b), "--scenario-a", str(TINY), "--scenario-b",
                 str(variant_file), "--plot", str(plot)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Headline" in out and f"plot written to {plot}" in out
    assert plot.read_bytes().startswith(PNG) and plot.stat().st_size > 10_000
    # Without scenarios the station panel shows visits scheduled rather than coverage.
    assert main(["compare", str(a), str(b), "--plot", str(tmp_path / "bare.png")]) == 0
    assert (tmp_path / "bare.png").read_bytes().startswith(PNG)


def test_compare_plot_that_cannot_be_written_is_a_clear_message(rosters, tmp_path, capsys):
    a, b, _ = rosters
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["compare", str(a), str(b), "--plot", str(blocker / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err


def test_the_station_panel_keeps_the_largest_changes_of_many_stations(rosters):
    a, b, _ = rosters
    comparison = compare_rosters(a, b)
    many = pd.DataFrame({
        "station_id": [f"S{i:03d}" for i in range(80)], "station_name": [""] * 80,
        "demanded_a": pd.array([None] * 80, dtype="Int64"), "scheduled_a": [10] * 80,
        "demanded_b": pd.array([None] * 80, dtype="Int64"),
        "scheduled_b": [10 + (i % 7) - 3 for i in range(80)],
        "change": [(i % 7) - 3 for i in range(80)]})
    figure = comparison_figure(replace(comparison, stations=many))
    station_axes = figure.axes[2]
    labels = [tick.get_text() for tick in station_axes.get_yticklabels()]
    assert len(labels) == MAX_STATIONS
    assert f"{MAX_STATIONS} largest changes of 80 stations" in station_axes.get_title()
    shown = many.set_index("station_id").loc[labels, "change"].abs()
    assert shown.min() >= many["change"].abs().sort_values().iloc[-MAX_STATIONS]
