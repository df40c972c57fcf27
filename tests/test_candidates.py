"""Time rules (H3) of candidate pairs and visit options against minute-by-minute counting.

The fast paths (one interval a day on each side, worked out over all pairs at once) and the
general path (several intervals on a day) must both give exactly the start minutes at which
a visit lies inside one of the need's windows and inside the volunteer's availability.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.candidates import candidate_pairs
from matcher.options import visit_options
from matcher.problem import compile_problem
from tests.scenarios import scenario

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SERVICES = ("companionship", "rehab", "escort")  # one need per service; volunteers hold every skill
MINUTES_PER_DAY = 1440


@st.composite
def windows(draw, most: int) -> list[tuple[int, int, int]]:
    """(day, start, end) in minutes, on few days and in whole quarter hours, so that
    several windows often share a day, overlap or touch."""
    count = draw(st.integers(1, most))
    found = []
    for _ in range(count):
        day = draw(st.integers(0, 2))
        start = draw(st.integers(24, 88)) * 15
        length = draw(st.integers(1, 24)) * 15
        found.append((day, start, min(start + length, MINUTES_PER_DAY)))
    return found


def _texts(found: list[tuple[int, int, int]]) -> list[str]:
    return [f"{DAY_NAMES[day]} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
            for day, start, end in found]


def _covered(found: list[tuple[int, int, int]], day: int) -> set[int]:
    """The minutes [m, m + 1) inside some window on `day`."""
    return {m for d, start, end in found if d == day for m in range(start, end)}


def _starts(need: list, availability: list, day: int, duration: int) -> set[int]:
    both = _covered(need, day) & _covered(availability, day)
    return {s for s in range(MINUTES_PER_DAY - duration + 1)
            if all(m in both for m in range(s, s + duration))}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(needs=st.lists(st.tuples(windows(3), st.sampled_from([15, 30, 45, 60, 90, 120])),
                      min_size=1, max_size=3),
       availabilities=st.lists(windows(4), min_size=1, max_size=4))
def test_start_minutes_are_those_where_both_sides_are_free(needs, availabilities):
    asked = [{"service": service, "duration_min": duration, "windows": _texts(found)}
             for service, (found, duration) in zip(SERVICES[:len(needs)], needs, strict=True)]
    problem = compile_problem(scenario(
        [{"id": "R1", "needs": asked}],
        [{"id": f"V{k}", "availability": _texts(found), "skills": ["first_aid", "rehab"]}
         for k, found in enumerate(availabilities, start=1)]))
    candidates = candidate_pairs(problem)
    options = visit_options(problem, candidates)
    useful = dict(zip(candidates.volunteer.tolist(), candidates.useful.tolist(), strict=True))
    for v, availability in enumerate(availabilities):
        expected_any = False
        for n, (need, duration) in enumerate(needs):
            by_day = {o.day: o for o in options.by_need[n] if o.volunteer == v}
            for day in range(7):
                expected = _starts(need, availability, day, duration)
                expected_any |= bool(expected)
                option = by_day.get(day)
                got = ({s for first, last in option.starts for s in range(first, last + 1)}
                       if option is not None else set())
                assert got == expected, (n, v, day)
        assert useful[v] == expected_any, v


def test_equal_windows_written_apart_or_shared_make_one_pattern():
    # Windows read from one table cell are one object, shared; written twice in YAML they
    # are two equal ones. Either way they are one pattern, and different ones are not.
    s = scenario([{"needs": [{"service": "companionship", "duration_min": 60,
                              "windows": ["Mon-Fri 09:00-12:00"]}]}],
                 [{"id": "V1", "availability": ["Mon-Fri 09:00-12:00"]},
                  {"id": "V2", "availability": ["Mon-Fri 09:00-12:00"]},
                  {"id": "V3", "availability": ["Sat 09:00-12:00"]}])
    shared = s.volunteers[0].availability
    s = replace(s, volunteers=(*s.volunteers, replace(s.volunteers[0], id="V4")))
    assert s.volunteers[3].availability is shared
    problem = compile_problem(s)
    patterns = problem.volunteer_window_pattern.tolist()
    assert patterns[0] == patterns[1] == patterns[3] == problem.need_window_pattern[0]
    assert patterns[2] != patterns[0]
    assert len(problem.window_patterns) == 2
