"""A scenario written back as one self-contained scenario.yaml, every entity inline.

A variant exists only in memory until it is written; this writes it in the format so that
`matcher solve`, `matcher check` and `matcher.read_scenario` take it like any scenario, and
reading it back gives an equal `Scenario` (source locations aside). Every field is written
explicitly, config included, so the file means the same whatever defaults apply elsewhere.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from matcher.scenario.model import DAYS, Need, Resident, Scenario, Volunteer, Window, Wishes

SCENARIO_FILE = "scenario.yaml"
FORMAT = "matcher/v1"


def scenario_document(scenario: Scenario) -> dict:
    """The scenario as the plain mapping of a scenario file (format section 1)."""
    document: dict = {
        "format": FORMAT,
        "name": scenario.name,
        "week_of": scenario.week_of.isoformat(),
        "config": _plain(scenario.config.as_dict()),
        "services": {service.id: {"name": service.name, "skills": list(service.skills)}
                     for service in scenario.services},
    }
    if scenario.stations:
        document["stations"] = [{"id": s.id, "name": s.name, "lat": s.lat, "lon": s.lon}
                                for s in scenario.stations]
    if scenario.organizations:
        document["organizations"] = [{"id": o.id, "name": o.name}
                                     for o in scenario.organizations]
    document["residents"] = [_resident(resident) for resident in scenario.residents]
    document["volunteers"] = [_volunteer(volunteer) for volunteer in scenario.volunteers]
    if scenario.current:
        document["current"] = [{"resident": p.resident, "volunteer": p.volunteer}
                               for p in scenario.current]
    return document


def scenario_text(scenario: Scenario, comment: str = "") -> str:
    """The text of scenario.yaml, with `comment` as leading `#` lines."""
    body = yaml.safe_dump(scenario_document(scenario), allow_unicode=True, sort_keys=False,
                          width=100, default_flow_style=None)
    return "".join(f"# {line}\n" for line in comment.splitlines()) + body


def write_scenario_file(scenario: Scenario, out_dir: str | os.PathLike, comment: str = "") -> Path:
    """Write `out_dir`/scenario.yaml and return its path.

    The file is written beside its final name and renamed over it, so an interrupted run
    never leaves half a scenario where an earlier one was.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SCENARIO_FILE
    text = scenario_text(scenario, comment)
    handle, temporary = tempfile.mkstemp(prefix=f".{SCENARIO_FILE}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def window_texts(windows: tuple[Window, ...]) -> list[str]:
    """Windows as the format's strings, days with the same hours joined: 'Mon-Fri 09:00-11:30'.

    The scenario holds one window per day; writing them grouped keeps a volunteer's week on
    one readable line, and reads back to the same windows.
    """
    days_by_hours: dict[tuple[int, int], list[int]] = {}
    for window in sorted(windows):
        days_by_hours.setdefault((window.start, window.end), []).append(window.day)
    return [f"{_days(days)} {_clock(start)}-{_clock(end)}"
            for (start, end), days in days_by_hours.items()]


def _days(days: list[int]) -> str:
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    # A range reads best from three days on; two days read better as 'Sat,Sun'.
    parts = [f"{DAYS[run[0]]}-{DAYS[run[-1]]}" if len(run) >= 3
             else ",".join(DAYS[day] for day in run) for run in runs]
    return ",".join(parts)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _resident(resident: Resident) -> dict:
    entity: dict = {"id": resident.id, "name": resident.name, "kind": resident.kind,
                    "lat": resident.lat, "lon": resident.lon}
    if resident.station is not None:
        entity["station"] = resident.station
    entity["priority"] = resident.priority
    entity["team_size"] = resident.team_size
    for key, wishes in (("require", resident.require), ("prefer", resident.prefer)):
        if not wishes.is_empty:
            entity[key] = _wishes(wishes)
    if resident.exclude_volunteers:
        entity["exclude_volunteers"] = list(resident.exclude_volunteers)
    entity["needs"] = [_need(need) for need in resident.needs]
    return entity


def _need(need: Need) -> dict:
    return {"service": need.service, "visits_per_week": need.visits_per_week,
            "duration_min": need.duration_min, "volunteers_per_visit": need.volunteers_per_visit,
            "windows": window_texts(need.windows)}


def _wishes(wishes: Wishes) -> dict:
    result: dict = {}
    if wishes.gender is not None:
        result["gender"] = wishes.gender
    if wishes.languages:
        result["languages"] = list(wishes.languages)
    return result


def _volunteer(volunteer: Volunteer) -> dict:
    entity: dict = {"id": volunteer.id, "name": volunteer.name, "lat": volunteer.lat,
                    "lon": volunteer.lon}
    for key in ("gender", "organization", "station"):
        if getattr(volunteer, key) is not None:
            entity[key] = getattr(volunteer, key)
    for key in ("skills", "languages"):
        if getattr(volunteer, key):
            entity[key] = list(getattr(volunteer, key))
    entity["availability"] = window_texts(volunteer.availability)
    entity["max_hours_per_week"] = _plain(volunteer.max_hours_per_week)
    entity["max_residents"] = volunteer.max_residents
    entity["max_distance_km"] = _plain(volunteer.max_distance_km)
    entity["travel"] = volunteer.travel
    if volunteer.background_check_until is not None:
        entity["background_check_until"] = volunteer.background_check_until.isoformat()
    return entity


def _plain(value):
    """Whole floats as ints (4 rather than 4.0) for a person reading the file; the reader
    turns them back into the same floats."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
