"""How a scenario that `extends:` another is laid over its base.

A variant file names its base and says only what differs:

    extends: base.yaml
    config: {weights: {distance_km: 2}}
    volunteers:
      - {id: V0117, max_distance_km: 5}        # a base volunteer: only these fields change
      - {id: V9001, name: ..., ...}             # a new volunteer: written in full
    remove:
      volunteers: [V0042]

Entities are matched by id. A new id adds the entity; a base id changes the fields written
and keeps the rest; `remove` takes entities out, with the references that would dangle
(their pairs in `current`, their place in `exclude_volunteers`). This module holds the
overlay itself; reading and checking the variant's records stay with the parser, so a
variant is validated exactly like any scenario.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from matcher.scenario.model import Pair, Resident, Scenario

# Keys of `remove:`, each the top-level list the ids are taken from.
REMOVABLE = ("services", "stations", "organizations", "residents", "volunteers")
KIND_OF = {"services": "service", "stations": "station", "organizations": "organization",
           "residents": "resident", "volunteers": "volunteer"}


def overlay(base: Iterable[Any], changes: Iterable[Any], removed: Iterable[str]) -> tuple:
    """Base entities in base order, each replaced by its changed version if any, without
    the removed ones; new entities follow in the order the variant lists them."""
    changed = {entity.id: entity for entity in changes}
    gone = set(removed)
    base_ids = set()
    result = []
    for entity in base:
        base_ids.add(entity.id)
        if entity.id not in gone:
            result.append(changed.get(entity.id, entity))
    result.extend(entity for entity in changes if entity.id not in base_ids)
    return tuple(result)


def without_dangling(residents: tuple[Resident, ...], current: tuple[Pair, ...],
                     removed: Mapping[str, frozenset[str]],
                     ) -> tuple[tuple[Resident, ...], tuple[Pair, ...]]:
    """Drop what refers to removed residents and volunteers.

    A volunteer who leaves the scheme leaves their pairs and stops being excluded by anyone;
    keeping those references would make a valid variant fail on ids it deliberately removed.
    Removed stations, organizations and services are not cleaned up this way: an entity
    still pointing at one is a real mistake in the variant, reported as an unknown id.
    """
    gone_residents = removed.get("residents", frozenset())
    gone_volunteers = removed.get("volunteers", frozenset())
    if gone_volunteers:
        residents = tuple(
            replace(r, exclude_volunteers=tuple(v for v in r.exclude_volunteers
                                                if v not in gone_volunteers))
            if any(v in gone_volunteers for v in r.exclude_volunteers) else r
            for r in residents)
    current = tuple(pair for pair in current
                    if pair.resident not in gone_residents and pair.volunteer not in gone_volunteers)
    return residents, current


def base_ids(base: Scenario) -> dict[str, set[str]]:
    """The ids of each removable kind in the base scenario."""
    return {key: {entity.id for entity in getattr(base, key)} for key in REMOVABLE}
