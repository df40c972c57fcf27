"""Smallest changes for unmet needs of the bundled district, and whether they really serve.

Solves scenarios/district/scenario.yaml (or reads a roster already solved for it), takes 20
unmet needs spread over the kinds of reason (round robin over the kinds, each in file
order), and asks `matcher explain` for the smallest change that serves each. Then, for
each change, the roster after it is checked:

- by default, the affected part: the change applied to the full scenario, the resident's
  neighbourhood re-solved with the rest of the district's roster fixed (what explain
  itself does), written as a whole roster folder and verified by the independent checker
  against the changed full scenario. This tests the claim explain makes: under this
  change there is a roster keeping every hard rule in which the need is served and no
  other need loses a visit;
- with --full, also the full changed scenario solved again from scratch (about a minute
  each), which tests whether the optimiser finds such a roster on its own.

    python benchmarks/explain_unmet.py [--roster DIR] [--needs 20] [--full]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

import matcher
from matcher.check import check_roster
from matcher.explain import open_roster, smallest_change, write_trial_roster
from matcher.explain.words import change_words
from matcher.reasons import reason_kinds
from matcher.scenario import read_scenario

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = ROOT / "scenarios" / "district" / "scenario.yaml"


def spread_over_reasons(rows, count: int) -> list:
    """`count` rows, taking one of each kind of reason in turn (kinds by name, rows in file
    order), so that rare reasons are represented and the choice is the same every run."""
    by_kind: dict[str, list] = {}
    for row in rows:
        by_kind.setdefault(reason_kinds(row.reason)[0], []).append(row)
    queues = [by_kind[kind] for kind in sorted(by_kind)]
    chosen = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen


def is_unmet(folder: Path, resident: str, service: str) -> bool:
    unmet = pd.read_csv(folder / "unmet.csv", encoding="utf-8-sig", dtype=str)
    return bool(((unmet["resident_id"] == resident) & (unmet["service"] == service)).any())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--roster", type=Path, help="a roster already solved for the district")
    parser.add_argument("--needs", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=60.0, help="for full solves")
    parser.add_argument("--resolve-limit", type=float, default=4.0,
                        help="seconds per neighbourhood re-solve")
    parser.add_argument("--full", action="store_true",
                        help="also re-solve the whole changed scenario for each change")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}")
    scenario = read_scenario(DISTRICT)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        roster = args.roster
        if roster is None:
            started = time.perf_counter()
            roster = matcher.solve(scenario, time_limit_s=args.time_limit).write(folder / "base")
            print(f"district solved in {time.perf_counter() - started:.1f} s")
        print(f"base roster: {len(check_roster(scenario, roster))} rule violations")
        started = time.perf_counter()
        state = open_roster(roster, scenario)
        print(f"roster read and indexed in {time.perf_counter() - started:.1f} s")
        rows = spread_over_reasons(state.loaded.tables.unmet, args.needs)
        results = []
        for index, row in enumerate(rows):
            r = state.resident(row.resident)
            started = time.perf_counter()
            search = smallest_change(state, r, state.need_of(r, row.service), row.visits_missing,
                                     time_limit_s=args.resolve_limit)
            seconds = time.perf_counter() - started
            found = search.found
            result = {"row": row, "kind": reason_kinds(row.reason)[0], "seconds": seconds,
                      "trials": len(search.trials), "found": found}
            if found is not None:
                patched = write_trial_roster(found, folder / f"patched-{index}")
                changed = found.problem.scenario
                result["violations"] = len(check_roster(changed, patched))
                result["served"] = not is_unmet(patched, row.resident, row.service)
                result["losses"] = len(found.losses)
                if args.full:
                    full = matcher.solve(changed, time_limit_s=args.time_limit).write(
                        folder / f"full-{index}")
                    result["full_violations"] = len(check_roster(changed, full))
                    result["full_served"] = not is_unmet(full, row.resident, row.service)
            results.append(result)
            print(f"  {index + 1:>2}/{len(rows)} {row.resident} {row.service}: "
                  f"{found.change.kind if found else 'none found'} ({seconds:.1f} s)", flush=True)
    print_table(results, args.full)


def print_table(results: list[dict], full: bool) -> None:
    header = (f"{'resident':<8} {'need':<22} {'reason':<32} {'suggested change':<64} "
              f"{'served':>6} {'viol.':>5} {'tries':>5} {'s':>5}" + (f" {'full':>5}" if full else ""))
    print()
    print(header)
    print("-" * len(header))
    for result in results:
        row, found = result["row"], result["found"]
        need = f"{row.service} ({row.visits_missing}v/{row.members_missing}m)"
        words = change_words("en", found.change.as_dict(), row.resident) if found else "none found"
        words = words.removeprefix(f"serve {row.resident} ")
        served = ("yes" if result.get("served") else "no") if found else "no"
        line = (f"{row.resident:<8} {need:<22} {result['kind'][:32]:<32} {words[:64]:<64} "
                f"{served:>6} {result.get('violations', '-'):>5} {result['trials']:>5} "
                f"{result['seconds']:>5.1f}")
        if full:
            line += f" {('yes' if result.get('full_served') else 'no') if found else '-':>5}"
        print(line)
    seconds = [r["seconds"] for r in results]
    served = sum(1 for r in results if r.get("served"))
    kinds: dict[str, int] = {}
    for r in results:
        if r["found"] is not None:
            kinds[r["found"].change.kind] = kinds.get(r["found"].change.kind, 0) + 1
    print(f"\nserved after the change: {served} of {len(results)}; rule violations in the "
          f"patched rosters: {sum(r.get('violations', 0) for r in results)}; changes by kind: "
          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"time per explanation: median {statistics.median(seconds):.1f} s, "
          f"max {max(seconds):.1f} s, total {sum(seconds):.1f} s")
    if full:
        done = [r for r in results if r["found"] is not None]
        print(f"full re-solve from scratch: served {sum(1 for r in done if r['full_served'])} "
              f"of {len(done)}, rule violations {sum(r['full_violations'] for r in done)}")


if __name__ == "__main__":
    main()
