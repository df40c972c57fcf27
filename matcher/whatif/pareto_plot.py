"""The trade-off plot of a sweep: the main criteria two by two, the Pareto front marked.

Drawn on matplotlib's Agg canvas directly (no pyplot), so it needs no display and leaves a
notebook's own figures alone. Labels hold only ASCII text: a machine without CJK fonts
would draw Chinese names as empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from matcher.whatif.sweeps import PARETO_CRITERIA, short_names

# (x column, y column) of each panel; km against each other criterion, then coverage
# against continuity, the two a coordinator is most often asked to balance.
PANELS = (("km", "coverage"), ("km", "churn"), ("km", "fairness"), ("churn", "coverage"))
AXIS_LABELS = {
    "km": "km travelled to visits (lower is better)",
    "coverage": "visit coverage, % (higher is better)",
    "churn": "current pairs dropped (lower is better)",
    "fairness": "hours above fair share (lower is better)",
    "unmet_visits": "visits not scheduled (lower is better)",
    "hours": "volunteer hours, visits + travel",
}
COUNTS = ("churn", "unmet_visits")  # whole numbers: no ticks between them
CRITERION_WORDS = {"unmet_visits": "unmet visits", "members_missing": "missing team members",
                   "pairs_kept": "current pairs kept", "residents_fully_served": "residents served",
                   "visits_scheduled": "visits scheduled"}
FRONT_COLOUR, OTHER_COLOUR = "#d62728", "#7f7f7f"


def pareto_figure(table: pd.DataFrame, grid_keys: Sequence[str],
                  criteria: Mapping[str, str] = PARETO_CRITERIA) -> Figure:
    """A 2 x 2 grid of scatter plots; every point labelled with its grid values."""
    figure = Figure(figsize=(12, 9.5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    names = short_names(list(grid_keys))
    label_of = _labels(table, grid_keys)
    for axes, (x, y) in zip(figure.subplots(2, 2).flat, PANELS, strict=True):
        _panel(axes, table, x, y, label_of)
    words = [CRITERION_WORDS.get(column, column) for column in criteria]
    said = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    figure.suptitle(f"Sweep of {len(table)} settings: point labels are "
                    f"{' / '.join(names[key] for key in grid_keys)}\n"
                    f"red stars: non-dominated (no other setting is as good on {said}, and "
                    "better on one of them)", fontsize=11)
    figure.legend(handles=[
        Line2D([], [], marker="*", color=FRONT_COLOUR, linestyle="", markersize=13,
               label="non-dominated (Pareto front)"),
        Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor=OTHER_COLOUR,
               linestyle="", markersize=8, label="dominated")],
        loc="outside lower center", ncol=2, fontsize=10, frameon=False)
    return figure


def pareto_png(table: pd.DataFrame, grid_keys: Sequence[str],
               criteria: Mapping[str, str] = PARETO_CRITERIA) -> bytes:
    figure = pareto_figure(table, grid_keys, criteria)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _labels(table: pd.DataFrame, grid_keys: Sequence[str]) -> list[str]:
    def show(value) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)

    return ["/".join(show(value) for value in values)
            for values in table[list(grid_keys)].itertuples(index=False, name=None)]


def _clusters(xs, ys, near: float = 0.04) -> list[list[int]]:
    """Points drawn on top of or close to each other (within `near` of each axis's range),
    grouped so that they share one label instead of writing labels over each other."""
    spans = [float(values.max() - values.min()) or 1.0 for values in (xs, ys)]
    clusters: list[list[int]] = []
    for i in sorted(range(len(xs)), key=lambda i: (xs[i], ys[i], i)):
        for cluster in clusters:
            first = cluster[0]
            if abs(xs[i] - xs[first]) <= near * spans[0] and \
                    abs(ys[i] - ys[first]) <= near * spans[1]:
                cluster.append(i)
                break
        else:
            clusters.append([i])
    return [sorted(cluster) for cluster in clusters]


def _values(table: pd.DataFrame, column: str) -> pd.Series:
    values = table[column].astype(float)
    return values * 100 if column == "coverage" else values


def _panel(axes, table: pd.DataFrame, x: str, y: str, label_of: list[str]) -> None:
    xs, ys = _values(table, x), _values(table, y)
    front = table["pareto"].to_numpy(dtype=bool)
    axes.scatter(xs[~front], ys[~front], s=55, facecolors="none", edgecolors=OTHER_COLOUR,
                 linewidths=1.3, zorder=2)
    axes.scatter(xs[front], ys[front], s=170, marker="*", color=FRONT_COLOUR, zorder=3)
    for rows in _clusters(xs.to_numpy(), ys.to_numpy()):
        mixed = front[rows].any() and not front[rows].all()
        # In a label shared by front and dominated points, "*" marks the front's settings.
        text = "\n".join(label_of[i] + (" *" if mixed and front[i] else "") for i in rows)
        colour = FRONT_COLOUR if front[rows].any() else "#404040"
        axes.annotate(text, (xs.iloc[rows[0]], ys.iloc[rows[0]]), xytext=(9, 0),
                      textcoords="offset points", fontsize=8, color=colour, va="center",
                      linespacing=1.0)
    axes.set_xlabel(AXIS_LABELS.get(x, x), fontsize=9)
    axes.set_ylabel(AXIS_LABELS.get(y, y), fontsize=9)
    for column, axis in ((x, axes.xaxis), (y, axes.yaxis)):
        if column in COUNTS:
            axis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(True, alpha=0.3)
    axes.margins(x=0.22, y=0.12)  # room for the labels right of the points
    for column, setter in ((xs, axes.set_xlim), (ys, axes.set_ylim)):
        if column.max() == column.min():  # a constant criterion: centre it, not at an edge
            middle = float(column.iloc[0])
            spread = max(abs(middle) * 0.05, 1.0)
            setter(middle - spread, middle + spread)
