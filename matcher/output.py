"""Writing a roster folder: all files or none, CSV that Excel reads and cannot execute."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from matcher.roster import Roster

ROSTER_FILES = ("assignments.csv", "visits.csv", "unmet.csv", "summary.json")
FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote mark."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(frame) -> bytes:
    """UTF-8 with BOM (so Excel shows Chinese names), every cell made safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([safe_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def roster_files(roster: Roster) -> dict[str, bytes]:
    return {
        "assignments.csv": csv_bytes(roster.pairs),
        "visits.csv": csv_bytes(roster.visits),
        "unmet.csv": csv_bytes(roster.unmet),
        "summary.json": (json.dumps(roster.summary, ensure_ascii=False, indent=2) + "\n").encode(
            "utf-8"),
    }


def write_folder(out_dir: str | os.PathLike, files: dict[str, bytes]) -> Path:
    """Write `files` into `out_dir` all at once.

    The files are written to a fresh folder beside `out_dir`, which then takes its place by
    rename; anything else the old folder held is carried over. A failure before the rename
    leaves the old folder as it was.
    """
    target = Path(out_dir).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    # mkdtemp makes a private folder; a roster folder is as readable as any other.
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if target.exists():
            for entry in target.iterdir():
                if not (staging / entry.name).exists():
                    _copy(entry, staging / entry.name)
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, retired / target.name)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _copy(source: Path, destination: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, destination)
    else:
        shutil.copy2(source, destination)
