"""Reading a roster folder (format section 7) for comparison, with clear errors.

Only what a comparison uses is read and checked: the id columns of the three tables and the
coverage and term figures of summary.json. Whether the roster keeps the hard rules is
`matcher check`'s job, not this one's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# Columns a comparison reads from each table; other columns are kept but not required.
REQUIRED_COLUMNS = {
    "assignments.csv": ("resident_id", "volunteer_id", "station_id"),
    "visits.csv": ("resident_id", "service", "day", "start", "end", "volunteer_ids"),
    "unmet.csv": ("resident_id", "service", "visits_missing", "members_missing", "reason"),
}
REQUIRED_SUMMARY = (("coverage", "visits_demanded"), ("coverage", "visits_scheduled"),
                    ("terms", "distance_km", "value"), ("terms", "fairness", "value"))


class RosterFolderError(ValueError):
    """A roster folder that cannot be compared; the message names the folder or file."""


@dataclass(frozen=True, eq=False)
class RosterFolder:
    """The tables and summary of one roster folder, every CSV cell as text.

    (`eq=False`: DataFrames have no single truth value, so folders are not compared by value.)
    """

    path: Path
    pairs: pd.DataFrame
    visits: pd.DataFrame
    unmet: pd.DataFrame
    summary: dict


def read_roster_folder(path: str | os.PathLike) -> RosterFolder:
    """Read assignments.csv, visits.csv, unmet.csv and summary.json from `path`.

    Raises `RosterFolderError` when the folder or a file is missing or unreadable, or a file
    lacks a column or summary figure the comparison needs.
    """
    folder = Path(path)
    if not folder.exists():
        raise RosterFolderError(f"{folder}: roster folder does not exist")
    if not folder.is_dir():
        raise RosterFolderError(f"{folder}: is not a folder (expected a roster folder with "
                                "assignments.csv, visits.csv, unmet.csv and summary.json)")
    tables = {name: _table(folder / name, columns) for name, columns in REQUIRED_COLUMNS.items()}
    return RosterFolder(folder, tables["assignments.csv"], tables["visits.csv"],
                        tables["unmet.csv"], _summary(folder / "summary.json"))


def _table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise RosterFolderError(f"{path}: file does not exist (a roster folder holds "
                                "assignments.csv, visits.csv, unmet.csv and summary.json)")
    try:
        # Text only: ids such as 007 must stay as written, and an empty cell stays "".
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise RosterFolderError(f"{path}: is empty (expected a header row with "
                                f"{', '.join(columns)})") from None
    except (UnicodeDecodeError, pd.errors.ParserError, OSError) as error:
        raise RosterFolderError(f"{path}: cannot be read as CSV: {error}") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise RosterFolderError(f"{path}: missing column{'s' if len(missing) > 1 else ''} "
                                f"{', '.join(missing)}")
    return frame


def _summary(path: Path) -> dict:
    if not path.is_file():
        raise RosterFolderError(f"{path}: file does not exist (a roster folder holds "
                                "assignments.csv, visits.csv, unmet.csv and summary.json)")
    try:
        summary = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as error:
        raise RosterFolderError(f"{path}: cannot be read as JSON: {error}") from None
    if not isinstance(summary, dict):
        raise RosterFolderError(f"{path}: is not a JSON object")
    for keys in REQUIRED_SUMMARY:
        value = summary
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise RosterFolderError(f"{path}: {'.'.join(keys)} is missing or not a number")
    return summary
