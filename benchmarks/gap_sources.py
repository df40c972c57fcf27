"""Where a roster's gap to its bound lies: residents grouped by team and number of needs.

Generates a preset (district by default, or city), solves it with the optimiser and, for
every resident, sets what their unmet visits and missing team members cost in the roster
against their alone bound (the least they could cost with every volunteer to
themselves, fairness included). A group far above its alone bounds is where volunteers
are contested, or where the roster could still do better: the table does not say which.
The alone bound counts every term, the roster column only unmet visits and members, so a
group with little unmet demand can come out below its bounds (distance, wishes, churn).

    python benchmarks/gap_sources.py [--preset district] [--seed 1] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import matcher
from matcher.candidates import candidate_pairs
from matcher.generate import write_scenario
from matcher.options import visit_options
from matcher.scenario import read_scenario
from matcher.solvers.bound import resident_lower_bound


def unmet_costs(result) -> np.ndarray:
    """Each resident's cost of unmet visits and missing members in the roster."""
    problem = result.problem
    weights = problem.scenario.config.weights
    index = {resident.id: r for r, resident in enumerate(problem.scenario.residents)}
    cost = np.zeros(problem.n_residents)
    for row in result.unmet.itertuples():
        r = index[row.resident_id]
        cost[r] += (weights.unmet_visit * row.visits_missing
                    + weights.unmet_member * row.members_missing) * problem.resident_priority[r]
    return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="district", choices=["district", "city"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}, {args.preset} seed {args.seed}, "
          f"time limit {args.time_limit:g} s")
    with tempfile.TemporaryDirectory() as tmp:
        scenario = read_scenario(write_scenario(Path(tmp) / "scenario", args.preset, args.seed,
                                                with_current=True))
        result = matcher.solve(scenario, time_limit_s=args.time_limit)
    problem = result.problem
    started = time.perf_counter()
    options = visit_options(problem, candidate_pairs(problem))
    alone = np.array([resident_lower_bound(problem, options, r)
                      for r in range(problem.n_residents)])
    seconds = time.perf_counter() - started
    table = pd.DataFrame({
        "care": np.where(problem.resident_team_size > 1, "team", "one-to-one"),
        "needs": np.where(np.diff(problem.need_start) > 1, "several", "one"),
        "roster": unmet_costs(result), "alone": alone})
    table["over"] = table.roster - table.alone
    groups = table.groupby(["care", "needs"]).agg(
        residents=("roster", "size"), roster=("roster", "sum"), alone=("alone", "sum"),
        over=("over", "sum"))
    groups["share"] = groups.over / groups.over.sum()
    print(f"objective {result.objective:,.0f}, bound {result.bound:,.0f}, "
          f"alone bounds {alone.sum():,.0f} ({seconds:.1f} s)")
    print(f"{'care':<11} {'needs':<8} {'residents':>9} {'roster':>13} {'alone':>13} "
          f"{'over':>12} {'share':>6}")
    for (care, needs), row in groups.iterrows():
        print(f"{care:<11} {needs:<8} {int(row.residents):>9,} {row.roster:>13,.0f} "
              f"{row.alone:>13,.0f} {row.over:>12,.0f} {row.share:>6.1%}")


if __name__ == "__main__":
    main()
