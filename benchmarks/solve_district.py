"""Optimiser against the greedy baseline on the generator's district preset.

For each seed: generate the district (about 1,000 residents and 4,000 volunteers), solve it
with the optimiser and with the greedy "nearest free volunteer first, by priority" baseline,
check both rosters with the independent checker, and print one table side by side.

    python benchmarks/solve_district.py [--seeds 1 2 3] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import matcher
from matcher.check import check_roster
from matcher.generate import write_scenario
from matcher.scenario import read_scenario


def run(seed: int, method: str, time_limit: float, folder: Path) -> dict:
    scenario = read_scenario(write_scenario(folder / f"district-{seed}", "district", seed,
                                            with_current=True))
    started = time.perf_counter()
    result = matcher.solve(scenario, method=method, time_limit_s=time_limit)
    wall = time.perf_counter() - started
    out = result.write(folder / f"roster-{seed}-{method}")
    violations = check_roster(scenario, out)
    summary = result.summary
    return {
        "seed": seed, "method": method, "wall_s": wall,
        "coverage": summary["coverage"]["visit_coverage"],
        "km": summary["terms"]["distance_km"]["value"],
        "objective": summary["objective"], "bound": summary["bound"], "gap": summary["gap"],
        "status": summary["status"], "violations": len(violations),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}, time limit {args.time_limit:g} s, workers 2")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for method in ("greedy", "optimise"):
                rows.append(run(seed, method, args.time_limit, Path(tmp)))
    header = (f"{'seed':>4} {'method':<9} {'wall s':>7} {'coverage':>9} {'km':>8} "
              f"{'objective':>12} {'bound':>12} {'gap':>7} {'status':<10} {'violations':>10}")
    print(header)
    print("-" * len(header))
    for row in rows:
        bound = f"{row['bound']:,.0f}" if row["bound"] is not None else "-"
        gap = f"{row['gap']:.1%}" if row["gap"] is not None else "-"
        print(f"{row['seed']:>4} {row['method']:<9} {row['wall_s']:>7.1f} {row['coverage']:>9.1%} "
              f"{row['km']:>8.1f} {row['objective']:>12,.0f} {bound:>12} {gap:>7} "
              f"{row['status']:<10} {row['violations']:>10}")
    for seed in args.seeds:
        greedy = next(r for r in rows if r["seed"] == seed and r["method"] == "greedy")
        ours = next(r for r in rows if r["seed"] == seed and r["method"] == "optimise")
        print(f"seed {seed}: coverage {ours['coverage'] - greedy['coverage']:+.1%} points over "
              f"greedy, objective ratio {ours['objective'] / greedy['objective']:.3f}")


if __name__ == "__main__":
    main()
