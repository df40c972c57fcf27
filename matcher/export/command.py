"""`matcher export`: write the exports of a roster folder, all at once or not at all."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from matcher.errors import ScenarioError
from matcher.exits import EXIT_BAD_INPUT, EXIT_OK

from .formats import DEFAULT_FORMATS, FORMATS, parse_formats


def add_export_command(subparsers) -> None:
    """Register `matcher export ROSTER_DIR --scenario SCENARIO [--formats ...] [--redact] [-o OUT]`."""
    export = subparsers.add_parser(
        "export", help="write a roster as a workbook, a printable page and calendars",
        description="Export a roster folder for coordinators and volunteers: roster.xlsx (one "
        "sheet per station, by volunteer, by day, unmet), roster.html (printable A4 pages) and "
        "calendars/VOLUNTEER_ID.ics (each volunteer's visits in the roster's week). All files are "
        "written at once, or none on bad input.")
    export.add_argument("roster_dir", help="roster folder written by `matcher solve`")
    export.add_argument("--scenario", required=True, metavar="SCENARIO",
                        help="scenario YAML file the roster was made for")
    export.add_argument("--formats", default=",".join(DEFAULT_FORMATS), metavar="LIST",
                        help=f"comma-separated, some of {', '.join(FORMATS)} (default "
                        f"{','.join(DEFAULT_FORMATS)}); csv copies the roster's own files "
                        "when OUT_DIR is another folder")
    export.add_argument("--redact", action="store_true",
                        help="mask names, name places by station only and hide health-related "
                        "services in the files for volunteers (calendars and roster.html); "
                        "roster.xlsx stays complete for coordinators")
    export.add_argument("-o", "--out", metavar="OUT_DIR",
                        help="folder to write into (default: ROSTER_DIR; its files are kept)")
    export.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Run `matcher export` with parsed arguments; return the exit status."""
    from matcher.output import ROSTER_FILES, write_folder
    from matcher.scenario import read_scenario

    from . import export_files

    try:
        formats = parse_formats(args.formats)
    except ValueError as error:
        print(f"matcher export: --formats: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    roster_dir = Path(args.roster_dir)
    out_dir = Path(args.out) if args.out else roster_dir
    try:
        scenario = read_scenario(args.scenario)
        files = export_files(scenario, roster_dir, formats, redact=args.redact)
    except ScenarioError as error:  # the scenario or the roster folder: every problem listed
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    if "csv" in formats and out_dir.resolve() != roster_dir.resolve():
        # The roster files are only copied when they would not be there already.
        files = {**{name: (roster_dir / name).read_bytes() for name in ROSTER_FILES
                    if (roster_dir / name).is_file()}, **files}
    if not files:
        print(f"matcher export: nothing to write: the roster files are already in {out_dir}",
              file=sys.stderr)
        return EXIT_OK
    path = write_folder(out_dir, files)
    calendars = sum(1 for name in files if name.endswith(".ics"))
    others = [name for name in files if not name.endswith(".ics")]
    listed = others + ([f"{calendars} calendar{'s' if calendars != 1 else ''} in calendars/"]
                       if calendars else [])
    print(f"wrote {', '.join(listed)} to {path}")
    return EXIT_OK
