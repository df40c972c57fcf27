"""The input hash a roster records: what the scenario means, written the same way always."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher.scenario.model import Location, Window
from matcher.scenario_hash import input_hash
from tests.scenarios import scenario

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "tiny" / "scenario.yaml"


def reference_hash(scenario) -> str:
    """The hash by its definition: the JSON of the entities as plain mappings, without where
    each was written, keys sorted."""
    def plain(entity) -> dict:
        data = asdict(entity)
        data.pop("source", None)
        return data

    content = {
        "name": scenario.name,
        "week_of": scenario.week_of.isoformat(),
        **{key: [plain(entity) for entity in getattr(scenario, key)]
           for key in ("services", "stations", "organizations", "residents", "volunteers")},
        "current": [[p.resident, p.volunteer] for p in scenario.current],
        "config": scenario.config.as_dict(),
    }
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_bundled_scenario_keeps_the_hash_its_rosters_recorded():
    # Rosters written before keep being explained against their scenario only while the
    # hash of the same inputs stays the same.
    assert input_hash(matcher.read_scenario(TINY)) == (
        "sha256:84e17254bca8055f1c49a8a70755f6930905b6fd712bd72decba8e948695d807")


def test_the_bundled_scenarios_hash_as_defined():
    for name in ("tiny", "station", "district"):
        loaded = matcher.read_scenario(ROOT / "scenarios" / name / "scenario.yaml")
        assert input_hash(loaded) == reference_hash(loaded), name


def _awkward() -> matcher.Scenario:
    base = scenario(
        [{"id": "R1", "needs": [{"service": "companionship", "duration_min": 60,
                                 "windows": ["Mon 09:00-12:00", "Wed 09:00-12:00"]}]},
         {"id": "R2", "require": {"gender": "female"}, "prefer": {"languages": ["yue"]}}],
        [{"id": "V1", "skills": ["rehab", "first_aid"]}, {"id": "V2"}],
        current=[("R1", "V1")])
    shared = base.volunteers[0].availability
    volunteers = (
        replace(base.volunteers[0], name='引号 " 反斜杠 \\ 换行 \n 😀', max_distance_km=math.inf,
                background_check_until=dt.date(2027, 3, 1)),
        replace(base.volunteers[1], availability=shared, lat=40, lon=np.float64(118.25),
                max_hours_per_week=-0.0, background_check_until=None),
    )
    return replace(base, volunteers=volunteers)


def test_awkward_values_hash_as_defined():
    awkward = _awkward()
    assert input_hash(awkward) == reference_hash(awkward)


def test_where_an_entity_was_written_does_not_change_the_hash_but_what_it_says_does():
    awkward = _awkward()
    moved = replace(awkward, residents=tuple(
        replace(r, source=Location("elsewhere.csv", 99)) for r in awkward.residents))
    assert input_hash(moved) == input_hash(awkward)
    farther = replace(awkward, volunteers=(
        replace(awkward.volunteers[0], lat=awkward.volunteers[0].lat + 1e-6),
        *awkward.volunteers[1:]))
    assert input_hash(farther) != input_hash(awkward)


_numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                     st.integers(-10**20, 10**20), st.booleans())


@settings(max_examples=60, deadline=None)
@given(name=st.text(), lat=_numbers, hours=_numbers, skills=st.lists(st.text(), max_size=3),
       organization=st.one_of(st.none(), st.text()),
       windows=st.lists(st.builds(Window, st.integers(0, 6), st.integers(0, 1439),
                                  st.integers(1, 1440)), max_size=3),
       checked=st.one_of(st.none(), st.dates()))
def test_any_field_values_hash_as_defined(name, lat, hours, skills, organization, windows,
                                           checked):
    base = _awkward()
    volunteer = replace(base.volunteers[0], name=name, lat=lat, max_hours_per_week=hours,
                        skills=tuple(skills), organization=organization,
                        availability=tuple(windows), background_check_until=checked)
    varied = replace(base, volunteers=(volunteer, *base.volunteers[1:]))
    assert input_hash(varied) == reference_hash(varied)
