"""OR-Library generalized assignment instances through the public API, against known values.

    python benchmarks/gap_orlib.py [--data ../shared/benchmarks/gap] [--sets small,large]
                                   [--time-limit 60]

`small` is gap1..gap12 (60 instances, maximisation: the OR-Library optima); `large` is types
A-D (24 instances, minimisation: the best known values of the literature). The instances
and values are read from the folder's files and `values.csv`; `matcher.assignment` is used
exactly as a caller would. Prints one row per instance: known value, ours, the gap to the
known value, our proven bound, time, and a last line per set.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from pathlib import Path

import numpy as np

from matcher.assignment import solve_assignment

SMALL = [f"gap{k}.txt" for k in range(1, 13)]
LARGE = [f"gap{t}.txt" for t in "abcd"]


def read_instances(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The instances of one OR-Library file: a stream of integers, see SOURCE.md."""
    tokens = [int(token) for token in path.read_text().split()]
    count, at = tokens[0], 1
    instances = []
    for _ in range(count):
        agents, jobs = tokens[at], tokens[at + 1]
        at += 2
        cost = np.array(tokens[at:at + agents * jobs]).reshape(agents, jobs)
        at += agents * jobs
        use = np.array(tokens[at:at + agents * jobs]).reshape(agents, jobs)
        at += agents * jobs
        capacity = np.array(tokens[at:at + agents])
        at += agents
        instances.append((cost, use, capacity))
    return instances


def known_values(folder: Path) -> dict[tuple[str, int, str], tuple[str, float]]:
    with open(folder / "values.csv", newline="", encoding="utf-8") as handle:
        return {(row["file"], int(row["index_in_file"]), row["sense"]):
                (row["name"], float(row["value"])) for row in csv.DictReader(handle)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared"
                                              / "benchmarks" / "gap"))
    parser.add_argument("--sets", default="small,large")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    folder = Path(args.data)
    known = known_values(folder)
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"time limit {args.time_limit:g} s per instance, 1 CP-SAT worker")
    print(f"{'set':6} {'instance':9} {'m x n':7} {'known':>7} {'ours':>7} {'gap %':>6} "
          f"{'bound':>9} {'status':9} {'time s':>7}")
    failures = 0
    for name in args.sets.split(","):
        files, sense = (SMALL, "max") if name == "small" else (LARGE, "min")
        gaps, times = [], []
        for file in files:
            for index, (cost, use, capacity) in enumerate(read_instances(folder / file), 1):
                label, value = known[file, index, sense]
                started = time.perf_counter()
                result = solve_assignment(cost, use, capacity, maximize=sense == "max",
                                          time_limit_s=args.time_limit)
                seconds = time.perf_counter() - started
                ours = result.objective
                gap = (abs(ours - value) / value * 100) if ours is not None else float("inf")
                gaps.append(gap)
                times.append(seconds)
                limit_ok = gap == 0 if name == "small" else gap <= 1.0
                failures += not limit_ok
                bound = f"{result.bound:.1f}" if result.bound is not None else "-"
                print(f"{name:6} {label:9} {cost.shape[0]:>2}x{cost.shape[1]:<4} {value:>7.0f} "
                      f"{ours if ours is not None else float('nan'):>7.0f} {gap:>6.2f} {bound:>9} "
                      f"{result.status:9} {seconds:>7.1f}{'' if limit_ok else '  <-- misses'}",
                      flush=True)
        target = "all optimal" if name == "small" else "all within 1 %"
        print(f"# {name}: {len(gaps)} instances, {sum(g == 0 for g in gaps)} at the known value, "
              f"worst gap {max(gaps):.2f} %, median time {np.median(times):.1f} s, "
              f"max time {max(times):.1f} s ({target}: "
              f"{'yes' if all((g == 0) if name == 'small' else (g <= 1) for g in gaps) else 'no'})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
