"""Checks across entities: unique ids, references that resolve, and limits that relate fields."""

from __future__ import annotations

from collections.abc import Iterable

from matcher.errors import InputProblem
from matcher.scenario.fields import did_you_mean
from matcher.scenario.model import Scenario


def check_references(scenario: Scenario, scenario_file: str,
                     unreadable_ids: dict[str, set[str]] | None = None) -> list[InputProblem]:
    """Every cross-entity problem of a scenario.

    `unreadable_ids` (kind -> ids) names entities that exist in the input but could not be
    read; a reference to one of them is not reported as unknown, its own problem is.
    """
    unreadable_ids = unreadable_ids or {}
    problems: list[InputProblem] = []

    def report(entity, kind: str, field: str, message: str) -> None:
        source = getattr(entity, "source", None)
        file = source.file if source else scenario_file
        line = source.line if source else None
        problems.append(InputProblem(file, line, f"{kind} {getattr(entity, 'id', '')}".strip(), field,
                                message))

    for kind, entities in (("service", scenario.services), ("station", scenario.stations),
                           ("organization", scenario.organizations),
                           ("resident", scenario.residents), ("volunteer", scenario.volunteers)):
        _duplicate_ids(kind, entities, report)

    def ids(kind: str, entities: Iterable) -> set[str]:
        return {entity.id for entity in entities} | unreadable_ids.get(kind, set())

    services = ids("service", scenario.services)
    stations = ids("station", scenario.stations)
    organizations = ids("organization", scenario.organizations)
    residents = ids("resident", scenario.residents)
    volunteers = ids("volunteer", scenario.volunteers)

    for resident in scenario.residents:
        _reference(resident, "resident", "station", resident.station, stations, "station", report)
        seen_services: set[str] = set()
        for index, need in enumerate(resident.needs):
            where = f"needs[{index}]"
            _reference(resident, "resident", f"{where}.service", need.service, services,
                       "service", report)
            if need.service in seen_services:
                report(resident, "resident", f"{where}.service",
                       f"'{need.service}' is listed twice (give one need per service; "
                       "the roster reports needs by service)")
            seen_services.add(need.service)
            if need.volunteers_per_visit > resident.team_size:
                report(resident, "resident", f"{where}.volunteers_per_visit",
                       f"{need.volunteers_per_visit} is more than team_size "
                       f"{resident.team_size} (expected at most team_size)")
        for index, volunteer_id in enumerate(resident.exclude_volunteers):
            _reference(resident, "resident", f"exclude_volunteers[{index}]", volunteer_id,
                       volunteers, "volunteer", report)

    for volunteer in scenario.volunteers:
        _reference(volunteer, "volunteer", "station", volunteer.station, stations, "station",
                   report)
        _reference(volunteer, "volunteer", "organization", volunteer.organization,
                   organizations, "organization", report)

    seen_pairs: set[tuple[str, str]] = set()
    for pair in scenario.current:
        label = _PairLabel(pair)
        _reference(label, "current pair", "resident", pair.resident, residents, "resident",
                   report)
        _reference(label, "current pair", "volunteer", pair.volunteer, volunteers, "volunteer",
                   report)
        key = (pair.resident, pair.volunteer)
        if key in seen_pairs:
            report(label, "current pair", "", "appears twice")
        seen_pairs.add(key)
    return problems


class _PairLabel:
    def __init__(self, pair):
        self.id = f"{pair.resident}-{pair.volunteer}"
        self.source = pair.source


def _duplicate_ids(kind: str, entities: Iterable, report) -> None:
    first_seen: dict[str, object] = {}
    for entity in entities:
        earlier = first_seen.get(entity.id)
        if earlier is None:
            first_seen[entity.id] = entity
            continue
        where = getattr(earlier, "source", None)
        report(entity, kind, "id", f"'{entity.id}' is used twice"
               + (f" (first at {where})" if where else ""))


def _reference(entity, kind: str, field: str, value: str | None, known: set[str],
               target: str, report) -> None:
    if value is None or value in known:
        return
    hint = did_you_mean(value, known) if len(known) < 5000 else ""
    report(entity, kind, field, f"'{value}' is not a known {target} id{hint}")
