"""What if a share of volunteers drops out (say over the Spring Festival)? The district.

Solves the bundled district scenario (1,000 residents, 4,000 volunteers, a previous roster)
as it is and with a seeded 20 % of its volunteers removed, checks both rosters with the
independent checker, and prints the comparison table: coverage, unmet needs by reason, km,
hours, fairness, churn and visits per station.

    python benchmarks/what_if_dropout.py [--share 0.2] [--seed 1] [--time-limit 60]
                                         [--keep DIR] [--markdown OUT.md]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import matcher
from matcher.check import check_roster
from matcher.scenario import read_scenario
from matcher.whatif import compare_rosters, comparison_markdown, comparison_table, drop_volunteers

DISTRICT = Path(__file__).resolve().parent.parent / "scenarios" / "district" / "scenario.yaml"


def solve(label: str, scenario, time_limit: float, out: Path) -> Path:
    started = time.perf_counter()
    result = matcher.solve(scenario, time_limit_s=time_limit)
    path = result.write(out)
    violations = check_roster(scenario, path)
    print(f"{label}: {len(scenario.volunteers):,} volunteers, status {result.status}, "
          f"{time.perf_counter() - started:.1f} s, {len(violations)} rule violations")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", type=Path, default=DISTRICT)
    parser.add_argument("--share", type=float, default=0.2, help="share of volunteers dropping out")
    parser.add_argument("--seed", type=int, default=1, help="seed of the drop-out")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--keep", type=Path, help="write the two rosters here instead of a temp folder")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown report here")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}, time limit {args.time_limit:g} s per solve")
    base = read_scenario(args.scenario)
    variant = drop_volunteers(base, args.share, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        base_dir = solve("base", base, args.time_limit, folder / "base")
        variant_dir = solve(f"{args.share:.0%} drop-out (seed {args.seed})", variant,
                            args.time_limit, folder / "dropout")
        comparison = compare_rosters(base_dir, variant_dir, base, variant)
    print()
    print(comparison_table(comparison, max_residents=10))
    if args.markdown:
        args.markdown.write_text(comparison_markdown(comparison), encoding="utf-8")
        print(f"report written to {args.markdown}")


if __name__ == "__main__":
    main()
