"""Refuse, before the work starts, a scenario whose solve would not fit in memory.

A solve's memory grows with the (resident, volunteer) pairs it makes: their candidate
pairs, the visit options made of them, and the bound worked out beside the search all hold
arrays over them. Measured peaks (the search's process and the bound's together): city
preset, 2.30 M pairs within reach, 2.4 GB (about 1,040 bytes a pair) with their resident
sizes added up; counting the pages they share once (their proportional set sizes), 1.5
GiB with the checker, about 700 bytes a pair: the figures here keep the rest as margin.
Where volunteers are many, residents keep only their nearest (`candidates.nearest_share`),
so the pairs grow with the residents, 200 each past 3 M; without that, a city of 15,000
residents beside a registry of 1.47 M volunteers made 57 M pairs and was killed by the
system minutes later, at 24 GB, with no word said. A scenario with residents enough to
need more memory than the machine has (about a gigabyte for every 5,000 past 15,000) is
refused at once: counting the pairs takes a fraction of a second, and the message says
what would make it smaller.
"""

from __future__ import annotations

from pathlib import Path

from matcher.candidates import count_pairs_within_reach
from matcher.errors import InputProblem, ScenarioError
from matcher.problem import Problem

BYTES_PER_PAIR = 1_000  # peak memory of a solve, per pair it makes (measured above)
# ... and per volunteer, past what reading them took: the city preset with 1.47 M
# volunteers peaked at 8.1 GB with 3.1 M pairs, 4.6 GB more than after reading; since
# volunteers are read column by column, 5.1 GiB for all its processes (shared pages
# once), 3.0 GiB more than after reading, where these figures count 4.3 GiB.
BYTES_PER_VOLUNTEER = 1_000
GIB = 2 ** 30
MEMINFO = Path("/proc/meminfo")


def check_fits_in_memory(problem: Problem, available: int | None = None) -> int:
    """The pairs the solve makes; raises `ScenarioError` if solving them would take more
    memory than is available (`available` bytes; by default what the system reports, and
    no check where it reports nothing)."""
    pairs = count_pairs_within_reach(problem)
    if available is None:
        available = available_memory()
    needed = memory_needed(pairs, problem.n_volunteers)
    if available is not None and needed > available:
        source = problem.scenario.source or "scenario"
        raise ScenarioError([InputProblem(
            source, None, None, "volunteers",
            f"{problem.n_volunteers:,} volunteers and {problem.n_residents:,} residents make "
            f"{pairs / 1e6:.1f} million candidate pairs, whose solve would take about "
            f"{needed / GIB:.0f} GiB of memory, and this machine has {available / GIB:.1f} "
            "GiB free: solve fewer residents at a time (a district, or a few stations), or "
            "lower the volunteers' max_distance_km")])
    return pairs


def memory_needed(pairs: int, volunteers: int) -> int:
    """Bytes a solve of this many pairs and volunteers needs at its peak, about."""
    return pairs * BYTES_PER_PAIR + volunteers * BYTES_PER_VOLUNTEER


def available_memory() -> int | None:
    """Bytes of memory the system can give without swapping (Linux's MemAvailable), or None
    where it does not say."""
    try:
        lines = MEMINFO.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return None
