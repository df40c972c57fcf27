"""CSV tables named by `{file: x.csv}`: rows as `Record`s, with their line numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from matcher.errors import InputProblem
from matcher.scenario.fields import Record, did_you_mean


@dataclass(frozen=True)
class Table:
    file: str
    columns: tuple[str, ...]
    rows: tuple[Record, ...]
    absent_columns: frozenset[str]


def parse_table(text: str, file: str, known: Iterable[str], required: Iterable[str],
                problems: list[InputProblem], aliases: dict[str, str] | None = None) -> Table | None:
    """Rows of a CSV table; header problems (missing or unknown columns) are reported once.

    `aliases` maps other accepted column names onto field names. Returns None when the
    table cannot be read at all.
    """
    known = tuple(known)
    aliases = aliases or {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(InputProblem(file, 1, None, None, "is empty (expected a header row)"))
        return None
    except csv.Error as error:
        problems.append(InputProblem(file, 1, None, None, f"is not a readable CSV table: {error}"))
        return None
    columns = tuple(aliases.get(name.strip(), name.strip()) for name in header)
    ok = True
    for name in columns:
        if name not in known:
            problems.append(InputProblem(file, 1, None, name or "(empty)",
                                    f"unknown column{did_you_mean(name, known)}"))
            ok = False
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            problems.append(InputProblem(file, 1, None, name, "column appears twice"))
            ok = False
        seen.add(name)
    absent = frozenset(name for name in required if name not in seen)
    for name in sorted(absent, key=list(required).index):
        problems.append(InputProblem(file, 1, None, name, "missing column"))
    if not ok:
        return None
    rows: list[Record] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            if not "".join(cells).strip():
                line = reader.line_num + 1
                continue
            if len(cells) > len(columns):
                problems.append(InputProblem(file, line, None, None,
                                        f"has {len(cells)} cells but the header has "
                                        f"{len(columns)} columns"))
            else:
                values = dict(zip(columns, map(str.strip, cells), strict=False))
                rows.append(Record(file, line, values, from_csv=True))
            line = reader.line_num + 1
    except csv.Error as error:
        problems.append(InputProblem(file, line, None, None, f"is not a readable CSV row: {error}"))
        return None
    return Table(file, columns, tuple(rows), absent)
