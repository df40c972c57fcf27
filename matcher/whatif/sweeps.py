"""A sweep: the same scenario solved at every point of a grid of settings, one row per point.

    >>> from matcher.whatif import sweep
    >>> table = sweep("scenarios/station/scenario.yaml",
    ...               {"weights.distance_km": [0.5, 1, 2], "weights.churn": [0, 50, 200]},
    ...               client="serial", time_limit_s=10, out_dir="out/sweep")
    >>> table[table["pareto"]]          # the settings no other setting beats on every criterion

A grid names any config key that `matcher solve --set` accepts, with a list of values; its
points are the cartesian product, the first key changing slowest. Each row holds the grid
values, the roster's coverage, unmet visits, km, volunteer hours, fairness, churn, the
objective, bound and gap, every objective term (raw value and weighted cost), the solve
seconds and status, and whether the point is on the Pareto front (`pareto`): no other
point is as good on every criterion (by default unmet visits, km and churn) and better on
one. The objective is not a criterion: each point weighs the terms its own way.

Order independence: the first point is solved as `matcher solve` would solve it, and every
other point starts its search from the first point's roster (`matcher.solve(hint=...)`).
So each point's roster depends only on the inputs, its settings and the first point, never
on which points happened to finish before it, and a sweep run in-process ("serial") gives
the same table as one spread over a Dask cluster (solve seconds apart). A point stopped by
the wall clock rather than by its step budget says `time limit` in its status, and such a
point may differ from one run to the next.

Execution: `client="serial"` solves in this process; `client=None` starts a local Dask
cluster of `n_workers` processes (one thread each: every point is solved with
`workers=1`, on one core, whatever the scenario's `solver.workers` says);
a `tcp://host:port` address or a `distributed.Client` uses a running cluster. Each point is
one task taking picklable values (the Scenario, a settings mapping, the hint roster) and
returning a plain dict, so workers on other machines need only `matcher` installed.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from matcher.errors import InputProblem
from matcher.objective import TERMS, volunteer_load_minutes
from matcher.output import roster_files, safe_cell, write_folder
from matcher.scenario import Scenario, read_scenario
from matcher.scenario.config import check_config, merge_settings
from matcher.settings import nested, parse_value, split_assignment
from matcher.solution import Solution

if TYPE_CHECKING:
    from matcher.api import Result

SERIAL = "serial"
DEFAULT_DASK_WORKERS = 2
POINTS_FOLDER = "points"
# Whether more or less of a figure is better, for the criteria a Pareto front may be taken on.
SENSES: dict[str, str] = {
    "coverage": "max", "visits_scheduled": "max", "residents_fully_served": "max",
    "pairs_kept": "max", "unmet_visits": "min", "members_missing": "min", "km": "min",
    "hours": "min", "fairness": "min", "churn": "min",
}
# The default front: service, travel and continuity, the three a coordinator is asked to
# balance. Coverage is not listed: with demand fixed, fewer unmet visits is higher coverage.
# Fairness is plotted but left out, as with four criteria nearly every setting is on the
# front and the mark says little; name it to include it.
PARETO_CRITERIA: dict[str, str] = {"unmet_visits": "min", "km": "min", "churn": "min"}

Progress = Callable[[str], None]


def criteria_from(names: Iterable[str]) -> dict[str, str]:
    """Column names as Pareto criteria with their senses; ValueError for an unknown one."""
    criteria = {}
    for name in names:
        if name not in SENSES:
            raise ValueError(f"cannot take a Pareto front on {name!r} (expected some of "
                             f"{', '.join(SENSES)})")
        criteria[name] = SENSES[name]
    if not criteria:
        raise ValueError("a Pareto front needs at least one criterion")
    return criteria


class GridError(ValueError):
    """A grid that cannot be swept; `problems` lists every thing wrong with it."""

    def __init__(self, problems: Iterable[str]):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


# -- the grid ------------------------------------------------------------------------------

def parse_grid(items: Iterable[str]) -> dict[str, list]:
    """`--grid` items such as `weights.distance_km=0.5,1,2` as {key: [values]}.

    Values are read as YAML scalars, like `--set`. Raises GridError listing every item that
    is not KEY=V1,V2,..., names a key twice or has an empty value; whether the keys and
    values are valid settings is `check_grid`'s job.
    """
    grid: dict[str, list] = {}
    problems = []
    for item in items:
        try:
            path, text = split_assignment(item)
        except ValueError as error:
            problems.append(f"--grid {error}")
            continue
        key = ".".join(path)
        texts = [part.strip() for part in text.split(",")]
        if key in grid:
            problems.append(f"--grid {key} is given twice (list all its values in one --grid)")
        elif not any(texts):
            problems.append(f"--grid {item!r} has no values (expected like {key}=0.5,1,2)")
        elif not all(texts):
            problems.append(f"--grid {item!r} has an empty value between commas")
        else:
            grid[key] = [parse_value(part) for part in texts]
    if problems:
        raise GridError(problems)
    return grid


def check_grid(grid: Mapping[str, Sequence]) -> list[dict[str, Any]]:
    """The grid's points (cartesian product, first key slowest) as {key: value} dicts.

    Raises GridError listing every key that is not a config setting and every value the
    setting does not accept, with the message `--set` would give.
    """
    problems: list[str] = []
    if not grid:
        raise GridError(["the grid is empty (expected at least one KEY=V1,V2,...)"])
    for key, values in grid.items():
        path = tuple(part for part in str(key).split(".") if part)
        if not path:
            problems.append(f"--grid: {key!r} is not a setting (expected like weights.churn)")
            continue
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            problems.append(f"--grid {key}: expected a non-empty list of values, not {values!r}")
            continue
        for value in values:
            found: list[InputProblem] = []
            check_config(nested(path, value), "--grid", found)
            for problem in found:
                message = f"{problem.field}: {problem.message}"
                if f"--grid: {message}" not in problems:
                    problems.append(f"--grid: {message}")
            if found and "unknown setting" in found[0].message:
                break  # one message for an unknown key, not one per value
        duplicates = sorted({repr(v) for v in values if list(values).count(v) > 1})
        if duplicates:
            problems.append(f"--grid {key}: value {', '.join(duplicates)} is listed twice")
    if problems:
        raise GridError(problems)
    return [dict(zip(grid, combination, strict=True))
            for combination in itertools.product(*grid.values())]


def point_settings(point: Mapping[str, Any]) -> dict:
    """A point {dotted key: value} as a nested config mapping."""
    settings: dict = {}
    for key, value in point.items():
        settings = merge_settings(settings, nested(key.split("."), value))
    return settings


def point_label(point: Mapping[str, Any]) -> str:
    """`distance_km=0.5 churn=0`: each key by its last part, unless two keys share it."""
    names = short_names(list(point))
    return " ".join(f"{names[key]}={_show(value)}" for key, value in point.items())


def short_names(keys: Sequence[str]) -> dict[str, str]:
    """Each dotted key by its last part, or in full where two keys end alike."""
    last = [key.rsplit(".", 1)[-1] for key in keys]
    return {key: short if last.count(short) == 1 else key
            for key, short in zip(keys, last, strict=True)}


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# -- one point -----------------------------------------------------------------------------

def solve_point(scenario: Scenario, settings: Mapping, hint: Solution | None = None, *,
                keep_roster: bool = False, return_solution: bool = False) -> dict:
    """Solve one point: the task a sweep runs, in this process or on a Dask worker.

    Takes and returns plain, picklable values: {"row": the figures of `point_row`,
    "solution": the roster in indices (if asked, to hint the other points), "files": the
    roster folder's files as bytes (if asked)}.
    """
    from matcher.api import solve  # OR-Tools loads only when something is solved

    # One core per point: the sweep's parallelism is across points, and a point solved
    # serially or on a Dask worker (which may not fork) then gives the same roster.
    result = solve(scenario, settings, hint=hint, workers=1)
    return {"row": point_row(result),
            "solution": result.solution if return_solution else None,
            "files": roster_files(result.roster) if keep_roster else None}


def point_row(result: Result) -> dict[str, Any]:
    """The figures of one roster that a sweep tabulates (see the module's docstring)."""
    summary = result.summary
    coverage, counts, terms = summary["coverage"], summary["counts"], summary["terms"]
    problem, solution = result.problem, result.solution
    current = {(int(r), int(v)) for r, v in problem.current.tolist()}
    row: dict[str, Any] = {
        "status": summary["status"],
        "coverage": coverage["visit_coverage"],
        "visits_scheduled": coverage["visits_scheduled"],
        "visits_demanded": coverage["visits_demanded"],
        "unmet_visits": coverage["visits_demanded"] - coverage["visits_scheduled"],
        "members_missing": coverage["team_members_demanded"] - coverage["team_members_assigned"],
        "residents_fully_served": coverage["residents_fully_served"],
        "km": terms["distance_km"]["value"],
        "hours": round(float(volunteer_load_minutes(problem, solution).sum()) / 60, 6),
        "fairness": terms["fairness"]["value"],
        "churn": int(terms["churn"]["value"]),
        "pairs_kept": len(current & set(solution.pairs)),
        "pairs": counts["pairs"],
        "volunteers_used": counts["volunteers_used"],
        "objective": summary["objective"],
        "bound": summary["bound"],
        "gap": summary["gap"],
    }
    row.update({f"term_{term}": terms[term]["value"] for term in TERMS})
    row.update({f"cost_{term}": terms[term]["cost"] for term in TERMS})
    row["solve_seconds"] = summary["solve_seconds"]
    return row


# -- the Pareto front ----------------------------------------------------------------------

def pareto_mask(table: pd.DataFrame, criteria: Mapping[str, str] = PARETO_CRITERIA) -> pd.Series:
    """True for each row no other row dominates: at least as good on every criterion and
    better on one. `criteria` maps a column to "min" or "max". Rows equal on every criterion
    do not dominate each other, so both stay on the front."""
    for column, sense in criteria.items():
        if column not in table.columns:
            raise ValueError(f"pareto criterion {column!r} is not a column of the table")
        if sense not in ("min", "max"):
            raise ValueError(f"pareto criterion {column!r}: expected 'min' or 'max', not {sense!r}")
    if table.empty:
        return pd.Series([], index=table.index, dtype=bool, name="pareto")
    # Every criterion as a cost to minimise; rounding keeps float noise from deciding.
    costs = np.column_stack([table[column].to_numpy(dtype=float) * (1 if sense == "min" else -1)
                             for column, sense in criteria.items()]).round(9)
    front = [not (np.all(costs <= row, axis=1) & np.any(costs < row, axis=1)).any()
             for row in costs]
    return pd.Series(front, index=table.index, dtype=bool, name="pareto")


# -- the sweep -----------------------------------------------------------------------------

def sweep(scenario: Scenario | str | os.PathLike, grid: Mapping[str, Sequence], *,
          config: Mapping | None = None, client: Any = None,
          n_workers: int = DEFAULT_DASK_WORKERS, time_limit_s: float | None = None,
          seed: int | None = None, out_dir: str | os.PathLike | None = None,
          keep_rosters: bool = False, progress: Progress | None = None,
          criteria: Mapping[str, str] = PARETO_CRITERIA) -> pd.DataFrame:
    """Solve the scenario at every point of `grid` and return one row per point, in grid order.

    `grid` maps dotted config keys to lists of values, e.g. {"weights.churn": [0, 50]};
    `config`, `time_limit_s` and `seed` apply to every point (a grid key wins over them).
    `client`: "serial", None (a local Dask cluster of `n_workers` processes), a scheduler
    address or a `distributed.Client`. With `out_dir`, results.csv, results.parquet and
    pareto.png are written there all at once, and with `keep_rosters` each point's roster
    folder under `points/` (the table then has a `roster` column naming it). `progress`
    gets a line as each point finishes. `criteria` maps the columns the Pareto front is
    taken on to "min" or "max" (default: unmet visits, km and churn, each minimised).

    Raises GridError for a bad grid and ScenarioError for a bad scenario or config, before
    anything is solved or written.
    """
    from matcher.api import with_settings

    points = check_grid(grid)
    if not isinstance(scenario, Scenario):
        scenario = read_scenario(scenario)
    base: dict = dict(config or {})
    for key, value in (("time_limit_s", time_limit_s), ("seed", seed)):
        if value is not None:
            base = merge_settings(base, {"solver": {key: value}})
    settings = [merge_settings(base, point_settings(point)) for point in points]
    for each in settings:
        with_settings(scenario, each, {})  # every point's config checked before any solve
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"n_workers must be a whole number at least 1, not {n_workers!r}")
    names = [_folder_name(index, point) for index, point in enumerate(points)]
    say = _Reporter(points, progress)
    if client == SERIAL:
        outcomes = _run_serial(scenario, settings, keep_rosters, say)
    else:
        outcomes = _run_dask(scenario, settings, keep_rosters, say, client, n_workers)
    table = results_table(points, [outcome["row"] for outcome in outcomes], criteria)
    rosters: dict[str, dict[str, bytes]] = {}
    if keep_rosters:
        table["roster"] = [f"{POINTS_FOLDER}/{name}" for name in names]
        rosters = {name: outcome["files"] for name, outcome in zip(names, outcomes, strict=True)}
    if out_dir is not None:
        write_sweep(out_dir, table, list(grid), rosters, criteria)
    return table


def results_table(points: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]],
                  criteria: Mapping[str, str] = PARETO_CRITERIA) -> pd.DataFrame:
    """The sweep's table: point number, grid values, label, the figures, the Pareto mark."""
    records = []
    for index, (point, row) in enumerate(zip(points, rows, strict=True)):
        records.append({"point": index + 1, **point, "settings": point_label(point), **row})
    table = pd.DataFrame.from_records(records)
    for column in ("bound", "gap"):  # None where no bound is known, as a float column
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    table["pareto"] = pareto_mask(table, criteria)
    return table


def _run_serial(scenario: Scenario, settings: list[dict], keep_rosters: bool,
                say: _Reporter) -> list[dict]:
    first = solve_point(scenario, settings[0], None, keep_roster=keep_rosters,
                        return_solution=True)
    say(0, first["row"])
    outcomes = [first]
    for index, each in enumerate(settings[1:], start=1):
        outcome = solve_point(scenario, each, first["solution"], keep_roster=keep_rosters)
        say(index, outcome["row"])
        outcomes.append(outcome)
    return outcomes


def _run_dask(scenario: Scenario, settings: list[dict], keep_rosters: bool, say: _Reporter,
              client: Any, n_workers: int) -> list[dict]:
    from distributed import Client, LocalCluster, as_completed

    with ExitStack() as stack:
        if client is None:
            cluster = stack.enter_context(LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        elif isinstance(client, str):
            client = stack.enter_context(Client(client))
        # Sent once to every worker rather than with each task: a district is megabytes.
        [shared] = client.scatter([scenario], broadcast=True, hash=False)
        first = client.submit(solve_point, shared, settings[0], None, keep_roster=keep_rosters,
                              return_solution=True, pure=False).result()
        say(0, first["row"])
        [hint] = client.scatter([first["solution"]], broadcast=True, hash=False)
        futures = {client.submit(solve_point, shared, each, hint, keep_roster=keep_rosters,
                                 pure=False): index
                   for index, each in enumerate(settings[1:], start=1)}
        outcomes: dict[int, dict] = {0: first}
        try:
            for future in as_completed(futures):
                index = futures[future]
                outcomes[index] = future.result()
                say(index, outcomes[index]["row"])
        finally:
            # Stop what is still queued when one point fails or the sweep is interrupted.
            client.cancel([future for future in futures if not future.done()])
    return [outcomes[index] for index in range(len(settings))]


class _Reporter:
    """One progress line per finished point, with the elapsed time and its headline figures."""

    def __init__(self, points: Sequence[Mapping[str, Any]], progress: Progress | None):
        self.points, self.progress = points, progress
        self.started, self.done = time.monotonic(), 0

    def __call__(self, index: int, row: Mapping[str, Any]) -> None:
        self.done += 1
        if self.progress is None:
            return
        self.progress(f"[{time.monotonic() - self.started:6.1f}s] point {index + 1} "
                      f"({self.done}/{len(self.points)} done) {point_label(self.points[index])}: "
                      f"coverage {row['coverage']:.1%}, {row['unmet_visits']} visits unmet, "
                      f"{row['km']:,.1f} km, churn {row['churn']}, fairness {row['fairness']:,.1f} h, "
                      f"{row['status']}, {row['solve_seconds']:.1f} s")


# -- the output folder ---------------------------------------------------------------------

def write_sweep(out_dir: str | os.PathLike, table: pd.DataFrame, grid_keys: Sequence[str],
                rosters: Mapping[str, Mapping[str, bytes]] | None = None,
                criteria: Mapping[str, str] = PARETO_CRITERIA):
    """Write results.csv, results.parquet, pareto.png and any point rosters, all at once."""
    from matcher.whatif.pareto_plot import pareto_png

    files = {"results.csv": results_csv(table), "results.parquet": _parquet(table),
             "pareto.png": pareto_png(table, grid_keys, criteria)}
    for name, folder in (rosters or {}).items():
        files.update({f"{POINTS_FOLDER}/{name}/{file}": data for file, data in folder.items()})
    return write_folder(out_dir, files)


def results_csv(table: pd.DataFrame) -> bytes:
    """UTF-8 with BOM for Excel; numbers stay numbers, text cells are made formula-safe."""
    safe = table.copy()
    for column in safe.columns:
        if safe[column].dtype == object:
            safe[column] = safe[column].map(safe_cell)
    return ("\ufeff" + safe.to_csv(index=False)).encode("utf-8")


def _parquet(table: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _folder_name(index: int, point: Mapping[str, Any]) -> str:
    """`03_distance_km=2_churn=0`: sorted like the grid, safe as a file name anywhere."""
    names = short_names(list(point))
    text = "_".join(f"{names[key]}={_show(value)}" for key, value in point.items())
    return f"{index + 1:02d}_" + re.sub(r"[^A-Za-z0-9._=+-]", "-", text)
