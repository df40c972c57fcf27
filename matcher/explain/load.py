"""A roster folder and the scenario it was made for, read back together and checked to match.

`summary.json` records the scenario's name, its week, the config in force and a hash of the
inputs (`matcher.scenario_hash.input_hash`), but not the scenario's path, so the scenario is given
by the caller. The recorded config replaces the scenario file's own before the hash is
compared: a roster solved with `--set weights.distance_km=2` is explained with that weight,
and a scenario whose residents, volunteers or config differ from the roster's is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from matcher.errors import InputProblem, ScenarioError
from matcher.export.read import RosterTables, read_roster
from matcher.scenario import Scenario, read_scenario
from matcher.scenario.config import build_config, check_config
from matcher.scenario_hash import input_hash
from matcher.solution import Solution, Visit

SUMMARY = "summary.json"
# Where `matcher solve` records the scenario file (absent for a scenario built in memory).
SCENARIO_PATH_KEYS = ("scenario_path",)


@dataclass(frozen=True, eq=False)
class LoadedRoster:
    """A roster folder in the scenario's integer indices, with its summary and unmet rows."""

    folder: Path
    scenario: Scenario
    solution: Solution
    tables: RosterTables
    summary: dict


def load_roster(roster_dir: str | os.PathLike, scenario: Scenario | str | os.PathLike | None = None,
                config_paths: tuple[str, ...] = ()) -> LoadedRoster:
    """Read `roster_dir` and its scenario (a path, an already read Scenario, or None for the
    path summary.json records). Raises ScenarioError naming the file and field on bad input."""
    folder = Path(roster_dir)
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is a file"
        raise _error(str(folder), f"is not a roster folder (it {what}; expected the folder "
                     "`matcher solve -o` wrote, with assignments.csv, visits.csv, unmet.csv "
                     "and summary.json)")
    summary = read_summary(folder / SUMMARY)
    if scenario is None:
        scenario = _recorded_path(folder / SUMMARY, summary)
    if not isinstance(scenario, Scenario):
        scenario = read_scenario(scenario, config_paths, today=_week_before(summary))
    scenario = _with_recorded_config(scenario, folder / SUMMARY, summary)
    recorded, now = summary.get("input_hash"), input_hash(scenario)
    if recorded != now:
        source = scenario.source or "the scenario"
        raise _error(str(folder / SUMMARY), "the roster was made for other inputs than "
                     f"{source} (input_hash {str(recorded)[:19]}... recorded, {now[:19]}... "
                     "for this scenario with the recorded config); give the scenario, and any "
                     "--config, the roster was solved with", field="input_hash")
    tables = read_roster(folder, scenario)
    return LoadedRoster(folder, scenario, _solution(folder, scenario, tables), tables, summary)


def read_summary(path: Path) -> dict:
    if not path.is_file():
        raise _error(str(path), "file does not exist (a roster folder written by `matcher "
                     "solve` holds summary.json)")
    try:
        summary = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as error:
        raise _error(str(path), f"cannot be read as JSON: {error}") from None
    if not isinstance(summary, dict):
        raise _error(str(path), "is not a JSON object")
    if not isinstance(summary.get("input_hash"), str):
        raise _error(str(path), "is missing or not a string (expected the hash `matcher "
                     "solve` records)", field="input_hash")
    return summary


def _recorded_path(path: Path, summary: dict) -> str:
    for key in SCENARIO_PATH_KEYS:
        value = summary.get(key)
        if isinstance(value, str) and value and os.path.isfile(value):
            return value
    name = summary.get("scenario")
    named = f" (it records the scenario's name {name!r}, not its file)" if name else ""
    raise _error(str(path), f"does not record where the scenario is{named}; give the "
                 "scenario the roster was solved for with --scenario FILE", field="scenario")


def _week_before(summary: dict) -> dt.date | None:
    """A 'today' whose next Monday is the recorded week, so that a scenario without
    `week_of` is read for the week its roster was made for."""
    try:
        return dt.date.fromisoformat(str(summary.get("week_of"))) - dt.timedelta(days=7)
    except ValueError:
        return None


def _with_recorded_config(scenario: Scenario, path: Path, summary: dict) -> Scenario:
    settings = summary.get("config")
    if settings is None:
        return scenario
    problems: list[InputProblem] = []
    check_config(settings, str(path), problems)
    if problems:
        raise ScenarioError(problems)
    # Built from the values as recorded, not as checked: checking turns 1000 into 1000.0,
    # which the input hash would tell apart.
    return replace(scenario, config=build_config(settings))


def _solution(folder: Path, scenario: Scenario, tables: RosterTables) -> Solution:
    """The roster in integer indices. Ids are known to the scenario (read_roster checked
    them); a visit of a service the resident does not ask is refused here."""
    residents = {r.id: i for i, r in enumerate(scenario.residents)}
    volunteers = {v.id: i for i, v in enumerate(scenario.volunteers)}
    need_of: dict[tuple[str, str], int] = {}
    index = 0
    for resident in scenario.residents:
        for need in resident.needs:
            need_of.setdefault((resident.id, need.service), index)
            index += 1
    problems = []
    visits = []
    for row_number, visit in enumerate(tables.visits, start=2):
        need = need_of.get((visit.resident, visit.service))
        if need is None:
            problems.append(InputProblem(str(folder / "visits.csv"), row_number,
                                         f"row {row_number}", "service",
                                         f"resident {visit.resident} has no need "
                                         f"'{visit.service}' in the scenario"))
            continue
        visits.append(Visit(need, visit.day, visit.start,
                            tuple(sorted(volunteers[v] for v in visit.volunteers))))
    if problems:
        raise ScenarioError(problems)
    pairs = [(residents[p.resident], volunteers[p.volunteer]) for p in tables.pairs]
    return Solution.of(pairs, visits)


def _error(file: str, message: str, field: str | None = None) -> ScenarioError:
    return ScenarioError([InputProblem(file, None, None, field, message)])
