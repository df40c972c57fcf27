"""check_roster: every hard rule and the output contract, over one roster folder."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from matcher.scenario.model import Scenario

from . import contract, rules
from .context import Context
from .files import read_roster
from .violation import Violation, sort_violations

# Every check, in the order of the format; each takes a Context and yields Violations.
CHECKS = (
    rules.pairs_within_distance,
    rules.teams_within_size,
    rules.attendees_paired,
    rules.need_visit_counts,
    rules.visits_inside_windows,
    rules.visits_inside_availability,
    rules.visit_lengths,
    rules.visit_attendance,
    rules.visits_have_skills,
    rules.volunteers_without_clashes,
    rules.residents_without_clashes,
    rules.volunteer_hours_within_cap,
    rules.volunteer_loads_within_cap,
    rules.pairs_respect_wishes,
    rules.pair_rows_match_scenario,
    rules.pair_rows_unique,
    rules.visit_ids_exist,
    rules.unmet_ids_exist,
    rules.children_safeguarded,
    contract.unmet_rows_unique,
    contract.unmet_rows_have_reasons,
    contract.unmet_matches_roster,
    contract.summary_complete,
    contract.summary_matches_roster,
)


def check_roster(scenario: Scenario, roster_dir: str | Path) -> list[Violation]:
    """All violations of the roster folder against the scenario; an empty list means valid.

    Never raises on a malformed roster: unreadable files and cells are OUTPUT violations and
    the checks that do not depend on them still run.
    """
    with _collector_paused():
        roster, violations = read_roster(Path(roster_dir))
        context = Context.build(scenario, roster)
        for check in CHECKS:
            violations.extend(check(context))
    # The same problem found twice (e.g. a repeated row) is reported once.
    return sort_violations(list(dict.fromkeys(violations)))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while checking.

    Checking a city roster makes a few hundred thousand small objects, none in a cycle.
    Each of them counts towards the automatic full collections, and each full collection
    rescans the whole scenario already in memory: measured, that tripled the time of some
    checks. Reference counting still frees everything; the collector runs again after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
