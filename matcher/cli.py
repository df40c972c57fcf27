"""The `matcher` command: a thin argparse layer over the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from matcher import __version__
from matcher.errors import ScenarioError
from matcher.exits import EXIT_BAD_INPUT, EXIT_OK, EXIT_VIOLATIONS


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.run(args)
    except ScenarioError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matcher",
        description="Volunteer rosters for community care: validate scenarios, check rosters, "
        "generate synthetic cities.",
    )
    parser.add_argument("--version", action="version", version=f"matcher {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    solve = commands.add_parser(
        "solve", help="build the weekly roster and write it to a folder",
        description="Pair volunteers with residents and schedule the week's visits. Writes "
        "assignments.csv, visits.csv, unmet.csv and summary.json to OUTDIR, all at once.")
    solve.add_argument("scenario", help="scenario YAML file")
    solve.add_argument("-o", "--out", required=True, metavar="OUTDIR", help="roster folder")
    solve.add_argument("--config", action="append", default=[], metavar="FILE",
                       help="config file merged over the scenario's own (repeatable)")
    solve.add_argument("--time-limit", type=float, metavar="S",
                       help="wall-clock limit in seconds (default: config solver.time_limit_s)")
    solve.add_argument("--seed", type=int, help="random seed (default: config solver.seed)")
    solve.add_argument("--workers", type=int,
                       help="worker processes for independent parts and for a city-sized part's "
                            "team choice; the roster repeats for the same number "
                            "(default: config solver.workers, 2)")
    solve.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override one config setting, e.g. weights.distance_km=2 (repeatable)")
    solve.add_argument("--formats", default="csv", metavar="LIST",
                       help="also write these, comma-separated: csv, xlsx, html, ics "
                       "(default csv: the roster files only)")
    solve.add_argument("--redact", action="store_true",
                       help="mask names and health details in volunteer-facing files")
    solve.add_argument("--quiet", action="store_true", help="print no progress")
    solve.set_defaults(run=_run_solve)

    validate = commands.add_parser(
        "validate", help="check a scenario and report what it asks and offers",
        description="Read and validate a scenario. On success print a short report; on bad "
        "input list every problem and exit 2.")
    validate.add_argument("scenario", help="scenario YAML file")
    validate.add_argument("--config", action="append", default=[], metavar="FILE",
                          help="config file merged over the scenario's own (repeatable)")
    validate.add_argument("--quiet", action="store_true", help="print no progress")
    validate.set_defaults(run=_run_validate)

    check = commands.add_parser(
        "check", help="verify a roster folder against every hard rule",
        description="Verify a roster folder against the hard rules H1-H10 and the output "
        "contract. Exit 0 if it holds, 1 if any rule is broken, 2 on bad input.")
    check.add_argument("scenario", help="scenario YAML file the roster was made for")
    check.add_argument("roster_dir", help="roster folder (assignments.csv, visits.csv, ...)")
    check.add_argument("--config", action="append", default=[], metavar="FILE",
                       help="config file the roster was solved with (repeatable)")
    check.add_argument("--quiet", action="store_true", help="print no progress")
    check.set_defaults(run=_run_check)

    generate = commands.add_parser(
        "generate", help="write a seeded synthetic scenario (YAML + CSV tables)",
        description="Write a realistic synthetic scenario for a station, a district or a "
        "whole city. The same preset, sizes and seed give the same files.")
    generate.add_argument("out_dir", help="folder to write scenario.yaml and its tables into")
    generate.add_argument("--preset", default="station",
                          help="station (~40 residents), district (~1,000) or city (~15,000)")
    generate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    generate.add_argument("--residents", type=int, help="number of residents (overrides preset)")
    generate.add_argument("--volunteers", type=int,
                          help="number of volunteers (overrides preset)")
    generate.add_argument("--with-current", action="store_true",
                          help="also write a previous roster as `current`")
    generate.add_argument("--inline", action="store_true",
                          help="write one self-contained scenario.yaml, no CSV tables")
    generate.set_defaults(run=_run_generate)

    from matcher.explain import add_explain_command
    from matcher.export import add_export_command
    from matcher.whatif import add_compare_command, add_sweep_command, add_variant_command

    add_export_command(commands)
    add_variant_command(commands)
    add_compare_command(commands)
    add_sweep_command(commands)
    add_explain_command(commands)
    return parser


def _run_solve(args: argparse.Namespace) -> int:
    import threading
    import time

    from matcher.api import solve
    from matcher.output import write_folder
    from matcher.solvers.engine import StopFlag
    from matcher.terminal import solve_report

    for flag, value, low in (("--time-limit", args.time_limit, 0.0), ("--workers", args.workers, 1),
                             ("--seed", args.seed, 0)):
        if value is not None and (value < low or (flag == "--time-limit" and value <= 0)):
            print(f"matcher solve: {flag} {value} is out of range", file=sys.stderr)
            return EXIT_BAD_INPUT
    from matcher.export import export_files, parse_formats

    settings = _settings_from(args.set)
    if settings is None:
        return EXIT_BAD_INPUT
    try:
        formats = parse_formats(args.formats)
    except ValueError as error:
        print(f"matcher solve: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    scenario = _read_saying(args, "solving (the time limit counts from here)")
    overrides = {key: value for key, value in (("time_limit_s", args.time_limit),
                                               ("seed", args.seed), ("workers", args.workers))
                 if value is not None}
    started = time.monotonic()

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    stop = StopFlag()
    outcome: dict = {}
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["result"] = solve(scenario, settings, progress=progress, stop=stop,
                                      **overrides)
        except BaseException as error:  # handed to the main thread, which re-raises it
            outcome["error"] = error
        finally:
            finished.set()

    # The search runs in a thread so that Ctrl-C reaches the main thread at once and can
    # stop the solver, which then returns the best roster found so far. The main thread
    # waits on an event, not on `Thread.join`: a join interrupted by Ctrl-C can report the
    # thread finished while it is still running.
    threading.Thread(target=work, daemon=True).start()
    interrupted = False
    while not finished.is_set():
        try:
            finished.wait(timeout=0.2)
        except KeyboardInterrupt:
            if interrupted:
                # A second Ctrl-C: the user will not wait for the roster so far (a step
                # under way may take seconds to end). Nothing is written.
                raise
            print("stopping: keeping the best roster found so far (Ctrl-C again to quit "
                  "without it) ...", file=sys.stderr)
            interrupted = True
            stop.stop("interrupted")
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    path = result.write(args.out)
    # The CSV files are the roster itself; only other formats need it read back (a city's
    # roster takes seconds to read).
    extra = (export_files(result.scenario, path, formats, redact=args.redact)
             if set(formats) - {"csv"} else {})
    if extra:
        write_folder(path, extra)
    if not args.quiet:
        print(solve_report(result, path))
    return EXIT_OK


def _settings_from(assignments: list[str]) -> dict | None:
    """`weights.distance_km=2` items as a nested config mapping; None (after saying why) if
    one is not of that form. Values are read as YAML scalars, so 2 is a number."""
    from matcher.settings import settings_from

    try:
        return settings_from(assignments)
    except ValueError as error:
        print(f"matcher solve: --set {error}", file=sys.stderr)
        return None


def _run_validate(args: argparse.Namespace) -> int:
    from matcher.report import validation_report

    scenario = _read_saying(args, "finding who can serve whom")
    print(validation_report(scenario))
    return EXIT_OK


def _run_check(args: argparse.Namespace) -> int:
    from matcher.check import check_roster, format_report

    scenario = _read_saying(args, f"checking the roster in {args.roster_dir}")
    violations = check_roster(scenario, args.roster_dir)
    sys.stdout.write(format_report(violations))
    return EXIT_VIOLATIONS if violations else EXIT_OK


def _read_saying(args: argparse.Namespace, next_step: str):
    """The scenario `args` names, read and validated, saying so on stderr unless quiet: a
    registry of a million volunteers takes most of a minute to read."""
    import time

    from matcher.scenario import read_scenario

    if not args.quiet:
        print(f"reading {args.scenario} ...", file=sys.stderr, flush=True)
    reading = time.monotonic()
    scenario = read_scenario(args.scenario, tuple(args.config))
    if not args.quiet:
        print(f"read {len(scenario.residents):,} residents and {len(scenario.volunteers):,} "
              f"volunteers in {time.monotonic() - reading:.1f}s; {next_step}",
              file=sys.stderr, flush=True)
    return scenario


def _run_generate(args: argparse.Namespace) -> int:
    from matcher.generate import PRESETS, write_scenario

    if args.preset not in PRESETS:
        print(f"matcher generate: unknown preset '{args.preset}' "
              f"(expected one of {', '.join(PRESETS)})", file=sys.stderr)
        return EXIT_BAD_INPUT
    for name in ("residents", "volunteers"):
        value = getattr(args, name)
        if value is not None and value < 1:
            print(f"matcher generate: --{name} must be at least 1", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.inline:
        from pathlib import Path

        from matcher.generate import generate_tables
        from matcher.generate.inline import write_inline

        tables = generate_tables(args.preset, args.seed, residents=args.residents,
                                 volunteers=args.volunteers, with_current=args.with_current)
        path = write_inline(Path(args.out_dir) / "scenario.yaml", tables,
                            f"Synthetic scenario: matcher generate --preset {args.preset} "
                            f"--seed {args.seed} --inline")
    else:
        path = write_scenario(args.out_dir, args.preset, args.seed, residents=args.residents,
                              volunteers=args.volunteers, with_current=args.with_current)
    print(f"wrote {path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
