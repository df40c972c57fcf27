"""A comparison as bar charts: coverage, unmet needs by reason, and each station's change.

Drawn on matplotlib's Agg canvas directly (no pyplot), like the sweep's plot. Stations are
labelled by id, not name: a machine without CJK fonts would draw Chinese names as boxes.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from matcher.whatif.compare import Comparison

A_COLOUR, B_COLOUR = "#1f77b4", "#ff7f0e"
GAIN_COLOUR, LOSS_COLOUR = "#2ca02c", "#d62728"
MAX_STATIONS = 30  # stations shown, largest changes first; a city has thousands


def comparison_figure(c: Comparison) -> Figure:
    kinds = len(c.unmet_by_reason)
    stations = min(len(c.stations), MAX_STATIONS)
    rows = max(kinds, stations, 4)
    figure = Figure(figsize=(15, max(4.5, 1.6 + 0.32 * rows)), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    coverage, reasons, by_station = figure.subplots(
        1, 3, gridspec_kw={"width_ratios": [0.8, 1.5, 1.2]})
    _coverage(coverage, c)
    _reasons(reasons, c)
    _stations(by_station, c)
    figure.suptitle("Roster comparison: A (blue) against B (orange)", fontsize=12)
    return figure


def comparison_png(c: Comparison) -> bytes:
    buffer = io.BytesIO()
    comparison_figure(c).savefig(buffer, format="png")
    return buffer.getvalue()


def _coverage(axes, c: Comparison) -> None:
    labels = ["visits\nscheduled"]
    a_values, b_values = [100 * c.a.coverage], [100 * c.b.coverage]
    for figures_a, figures_b, label in (
            ((c.a.residents_fully_served, c.a.residents),
             (c.b.residents_fully_served, c.b.residents), "residents\nfully served"),
            ((c.a.team_members_assigned, c.a.team_members_demanded),
             (c.b.team_members_assigned, c.b.team_members_demanded), "team members\nassigned")):
        if figures_a[1] and figures_b[1] and figures_a[0] is not None and figures_b[0] is not None:
            labels.append(label)
            a_values.append(100 * figures_a[0] / figures_a[1])
            b_values.append(100 * figures_b[0] / figures_b[1])
    x = np.arange(len(labels))
    for offset, values, colour, name in ((-0.2, a_values, A_COLOUR, "A"),
                                         (0.2, b_values, B_COLOUR, "B")):
        bars = axes.bar(x + offset, values, width=0.4, color=colour, label=name)
        axes.bar_label(bars, fmt="%.1f", fontsize=8, padding=2)
    axes.set_xticks(x, labels, fontsize=8)
    axes.set_ylim(0, 125)  # room above 100 % for the values and the legend
    axes.set_ylabel("% of demand")
    axes.set_title("Coverage", fontsize=10)
    axes.legend(fontsize=8, loc="upper right", ncol=2)


def _reasons(axes, c: Comparison) -> None:
    table = c.unmet_by_reason
    axes.set_title("Unmet needs by reason (rows of unmet.csv)", fontsize=10)
    if table.empty:
        _nothing(axes, "no unmet needs in A or B")
        return
    y = np.arange(len(table))
    axes.barh(y - 0.2, table["needs_a"], height=0.4, color=A_COLOUR, label="A")
    axes.barh(y + 0.2, table["needs_b"], height=0.4, color=B_COLOUR, label="B")
    axes.set_yticks(y, table["kind"], fontsize=8)
    _rows_downwards(axes, len(table))  # most frequent reason on top, as in the table
    axes.set_xlabel("needs")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(fontsize=8, loc="lower right")
    axes.grid(True, axis="x", alpha=0.3)


def _stations(axes, c: Comparison) -> None:
    table = c.stations.copy()
    demanded = table[["demanded_a", "demanded_b"]]
    if not table.empty and demanded.notna().all().all() and (demanded > 0).all().all():
        # With both scenarios, the change in each station's share of demand served.
        table["delta"] = 100 * (table["scheduled_b"] / table["demanded_b"].astype(float)
                                - table["scheduled_a"] / table["demanded_a"].astype(float))
        unit = "change in visit coverage, percentage points"
    else:
        table["delta"] = table["change"].astype(float)
        unit = "change in visits scheduled"
    title = "Per station: B minus A"
    if len(table) > MAX_STATIONS:
        title += f" ({MAX_STATIONS} largest changes of {len(table)} stations)"
        table = table.reindex(table["delta"].abs().sort_values(ascending=False, kind="stable")
                              .index[:MAX_STATIONS])
    axes.set_title(title, fontsize=10)
    if table.empty:
        _nothing(axes, "no stations")
        return
    labels = [station or "(no station)" for station in table["station_id"]]
    y = np.arange(len(table))
    colours = [GAIN_COLOUR if value >= 0 else LOSS_COLOUR for value in table["delta"]]
    bars = axes.barh(y, table["delta"], height=0.6, color=colours)
    axes.bar_label(bars, labels=[f"{value:+.1f}" for value in table["delta"]], fontsize=7,
                   padding=2)
    axes.set_yticks(y, labels, fontsize=8)
    _rows_downwards(axes, len(table))
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(unit)
    limit = max(float(pd.Series(table["delta"]).abs().max()), 1.0) * 1.25
    axes.set_xlim(-limit, limit)
    axes.grid(True, axis="x", alpha=0.3)


def _rows_downwards(axes, rows: int) -> None:
    """First row on top; a few rows keep the height of four rather than filling the panel."""
    axes.set_ylim(max(rows, 4) - 0.5, -0.5)


def _nothing(axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])
