"""The `matcher variant` and `matcher compare` commands, for the main parser to register.

Each `add_*_command` adds one subcommand with `set_defaults(run=...)`; `run(args)` returns
the exit code. Bad input (a missing file or folder, a value out of range, a scenario that
breaks the format) is one clear message on stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from matcher.errors import ScenarioError
from matcher.exits import EXIT_BAD_INPUT, EXIT_OK


def add_variant_command(subparsers) -> None:
    """Register `matcher variant SCENARIO -o OUT_DIR [--drop-volunteers SHARE] ...`."""
    variant = subparsers.add_parser(
        "variant", help="write a what-if variant of a scenario",
        description="Write a what-if variant of a scenario as OUT_DIR/scenario.yaml, every "
        "entity inline, ready for `matcher solve`. Changes are applied in this order: "
        "volunteers dropped, demand scaled, volunteer settings set. The same scenario, "
        "options and seed give the same variant.")
    variant.add_argument("scenario", help="scenario YAML file")
    variant.add_argument("-o", "--out", required=True, metavar="OUT_DIR",
                         help="folder to write the variant's scenario.yaml into")
    variant.add_argument("--config", action="append", default=[], metavar="FILE",
                         help="config file merged over the scenario's own (repeatable); "
                         "the variant carries the merged config inline")
    variant.add_argument("--drop-volunteers", type=float, default=0.0, metavar="SHARE",
                         help="remove a random share of the volunteers, 0..1 (e.g. 0.2)")
    variant.add_argument("--remove-volunteer", action="append", default=[], metavar="ID",
                         help="remove this volunteer (repeatable)")
    variant.add_argument("--scale-demand", type=float, metavar="FACTOR",
                         help="scale every need's visits per week (e.g. 1.2), rounded up or "
                         "down at random so the expected total scales by FACTOR")
    variant.add_argument("--set-volunteer", action="append", default=[], metavar="FIELD=VALUE",
                         help="set max_distance_km, max_hours_per_week, max_residents or "
                         "travel for every volunteer (repeatable), e.g. max_distance_km=5")
    variant.add_argument("--current-from", metavar="ROSTER_DIR",
                         help="use this roster's assignments.csv as the variant's current "
                         "roster (applied first), so churn counts changes against it")
    variant.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    variant.set_defaults(run=run_variant)


def add_compare_command(subparsers) -> None:
    """Register `matcher compare A_DIR B_DIR [--scenario-a F] [--scenario-b F] [--markdown OUT]
    [--plot OUT.png]`."""
    compare = subparsers.add_parser(
        "compare", help="compare two roster folders (coverage, churn, stations)",
        description="Compare roster A (usually the base) with roster B (usually a variant): "
        "coverage, unmet needs by reason, km, volunteer hours, fairness, pairs kept, removed "
        "and new, residents whose volunteers changed, and visits per station. Give the "
        "scenarios to add hours with travel, visits demanded per station and station names.")
    compare.add_argument("a_dir", metavar="A_DIR", help="roster folder A")
    compare.add_argument("b_dir", metavar="B_DIR", help="roster folder B")
    compare.add_argument("--scenario-a", metavar="FILE", help="the scenario roster A was made for")
    compare.add_argument("--scenario-b", metavar="FILE", help="the scenario roster B was made for")
    compare.add_argument("--markdown", metavar="OUT.md", help="also write a Markdown report")
    compare.add_argument("--plot", metavar="OUT.png",
                         help="also write bar charts: coverage and unmet needs by reason in A "
                         "and B, and each station's change")
    compare.add_argument("--residents", type=int, default=20, metavar="N",
                         help="list at most N residents whose volunteers changed (default 20)")
    compare.set_defaults(run=run_compare)


def run_variant(args: argparse.Namespace) -> int:
    """`matcher variant`: read, change, write; exit 0, or 2 on bad input."""
    from matcher.scenario import read_scenario
    from matcher.whatif.folder import read_roster_folder
    from matcher.whatif.variants import (
        drop_volunteers,
        scale_demand,
        set_volunteer_cap,
        with_current,
    )
    from matcher.whatif.writer import SCENARIO_FILE, write_scenario_file

    def bad(message: str) -> int:
        print(f"matcher variant: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT

    if not 0 <= args.drop_volunteers <= 1:
        return bad(f"--drop-volunteers {args.drop_volunteers:g} is out of range (expected 0..1)")
    if args.scale_demand is not None and not args.scale_demand > 0:
        return bad(f"--scale-demand {args.scale_demand:g} must be greater than 0")
    if args.seed < 0:
        return bad(f"--seed {args.seed} must be at least 0")
    settings = []
    for item in args.set_volunteer:
        field, equals, value = item.partition("=")
        if not equals or not field.strip() or not value.strip():
            return bad(f"--set-volunteer {item!r} is not FIELD=VALUE (e.g. max_distance_km=5)")
        settings.append((field.strip(), value.strip()))
    target = Path(args.out) / SCENARIO_FILE
    if target.exists() and target.resolve() == Path(args.scenario).resolve():
        return bad(f"{target} is the input scenario; choose another output folder")
    try:
        scenario = read_scenario(args.scenario, tuple(args.config))
        variant = scenario
        if args.current_from:
            base = read_roster_folder(args.current_from).pairs
            variant = with_current(variant, zip(base["resident_id"], base["volunteer_id"],
                                                strict=True))
        if args.drop_volunteers or args.remove_volunteer:
            variant = drop_volunteers(variant, args.drop_volunteers, seed=args.seed,
                                      ids=args.remove_volunteer)
        if args.scale_demand is not None:
            variant = scale_demand(variant, args.scale_demand, seed=args.seed)
        for field, value in settings:
            variant = set_volunteer_cap(variant, field, value)
    except ScenarioError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as error:
        return bad(str(error))
    try:
        path = write_scenario_file(variant, args.out, _variant_comment(args))
    except OSError as error:
        return bad(f"cannot write {target}: {error.strerror or error}")
    print(f"wrote {path}: {len(variant.volunteers)} of {len(scenario.volunteers)} volunteers, "
          f"{_visits(variant)} visits a week asked (was {_visits(scenario)})")
    return EXIT_OK


def run_compare(args: argparse.Namespace) -> int:
    """`matcher compare`: print the comparison table; exit 0, or 2 on bad input."""
    from matcher.scenario import read_scenario
    from matcher.whatif.compare import compare_rosters
    from matcher.whatif.report import comparison_markdown, comparison_table

    if args.residents < 0:
        print(f"matcher compare: --residents {args.residents} must be at least 0", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        scenarios = [read_scenario(path) if path else None
                     for path in (args.scenario_a, args.scenario_b)]
        comparison = compare_rosters(args.a_dir, args.b_dir, *scenarios)
    except ScenarioError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as error:  # RosterFolderError included
        print(f"matcher compare: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    sys.stdout.write(comparison_table(comparison, max_residents=args.residents))
    if args.markdown:
        if not _write(args.markdown, lambda: comparison_markdown(comparison).encode("utf-8")):
            return EXIT_BAD_INPUT
        print(f"report written to {args.markdown}")
    if args.plot:
        from matcher.whatif.compare_plot import comparison_png

        if not _write(args.plot, lambda: comparison_png(comparison)):
            return EXIT_BAD_INPUT
        print(f"plot written to {args.plot}")
    return EXIT_OK


def _write(target: str, content) -> bool:
    """Write `content()` to `target`; False (after saying why) if it cannot be written."""
    try:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content())
    except OSError as error:
        print(f"matcher compare: cannot write {target}: {error.strerror}", file=sys.stderr)
        return False
    return True


def _variant_comment(args: argparse.Namespace) -> str:
    """How the variant was made, for the header of its file."""
    parts = [f"matcher variant {args.scenario}"]
    parts += [f"--config {path}" for path in args.config]
    if args.drop_volunteers:
        parts.append(f"--drop-volunteers {args.drop_volunteers:g}")
    parts += [f"--remove-volunteer {volunteer}" for volunteer in args.remove_volunteer]
    if args.scale_demand is not None:
        parts.append(f"--scale-demand {args.scale_demand:g}")
    parts += [f"--set-volunteer {item}" for item in args.set_volunteer]
    parts.append(f"--seed {args.seed}")
    return "What-if variant: " + " ".join(parts)


def _visits(scenario) -> int:
    return sum(need.visits_per_week for resident in scenario.residents for need in resident.needs)
