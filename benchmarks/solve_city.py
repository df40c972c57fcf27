"""A whole city: the optimiser against the greedy baseline and a naive single CP-SAT model,
and how time, memory, coverage and gap grow with the number of residents.

    python benchmarks/solve_city.py [--seeds 1 2 3] [--time-limit 90]
    python benchmarks/solve_city.py --scale [--sizes 1000 5000 15000 30000]
    python benchmarks/solve_city.py --volunteers 60000 300000 1473700

Each run is a fresh process (so peak memory is its own; `peak MiB` is the solving process,
`worker MiB` the largest forked worker's resident size, which counts the pages it still
shares with the solving process, so the two added up overstate the total; `total MiB` is
the peak of all the run's processes together, each page shared between them counted once
(their proportional set sizes, sampled every quarter second; Linux only, `-` elsewhere)),
solving a scenario the generator
writes (`city` preset: about 15,000 residents and 60,000 volunteers; for the scale curve the
same preset with the given residents and 4 volunteers each; with `--volunteers`, the preset's
residents beside that many volunteers, up to the scheme's whole registry). `read s` is the
time to read and validate the scenario, before `wall s` starts. Every roster is checked by
the independent checker and the table says how many violations it found.

- `ours`: `matcher.solve` with the time limit and the default two workers;
- `ours1w`: the same with one worker (`workers=1`), to show what the second core buys;
- `greedy`: `matcher.solve(method="greedy")`, residents by priority, nearest free volunteer;
- `naive`: one CP-SAT model of the whole roster (the exact model the optimiser keeps for
  small parts) with the same time limit, on the first seed only (`--naive-seeds`). A run
  that has not finished two minutes after its limit is stopped and reported as such.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HARD_STOP_EXTRA_S = 120


def worker(method: str, scenario_path: str, time_limit: float, out: str) -> None:
    """One run in this process; prints one JSON line."""
    import matcher
    from matcher.check import check_roster
    from matcher.scenario import read_scenario

    reading = time.perf_counter()
    scenario = read_scenario(scenario_path)
    started = time.perf_counter()
    if method == "naive":
        result = _naive(scenario, time_limit)
    elif method == "greedy":
        result = matcher.solve(scenario, method="greedy", time_limit_s=time_limit)
    else:
        result = matcher.solve(scenario, time_limit_s=time_limit,
                               workers=1 if method == "ours1w" else 2)
    wall = time.perf_counter() - started
    folder = result.write(out)
    violations = check_roster(scenario, folder)
    summary = result.summary
    print(json.dumps({
        "read_s": started - reading, "wall_s": wall,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "coverage": summary["coverage"]["visit_coverage"], "objective": summary["objective"],
        "bound": summary["bound"], "gap": summary["gap"], "status": summary["status"],
        "violations": len(violations)}))


def _naive(scenario, time_limit: float):
    """The whole roster as one exact CP-SAT model, through the same result type."""
    from matcher import api
    from matcher.candidates import candidate_pairs
    from matcher.objective import evaluate
    from matcher.options import visit_options
    from matcher.problem import compile_problem
    from matcher.roster import build_roster
    from matcher.solution import Solution
    from matcher.solvers.cpsat import SolverParams, solve_part
    from matcher.unmet import unmet_needs

    started = time.perf_counter()
    problem = compile_problem(scenario)
    candidates = candidate_pairs(problem)
    options = visit_options(problem, candidates, range(problem.n_residents))
    params = SolverParams(time_limit_s=time_limit, workers=1)
    part = solve_part(problem, options, range(problem.n_residents), Solution(), params)
    evaluation = evaluate(problem, part.solution)
    unmet = unmet_needs(problem, part.solution, candidates, options)
    roster = build_roster(problem, part.solution, evaluation, unmet, status=part.status,
                          bound=part.bound, seconds=time.perf_counter() - started, seed=0,
                          workers=1, candidate_count=len(candidates))
    return api.Result(scenario, problem, part.solution, evaluation, roster)


def run(method: str, scenario_path: Path, time_limit: float, out: Path,
        extra_s: float = HARD_STOP_EXTRA_S) -> dict:
    command = [sys.executable, __file__, "--worker", method, str(scenario_path),
               str(time_limit), str(out)]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True)
        total = 0
        while process.poll() is None:
            if time.perf_counter() - started > time_limit + extra_s:
                process.kill()
                process.wait()
                return {"method": method,
                        "failed": f"stopped after {time.perf_counter() - started:.0f} s"}
            total = max(total, tree_pss_bytes(process.pid) or 0)
            time.sleep(0.25)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    if process.returncode != 0:
        last = (err.strip().splitlines() or ["?"])[-1]
        return {"method": method, "failed": f"exit {process.returncode}: {last[:60]}"}
    return {"method": method, "total_mib": total / 2**20 if total else None,
            **json.loads(out.strip().splitlines()[-1])}


def tree_pss_bytes(pid: int) -> int | None:
    """The proportional set size of process `pid` and its descendants, summed: each page
    shared after a fork counted once in all. None where /proc does not tell."""
    proc = Path("/proc")
    if not (proc / str(pid) / "smaps_rollup").exists():
        return None
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # the process ended while we looked
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            rollup = (proc / str(current) / "smaps_rollup").read_text()
        except OSError:  # ended while we looked
            continue
        total += sum(int(line.split()[1]) * 1024 for line in rollup.splitlines()
                     if line.startswith("Pss:"))
    return total


def generated(folder: Path, seed: int, residents: int | None = None,
              volunteers: int | None = None) -> Path:
    from matcher.generate import write_scenario

    if volunteers is None and residents is not None:
        volunteers = 4 * residents
    return write_scenario(folder / f"city-{seed}-{residents or 'preset'}-{volunteers or 'preset'}",
                          "city", seed, residents=residents, volunteers=volunteers,
                          with_current=True)


def print_table(rows: list[dict], first: str) -> None:
    header = (f"{first:>10} {'method':<7} {'read s':>6} {'wall s':>7} {'peak MiB':>9} "
              f"{'worker MiB':>10} {'total MiB':>9} "
              f"{'coverage':>9} "
              f"{'objective':>13} {'bound':>13} {'gap':>7} {'status':<11} {'violations':>10}")
    print(header)
    print("-" * len(header))
    for row in rows:
        if "failed" in row:
            print(f"{row['key']:>10} {row['method']:<7} no roster: {row['failed']}")
            continue
        bound = f"{row['bound']:,.0f}" if row["bound"] is not None else "-"
        gap = f"{row['gap']:.1%}" if row["gap"] is not None else "-"
        total = f"{row['total_mib']:,.0f}" if row.get("total_mib") else "-"
        print(f"{row['key']:>10} {row['method']:<7} {row['read_s']:>6.1f} {row['wall_s']:>7.1f} "
              f"{row['peak_mib']:>9,.0f} "
              f"{row['worker_mib']:>10,.0f} {total:>9} "
              f"{row['coverage']:>9.1%} {row['objective']:>13,.0f} "
              f"{bound:>13} {gap:>7} "
              f"{row['status']:<11} {row['violations']:>10}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=90.0)
    parser.add_argument("--methods", default="ours,ours1w,greedy,naive")
    parser.add_argument("--naive-seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--scale", action="store_true", help="the scale curve instead")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 15000, 30000])
    parser.add_argument("--volunteers", type=int, nargs="+",
                        help="the city preset's residents (seed 1) beside these many volunteers")
    parser.add_argument("--worker", nargs=4, metavar=("METHOD", "SCENARIO", "LIMIT", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        method, path, limit, out = args.worker
        worker(method, path, float(limit), out)
        return
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, time limit {args.time_limit:g} s")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.volunteers:
            for count in args.volunteers:
                path = generated(folder, 1, volunteers=count)
                # Reading, checking and the input hash grow with the volunteers: about
                # 0.2 ms each in all, past the limit.
                row = run("ours", path, args.time_limit, folder / f"out-v{count}",
                          extra_s=HARD_STOP_EXTRA_S + 0.2e-3 * count)
                rows.append({"key": f"{count:,}", **row})
            print_table(rows, "volunteers")
            return
        if args.scale:
            for size in args.sizes:
                path = generated(folder, 1, size)
                row = run("ours", path, args.time_limit, folder / f"out-{size}")
                rows.append({"key": f"{size:,}", **row})
            print_table(rows, "residents")
            fitted = [r for r in rows if "failed" not in r]
            for before, after in itertools.pairwise(fitted):
                print(f"{before['key']} -> {after['key']} residents: time x"
                      f"{after['wall_s'] / before['wall_s']:.2f}, memory x"
                      f"{after['peak_mib'] / before['peak_mib']:.2f}")
            return
        for seed in args.seeds:
            path = generated(folder, seed)
            for method in args.methods.split(","):
                if method == "naive" and seed not in args.naive_seeds:
                    continue
                rows.append({"key": str(seed), **run(method, path, args.time_limit,
                                                     folder / f"out-{seed}-{method}")})
                print(f"  seed {seed} {method} done", file=sys.stderr, flush=True)
    print_table(rows, "seed")
    for seed in args.seeds:
        by = {r["method"]: r for r in rows if r["key"] == str(seed) and "failed" not in r}
        if "ours" in by and "greedy" in by:
            print(f"seed {seed}: coverage {by['ours']['coverage'] - by['greedy']['coverage']:+.1%} "
                  f"points over greedy, objective ratio ours/greedy "
                  f"{by['ours']['objective'] / by['greedy']['objective']:.3f}")
        if "ours" in by and "ours1w" in by:
            print(f"seed {seed}: two workers against one: coverage "
                  f"{by['ours']['coverage'] - by['ours1w']['coverage']:+.1%} points, objective "
                  f"ratio {by['ours']['objective'] / by['ours1w']['objective']:.3f}")


if __name__ == "__main__":
    main()
