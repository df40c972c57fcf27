"""The `matcher sweep` command, for the main parser to register.

Bad input (a grid item that is not KEY=V1,V2,..., a key that is not a setting, a value it
does not accept, an option out of range, a scenario that breaks the format, a scheduler
that cannot be reached) is one clear message per problem on stderr and exit 2, and nothing
is written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from matcher.errors import ScenarioError
from matcher.exits import EXIT_BAD_INPUT, EXIT_OK

CONNECT_SECONDS = 10


def add_sweep_command(subparsers) -> None:
    """Register `matcher sweep SCENARIO --grid KEY=V1,V2 ... -o OUT_DIR [...]`."""
    from matcher.whatif.sweeps import DEFAULT_DASK_WORKERS

    sweep = subparsers.add_parser(
        "sweep", help="solve every combination of a grid of settings and plot the trade-offs",
        description="Solve the scenario at every combination of the grid's values and write "
        "OUT_DIR/results.csv and results.parquet (one row per setting: coverage, unmet visits, "
        "km, hours, fairness, churn, objective, bound, gap, each term, status, Pareto mark) and "
        "OUT_DIR/pareto.png (the trade-offs, non-dominated settings marked). The first setting "
        "is solved first; every other one starts from its roster, so the table does not depend "
        "on the order points finish in. Points run on a local Dask cluster unless --serial or "
        "--scheduler says otherwise.")
    sweep.add_argument("scenario", help="scenario YAML file")
    sweep.add_argument("--grid", action="append", default=[], required=True,
                       metavar="KEY=V1,V2,...",
                       help="a setting and its values, e.g. weights.distance_km=0.5,1,2 (any "
                       "key --set accepts; repeat for more keys: every combination is solved)")
    sweep.add_argument("-o", "--out", required=True, metavar="OUT_DIR", help="results folder")
    sweep.add_argument("--config", action="append", default=[], metavar="FILE",
                       help="config file merged over the scenario's own (repeatable)")
    sweep.add_argument("--time-limit", type=float, metavar="S",
                       help="limit of each solve in seconds (default: config solver.time_limit_s)")
    sweep.add_argument("--seed", type=int, help="random seed (default: config solver.seed)")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the points on this running Dask cluster")
    where.add_argument("--serial", action="store_true",
                       help="run the points one after another in this process, without Dask")
    sweep.add_argument("--dask-workers", type=int, metavar="N",
                       help=f"processes of the local Dask cluster (default {DEFAULT_DASK_WORKERS})")
    sweep.add_argument("--pareto-on", default="unmet_visits,km,churn", metavar="LIST",
                       help="the figures the Pareto front is taken on, comma-separated "
                       "(default unmet_visits,km,churn; also fairness, hours, coverage, "
                       "pairs_kept, members_missing, ...)")
    sweep.add_argument("--keep-rosters", action="store_true",
                       help="also write each point's roster folder under OUT_DIR/points/")
    sweep.add_argument("--quiet", action="store_true", help="print no progress")
    sweep.set_defaults(run=run_sweep)


def run_sweep(args: argparse.Namespace) -> int:
    """`matcher sweep`: check everything, solve every point, write the folder; exit 0 or 2."""
    from matcher.scenario import read_scenario
    from matcher.whatif.sweeps import (
        DEFAULT_DASK_WORKERS,
        SERIAL,
        GridError,
        check_grid,
        criteria_from,
        parse_grid,
    )
    from matcher.whatif.sweeps import sweep as run

    def bad(message: str) -> int:
        print(f"matcher sweep: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT

    if args.time_limit is not None and not args.time_limit > 0:
        return bad(f"--time-limit {args.time_limit:g} must be greater than 0")
    if args.seed is not None and args.seed < 0:
        return bad(f"--seed {args.seed} must be at least 0")
    if args.dask_workers is not None:
        if args.dask_workers < 1:
            return bad(f"--dask-workers {args.dask_workers} must be at least 1")
        if args.serial or args.scheduler:
            return bad("--dask-workers sizes the local Dask cluster; it does not apply with "
                       + ("--serial" if args.serial else "--scheduler"))
    try:
        criteria = criteria_from(name.strip() for name in args.pareto_on.split(",") if name.strip())
    except ValueError as error:
        return bad(f"--pareto-on: {error}")
    try:
        grid = parse_grid(args.grid)
        points = check_grid(grid)
    except GridError as error:
        for problem in error.problems:
            print(f"matcher sweep: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        scenario = read_scenario(args.scenario, tuple(args.config))
    except ScenarioError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    started = time.monotonic()

    def progress(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    if not args.quiet:
        where = ("in this process" if args.serial else f"on {args.scheduler}" if args.scheduler
                 else f"on a local Dask cluster of {args.dask_workers or DEFAULT_DASK_WORKERS} "
                 "processes")
        progress(f"sweeping {len(points)} settings {where}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return bad(f"{out} is a file, not a folder")
    client = SERIAL if args.serial else None
    if args.scheduler:
        try:
            client = _connect(args.scheduler)
        except (OSError, TimeoutError) as error:
            return bad(f"cannot reach the Dask scheduler at {args.scheduler}: {error}")
    try:
        table = run(scenario, grid, client=client,
                    n_workers=args.dask_workers or DEFAULT_DASK_WORKERS,
                    time_limit_s=args.time_limit, seed=args.seed, out_dir=out,
                    keep_rosters=args.keep_rosters, progress=progress, criteria=criteria)
    except ScenarioError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:  # the folder cannot be written, or a worker cannot be reached
        return bad(str(error))
    finally:
        if args.scheduler:
            client.close()
    if not args.quiet:
        print(_summary(table, out, time.monotonic() - started))
        stopped = table[table["status"] == "time limit"]
        if len(stopped):
            # A point cut short by the clock depends on the machine's speed and load, so
            # the sweep's promise of the same table on every run does not hold for it.
            progress(f"warning: {len(stopped)} of {len(table)} settings were stopped by the "
                     f"time limit before their search budget ran out (points "
                     f"{', '.join(map(str, stopped['point']))}); their rosters may differ from "
                     "run to run. A longer --time-limit avoids that.")
    return EXIT_OK


def _connect(address: str):
    from distributed import Client

    return Client(address, timeout=CONNECT_SECONDS)


def _summary(table, out: Path, seconds: float) -> str:
    front = table[table["pareto"]]
    lines = [f"{len(table)} settings solved in {seconds:.1f} s; {len(front)} non-dominated:"]
    for row in front.itertuples(index=False):
        lines.append(f"  {row.point:>3}  {row.settings}: coverage {row.coverage:.1%}, "
                     f"{row.unmet_visits} visits unmet, {row.km:,.1f} km, churn {row.churn}, "
                     f"fairness {row.fairness:,.1f} h")
    lines.append(f"results written to {out}/results.csv, results.parquet and pareto.png")
    return "\n".join(lines)
