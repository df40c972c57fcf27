"""Ctrl-C during `matcher solve`: the best roster so far is written, checked and marked."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matcher.check import check_roster
from matcher.scenario import read_scenario
from matcher.solvers.pool import can_fork

ROOT = Path(__file__).resolve().parents[1]
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"

# A process started by a test runner may inherit SIGINT ignored; a terminal's is not.
# The second line makes the station take the path of a large part, on worker processes.
RUN = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from matcher.solvers import partition
partition.PARALLEL_RESIDENTS = int(sys.argv[1])
from matcher.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("workers", [
    1, pytest.param(2, marks=pytest.mark.skipif(not can_fork(), reason="needs fork()"))])
def test_ctrl_c_keeps_the_best_roster_so_far(tmp_path, workers):
    out = tmp_path / "roster"
    command = [sys.executable, "-c", RUN, "20", "solve", str(STATION), "-o", str(out),
               "--time-limit", "60", "--workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    # Interrupt once the work has begun: with two workers, the team choice, then inside
    # CP-SAT models; with one, the integer relaxation solved before the search.
    for line in process.stderr:
        if "candidate teams" in line or "integer relaxation" in line:
            break
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "stopping: keeping the best roster found so far" in stderr
    assert "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "interrupted"
    assert check_roster(read_scenario(STATION), out) == []


# A solve whose step under way does not heed the stop flag for a long while.
STUCK = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
import matcher.api
def stuck(*args, progress=None, stop=None, **settings):
    progress("working")
    time.sleep(60)
matcher.api.solve = stuck
from matcher.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_second_ctrl_c_quits_at_once_and_writes_nothing(tmp_path):
    out = tmp_path / "roster"
    process = subprocess.Popen([sys.executable, "-c", STUCK, "solve", str(STATION), "-o",
                                str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    for line in process.stderr:
        if "working" in line:
            break
    time.sleep(0.5)  # the command waits on the search by now
    process.send_signal(signal.SIGINT)
    stopping = next((line for line in process.stderr if "stopping" in line), "")
    assert "Ctrl-C again to quit" in stopping
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    # Read through the same buffered stream the lines above came from (`communicate`
    # would read the pipe underneath it and miss what the stream had already taken in).
    stderr = process.stderr.read()
    assert time.monotonic() - started < 10
    assert process.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not out.exists()
