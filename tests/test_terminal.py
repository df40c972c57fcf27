"""The lines printed after a solve."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import matcher
from matcher.check import check_roster
from matcher.reasons import KNOWN_KINDS, reason_kinds
from matcher.scenario import read_scenario
from matcher.terminal import solve_report

ROOT = Path(__file__).resolve().parent.parent
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"


def test_unmet_needs_are_counted_by_kind_not_by_sentence(tmp_path):
    scenario = read_scenario(STATION)
    result = matcher.solve(scenario, method="greedy")
    out = result.write(tmp_path / "roster")
    assert check_roster(scenario, out) == []
    sentences = set(result.unmet["reason"])
    lines = solve_report(result, out).splitlines()
    start = lines.index("unmet needs by reason:") + 1
    counted = {}
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        count, kind = line.split(maxsplit=1)
        counted[kind] = int(count)
    # Sentences differ by counts, ids and windows; their kinds are few, and each row
    # counts once under each kind its reason gives.
    assert len(counted) < len(sentences)
    assert set(counted) <= KNOWN_KINDS
    assert counted == Counter(kind for reason in result.unmet["reason"]
                              for kind in reason_kinds(reason))
