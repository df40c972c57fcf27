"""Exports of a roster folder for coordinators and volunteers.

From the scenario and a roster folder's CSV files it builds `roster.xlsx` (a workbook for
coordinators), `roster.html` (a printable A4 page per station with an overview) and
`calendars/VOLUNTEER_ID.ics` (each volunteer's visits in the roster's week). With `redact=True` the files
that may reach volunteers (the calendars and the page) mask names, name places by station
only and show health-related services as a home visit; the workbook stays complete.

    >>> files = export_files(scenario, Path("out/station"), ["xlsx", "html", "ics"])
    >>> write_folder("out/station", files)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matcher.scenario.model import Scenario

from .command import add_export_command
from .errors import ExportError
from .formats import FORMATS, parse_formats

__all__ = ["FORMATS", "ExportError", "add_export_command", "export_files", "parse_formats"]


def export_files(scenario: Scenario, roster_dir: Path, formats: Sequence[str], *,
                 redact: bool = False) -> dict[str, bytes]:
    """File name (relative: 'roster.xlsx', 'roster.html', 'calendars/V001.ics') -> bytes.

    Built from the scenario and the roster folder's CSV files. 'csv' adds nothing: the four
    roster files already exist. Raises ExportError (listing every problem) if the folder
    cannot be read or does not belong to the scenario, ValueError for an unknown format.
    """
    # openpyxl and icalendar load here, not on import, so that registering the command
    # keeps every other `matcher` command quick to start.
    from .html import html_bytes
    from .ics import calendar_files
    from .read import read_roster
    from .xlsx import xlsx_bytes

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown export format {', '.join(map(repr, unknown))} "
                         f"(expected some of {', '.join(FORMATS)})")
    roster = read_roster(roster_dir, scenario)
    files: dict[str, bytes] = {}
    if "xlsx" in formats:
        files["roster.xlsx"] = xlsx_bytes(scenario, roster)
    if "html" in formats:
        files["roster.html"] = html_bytes(scenario, roster, redact=redact)
    if "ics" in formats:
        files.update(calendar_files(scenario, roster, redact=redact))
    return files
