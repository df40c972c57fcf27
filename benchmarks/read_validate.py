"""Time and peak memory to read and validate a generated scenario, by preset.

Each measurement runs in a fresh process (so peak memory is that of reading alone):
generate the preset once, then read + validate it `--repeat` times and report the median.

    python benchmarks/read_validate.py [--presets district city] [--repeat 3]
    python benchmarks/read_validate.py --presets city --volunteers 300000 1473700
    python benchmarks/read_validate.py --scenarios path/to/scenario.yaml ...

`--volunteers` generates the city preset's residents beside that many volunteers (the
scheme's registry holds 1,473,700); `--scenarios` measures scenarios already written.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from matcher.generate import write_scenario

CHILD = """
import json, resource, sys, time
started = time.perf_counter()
from matcher.scenario import read_scenario
from matcher.report import validation_report
scenario = read_scenario(sys.argv[1])
read_s = time.perf_counter() - started
validation_report(scenario)
total_s = time.perf_counter() - started
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"read_s": read_s, "total_s": total_s, "peak_mib": peak_mib,
                  "residents": len(scenario.residents), "volunteers": len(scenario.volunteers)}))
"""


def measure(path: Path) -> dict:
    output = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", nargs="*", default=["district", "city"],
                        help="presets to generate and read (none: only --scenarios)")
    parser.add_argument("--volunteers", type=int, nargs="+", default=[],
                        help="also the city preset beside this many volunteers")
    parser.add_argument("--scenarios", nargs="+", default=[], help="scenario files to read")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}, "
          f"median of {args.repeat} fresh processes")
    header = (f"{'preset':<10} {'residents':>9} {'volunteers':>10} {'read s':>7} "
              f"{'read+validate s':>16} {'peak MiB':>9}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.presets:
            path = write_scenario(Path(tmp) / preset, preset, seed=1, with_current=True)
            print_row(preset, [measure(path) for _ in range(args.repeat)])
        for volunteers in args.volunteers:
            path = write_scenario(Path(tmp) / f"city-{volunteers}", "city", seed=1,
                                  volunteers=volunteers, with_current=True)
            print_row("city", [measure(path) for _ in range(args.repeat)])
        for scenario in args.scenarios:
            print_row(Path(scenario).parent.name[:10] or "scenario",
                      [measure(Path(scenario)) for _ in range(args.repeat)])


def print_row(label: str, runs: list[dict]) -> None:
    print(f"{label:<10} {runs[0]['residents']:>9,} {runs[0]['volunteers']:>10,} "
          f"{statistics.median(r['read_s'] for r in runs):>7.2f} "
          f"{statistics.median(r['total_s'] for r in runs):>16.2f} "
          f"{statistics.median(r['peak_mib'] for r in runs):>9.0f}", flush=True)


if __name__ == "__main__":
    main()
