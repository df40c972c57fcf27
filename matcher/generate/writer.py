"""Writing a synthetic scenario folder: scenario.yaml and its CSV tables, byte for byte stable."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import pandas as pd
import yaml

from matcher.generate.tables import (
    CURRENT_FILE,
    DEFAULT_WEEK_OF,
    NEEDS_FILE,
    RESIDENTS_FILE,
    VOLUNTEERS_FILE,
    ScenarioTables,
    generate_tables,
)

SCENARIO_FILE = "scenario.yaml"
# Coordinators open these tables in Excel, which needs the BOM to read UTF-8 Chinese names.
CSV_ENCODING = "utf-8-sig"
COORDINATE_COLUMNS = ("lat", "lon")


def write_scenario(out_dir: str | Path, preset: str = "station", seed: int = 0, *,
                   residents: int | None = None, volunteers: int | None = None,
                   with_current: bool = False, name: str | None = None,
                   week_of: dt.date = DEFAULT_WEEK_OF) -> Path:
    """Write a synthetic scenario into `out_dir` and return the path of its scenario.yaml.

    Writes scenario.yaml, residents.csv, needs.csv, volunteers.csv (and current.csv with
    `with_current`). The same arguments always give byte-identical files.
    """
    tables = generate_tables(preset, seed, residents=residents, volunteers=volunteers,
                             with_current=with_current, name=name, week_of=week_of)
    command = f"preset={preset} seed={seed} residents={len(tables.residents)} " \
              f"volunteers={len(tables.volunteers)}" + (" with_current" if with_current else "")
    return write_tables(out_dir, tables, command)


def write_tables(out_dir: str | Path, tables: ScenarioTables, made_by: str = "") -> Path:
    """Write generated tables as a scenario folder; returns the scenario.yaml path."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / RESIDENTS_FILE, tables.residents)
    _write_csv(folder / NEEDS_FILE, tables.needs)
    _write_csv(folder / VOLUNTEERS_FILE, tables.volunteers)
    if tables.current is not None:
        _write_csv(folder / CURRENT_FILE, tables.current)
    path = folder / SCENARIO_FILE
    _write_text(path, scenario_yaml(tables.header, made_by))
    return path


def scenario_yaml(header: dict, made_by: str = "") -> str:
    """The scenario file: block style at the top, one flow-style line per small item, so a
    person can read it and a diff shows which station or service changed."""
    lines = ["# Synthetic data: every person, place and date here is made up.",
             "# Made by matcher.generate" + (f" ({made_by})" if made_by else "") + "."]
    for key, value in header.items():
        if key == "services":
            lines.append(f"{key}:")
            lines += [f"  {_entry(k, v)}" for k, v in value.items()]
        elif isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"  - {_flow(item)}" for item in value]
        else:
            lines.append(_entry(key, value))
    return "\n".join(lines) + "\n"


def _entry(key: str, value: object) -> str:
    """`key: value` as one line of a block mapping (the braces of a flow mapping dropped)."""
    return _flow({key: value})[1:-1]


def _flow(value: object) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, sort_keys=False,
                          width=10_000).strip()


def _write_csv(path: Path, table: pd.DataFrame) -> None:
    columns = [_cells(table[name], name) for name in table.columns]
    rows = zip(*columns, strict=True) if columns else iter(())
    with _atomic(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(table.columns))
        writer.writerows(rows)


def _cells(column: pd.Series, name: str) -> list[str]:
    if name in COORDINATE_COLUMNS:
        return [f"{v:.6f}" for v in column.tolist()]
    if pd.api.types.is_float_dtype(column):
        return [f"{v:g}" for v in column.tolist()]
    return [str(v) for v in column.tolist()]


def _write_text(path: Path, text: str) -> None:
    with _atomic(path) as handle:
        handle.write(text)


@contextmanager
def _atomic(path: Path) -> Iterator[TextIO]:
    """A text file written beside its target and renamed over it when complete, so an
    interrupted run never leaves half a table."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    encoding = CSV_ENCODING if path.suffix == ".csv" else "utf-8"
    try:
        with open(tmp, "w", encoding=encoding, newline="") as handle:
            yield handle
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
