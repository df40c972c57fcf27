"""The most visits one volunteer can make for one resident, against what CP-SAT schedules
when nothing else stands in the way (hours ample, every visit worth more than its cost)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.candidates import candidate_pairs
from matcher.options import visit_options
from matcher.solvers.visit_caps import visit_caps
from tests.scenarios import scenario

DAYS = ["Mon", "Tue", "Wed"]
SERVICES = {name: {"name": name, "skills": []}
            for name in ("talk", "walk", "read", "cook", "shop", "sing", "tidy")}


def _window(draw, low: int, high: int) -> str:
    day = draw(st.sampled_from(DAYS))
    start = draw(st.integers(low, high - 1))
    length = draw(st.integers(1, 6))
    return f"{day} {start * 30 // 60:02d}:{start * 30 % 60:02d}-" \
           f"{(start + length) * 30 // 60:02d}:{(start + length) * 30 % 60:02d}"


@st.composite
def one_pair(draw):
    """One resident with two or three needs on a few short windows, one volunteer."""
    needs = []
    for service in list(SERVICES)[:draw(st.integers(2, 3))]:  # within MOST_NEEDS
        needs.append({"service": service,
                      "duration_min": draw(st.sampled_from([30, 45, 60, 90])),
                      "visits_per_week": draw(st.integers(1, 2)),
                      "windows": [_window(draw, 18, 34)
                                  for _ in range(draw(st.integers(1, 2)))]})
    availability = [_window(draw, 16, 36) for _ in range(draw(st.integers(1, 3)))]
    return scenario([{"needs": needs}],
                    [{"id": "V1", "availability": availability, "max_hours_per_week": 40}],
                    services=SERVICES)


def caps_of(problem) -> int:
    options = visit_options(problem, candidate_pairs(problem))
    rows = np.arange(len(options.need))
    return int(visit_caps(problem, options, rows, np.zeros(len(rows), dtype=np.int64), 1)[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_pair())
def test_the_cap_is_the_most_visits_a_roster_makes(s):
    result = matcher.solve(s, time_limit_s=20)
    assert result.status == "optimal"
    assert caps_of(result.problem) == len(result.solution.visits)


def test_needs_on_days_of_their_own_are_counted_whole():
    needs = [{"service": "talk", "duration_min": 60, "visits_per_week": 2,
              "windows": ["Mon,Tue 09:00-10:00"]},
             {"service": "walk", "duration_min": 60, "windows": ["Wed 09:00-10:00"]}]
    s = scenario([{"needs": needs}], [{"id": "V1"}], services=SERVICES)
    assert caps_of(matcher.solve(s, time_limit_s=20).problem) == 3


def test_a_resident_with_many_needs_leaves_the_others_capped():
    # R1 has seven needs (more than the caps look at) with V2; R2's two needs fit only
    # Monday 16:00-17:00 with V1, one at a time.
    many = [{"service": service, "duration_min": 30, "windows": ["Tue 09:00-12:00"]}
            for service in SERVICES]
    short = [{"service": "talk", "duration_min": 60, "windows": ["Mon 14:30-17:00"]},
             {"service": "walk", "duration_min": 45, "windows": ["Mon 15:00-17:00"]}]
    s = scenario([{"id": "R1", "needs": many}, {"id": "R2", "needs": short}],
                 [{"id": "V1", "availability": ["Mon 16:00-21:00"]},
                  {"id": "V2", "availability": ["Tue 08:00-20:00"]}], services=SERVICES)
    problem = matcher.solve(s, time_limit_s=20).problem
    options = visit_options(problem, candidate_pairs(problem))
    rows = np.arange(len(options.need))
    pair = problem.need_resident[options.need] * 2 + options.volunteer
    caps = visit_caps(problem, options, rows, pair, 4)
    assert caps.tolist() == [0, 7, 1, 0]  # (R1, V1), (R1, V2), (R2, V1), (R2, V2)
