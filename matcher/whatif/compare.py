"""Two roster folders side by side: coverage, unmet reasons, km, hours, fairness, churn and
visits per station, for a planner's "what if" (A is usually the base, B the variant).

Everything is read from the folders (format section 7). A scenario, when given, adds what
the folders do not hold: hours with travel (rule H6's measure), visits demanded per station,
station names, and which of A's volunteers are no longer in B's scenario.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.problem import haversine_km
from matcher.reasons import kind_counts
from matcher.scenario.model import Scenario
from matcher.whatif.folder import RosterFolder, read_roster_folder

KEPT, REMOVED, NEW = "kept", "removed", "new"
PAIR_COLUMNS = ("resident_id", "resident_name", "volunteer_id", "volunteer_name", "station_id",
                "change")
CHANGED_COLUMNS = ("resident_id", "resident_name", "station_id", "volunteers_a", "volunteers_b")
REASON_COLUMNS = ("kind", "needs_a", "needs_b", "change")
STATION_COLUMNS = ("station_id", "station_name", "demanded_a", "scheduled_a", "demanded_b",
                   "scheduled_b", "change")


@dataclass(frozen=True)
class RosterFigures:
    """The headline figures of one roster folder."""

    folder: str
    scenario_name: str
    status: str
    visits_demanded: int
    visits_scheduled: int
    residents: int | None
    residents_fully_served: int | None
    team_members_demanded: int | None
    team_members_assigned: int
    volunteers_used: int
    unmet_needs: int
    km: float
    service_hours: float
    hours: float | None  # service plus travel there and back; needs the scenario
    fairness: float
    objective: float | None

    @property
    def coverage(self) -> float:
        """Visits scheduled / visits demanded (1.0 when nothing is demanded)."""
        return self.visits_scheduled / self.visits_demanded if self.visits_demanded else 1.0


@dataclass(frozen=True, eq=False)
class Comparison:
    """Roster A against roster B. Tables are DataFrames; ids in lists are sorted, `;`-joined.

    - `pairs`: every pair of A or B with `change` kept / removed (in A only) / new (in B only);
    - `residents_changed`: residents whose set of volunteers differs, with both sets;
    - `unmet_by_reason`: unmet.csv rows per kind of reason in A and B;
    - `stations`: visits demanded (with the scenarios) and scheduled per station in A and B;
    - `volunteers_gone`: volunteers paired in A that B's scenario no longer holds (empty
      without `scenario_b`), i.e. the pairs a drop-out forced to go.

    (`eq=False`: DataFrames have no single truth value, so comparisons are not compared.)
    """

    a: RosterFigures
    b: RosterFigures
    pairs: pd.DataFrame
    residents_changed: pd.DataFrame
    unmet_by_reason: pd.DataFrame
    stations: pd.DataFrame
    volunteers_gone: tuple[str, ...] = ()

    @property
    def pairs_kept(self) -> int:
        return int((self.pairs["change"] == KEPT).sum())

    @property
    def pairs_removed(self) -> int:
        return int((self.pairs["change"] == REMOVED).sum())

    @property
    def pairs_new(self) -> int:
        return int((self.pairs["change"] == NEW).sum())

    @property
    def pairs_removed_with_volunteer_gone(self) -> int:
        """Removed pairs whose volunteer left the scenario (0 without `scenario_b`)."""
        removed = self.pairs[self.pairs["change"] == REMOVED]
        return int(removed["volunteer_id"].isin(set(self.volunteers_gone)).sum())

    def volunteers(self, resident_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The resident's volunteers in A and in B, each sorted."""
        rows = self.pairs[self.pairs["resident_id"] == resident_id]
        a = rows[rows["change"] != NEW]["volunteer_id"]
        b = rows[rows["change"] != REMOVED]["volunteer_id"]
        return tuple(sorted(a)), tuple(sorted(b))


def compare_rosters(a_dir: str | os.PathLike, b_dir: str | os.PathLike,
                    scenario_a: Scenario | None = None,
                    scenario_b: Scenario | None = None) -> Comparison:
    """Compare the roster folders `a_dir` and `b_dir` (optionally with their scenarios).

    Raises `RosterFolderError` (a ValueError) for a missing or unreadable folder or file,
    and ValueError when a roster names an id its given scenario does not hold.
    """
    a, b = read_roster_folder(a_dir), read_roster_folder(b_dir)
    for folder, scenario in ((a, scenario_a), (b, scenario_b)):
        if scenario is not None:
            _check_ids(folder, scenario)
    pairs = _pairs(a, b)
    gone: tuple[str, ...] = ()
    if scenario_b is not None:
        held = {volunteer.id for volunteer in scenario_b.volunteers}
        gone = tuple(sorted(set(a.pairs["volunteer_id"]) - held))
    return Comparison(
        a=_figures(a, scenario_a),
        b=_figures(b, scenario_b),
        pairs=pairs,
        residents_changed=_residents_changed(pairs),
        unmet_by_reason=_unmet_by_reason(a, b),
        stations=_stations(a, b, scenario_a, scenario_b),
        volunteers_gone=gone,
    )


def _check_ids(folder: RosterFolder, scenario: Scenario) -> None:
    residents = {resident.id for resident in scenario.residents}
    volunteers = {volunteer.id for volunteer in scenario.volunteers}
    named_residents = set(folder.pairs["resident_id"]) | set(folder.visits["resident_id"])
    named_volunteers = set(folder.pairs["volunteer_id"]) | {
        v for cell in folder.visits["volunteer_ids"] for v in _ids(cell)}
    for kind, named, known in (("resident", named_residents, residents),
                               ("volunteer", named_volunteers, volunteers)):
        unknown = sorted(named - known)
        if unknown:
            shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5
                                              else "")
            raise ValueError(f"{folder.path}: names {kind} {shown}, not in the scenario given "
                             "for it (is it the scenario this roster was made for?)")


def _ids(cell: str) -> list[str]:
    return [part for part in (piece.strip() for piece in str(cell).split(";")) if part]


# -- figures -------------------------------------------------------------------------------

def _figures(folder: RosterFolder, scenario: Scenario | None) -> RosterFigures:
    summary = folder.summary
    coverage = summary["coverage"]
    terms = summary["terms"]
    minutes = _visit_minutes(folder)
    attendees = folder.visits["volunteer_ids"].map(lambda cell: len(_ids(cell)))
    return RosterFigures(
        folder=str(folder.path),
        scenario_name=str(summary.get("scenario", "")),
        status=str(summary.get("status", "")),
        visits_demanded=int(coverage["visits_demanded"]),
        visits_scheduled=int(coverage["visits_scheduled"]),
        residents=_optional_int(coverage.get("residents")),
        residents_fully_served=_optional_int(coverage.get("residents_fully_served")),
        team_members_demanded=_optional_int(coverage.get("team_members_demanded")),
        team_members_assigned=len(folder.pairs),
        volunteers_used=folder.pairs["volunteer_id"].nunique(),
        unmet_needs=len(folder.unmet),
        km=float(terms["distance_km"]["value"]),
        service_hours=float((minutes * attendees).sum() / 60),
        hours=None if scenario is None else _hours_with_travel(folder, scenario, minutes),
        fairness=float(terms["fairness"]["value"]),
        objective=_optional_float(summary.get("objective")),
    )


def _visit_minutes(folder: RosterFolder) -> pd.Series:
    def minutes(clock: str, row: int, column: str) -> int:
        hours, _, mins = str(clock).partition(":")
        if not (hours.isdigit() and mins.isdigit()):
            raise ValueError(f"{folder.path / 'visits.csv'}: row {row + 2}: {column} "
                             f"{clock!r} is not a time like 09:30")
        return int(hours) * 60 + int(mins)

    visits = folder.visits
    return pd.Series([minutes(end, i, "end") - minutes(start, i, "start")
                      for i, (start, end) in enumerate(zip(visits["start"], visits["end"],
                                                           strict=True))],
                     index=visits.index, dtype=float)


def _hours_with_travel(folder: RosterFolder, scenario: Scenario, minutes: pd.Series) -> float:
    """Rule H6's measure summed over volunteers: each visit attended plus travel there and
    back from the volunteer's base, at the volunteer's mode speed."""
    travel = scenario.config.travel
    rows = [(scenario.resident(resident_id), scenario.volunteer(volunteer_id), duration)
            for resident_id, cell, duration in zip(folder.visits["resident_id"],
                                                   folder.visits["volunteer_ids"], minutes,
                                                   strict=True)
            for volunteer_id in _ids(cell)]
    if not rows:
        return 0.0
    residents, volunteers, durations = zip(*rows, strict=True)
    km = travel.detour_factor * haversine_km(
        np.array([r.lat for r in residents]), np.array([r.lon for r in residents]),
        np.array([v.lat for v in volunteers]), np.array([v.lon for v in volunteers]))
    speeds = np.array([travel.speed(v.travel) for v in volunteers])
    return float((np.array(durations) + 2 * km / speeds * 60).sum() / 60)


def _optional_int(value) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _optional_float(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# -- churn ---------------------------------------------------------------------------------

def _pairs(a: RosterFolder, b: RosterFolder) -> pd.DataFrame:
    keys = [set(zip(folder.pairs["resident_id"], folder.pairs["volunteer_id"], strict=True))
            for folder in (a, b)]
    details: dict[tuple[str, str], tuple[str, str, str]] = {}
    for folder in (b, a):  # A's names and stations win where both rosters hold the pair
        frame = folder.pairs
        for row in zip(frame["resident_id"], frame["volunteer_id"],
                       _column(frame, "resident_name"), _column(frame, "volunteer_name"),
                       frame["station_id"], strict=True):
            details[row[:2]] = row[2:]
    rows = []
    for key in sorted(keys[0] | keys[1]):
        change = KEPT if key in keys[0] and key in keys[1] else REMOVED if key in keys[0] else NEW
        resident_name, volunteer_name, station = details[key]
        rows.append((key[0], resident_name, key[1], volunteer_name, station, change))
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column a comparison shows but does not need: empty text where the file lacks it."""
    return frame[name] if name in frame.columns else pd.Series([""] * len(frame), dtype=str)


def _residents_changed(pairs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for resident_id, group in pairs.groupby("resident_id", sort=True):
        if (group["change"] == KEPT).all():
            continue
        before = sorted(group[group["change"] != NEW]["volunteer_id"])
        after = sorted(group[group["change"] != REMOVED]["volunteer_id"])
        first = group.iloc[0]
        rows.append((resident_id, first["resident_name"], first["station_id"],
                     ";".join(before), ";".join(after)))
    return pd.DataFrame(rows, columns=list(CHANGED_COLUMNS))


# -- unmet reasons -------------------------------------------------------------------------

def _unmet_by_reason(a: RosterFolder, b: RosterFolder) -> pd.DataFrame:
    counts = [kind_counts(folder.unmet["reason"]) for folder in (a, b)]
    kinds = sorted(set(counts[0]) | set(counts[1]),
                   key=lambda kind: (-max(counts[0][kind], counts[1][kind]), kind))
    rows = [(kind, counts[0][kind], counts[1][kind], counts[1][kind] - counts[0][kind])
            for kind in kinds]
    return pd.DataFrame(rows, columns=list(REASON_COLUMNS))


# -- stations ------------------------------------------------------------------------------

def _stations(a: RosterFolder, b: RosterFolder, scenario_a: Scenario | None,
              scenario_b: Scenario | None) -> pd.DataFrame:
    names: dict[str, str] = {}
    for scenario in (scenario_a, scenario_b):
        if scenario is not None:
            names.update({station.id: station.name for station in scenario.stations})
    demanded = [_demanded_by_station(s) if s is not None else None for s in (scenario_a, scenario_b)]
    scheduled = [_scheduled_by_station(folder, scenario)
                 for folder, scenario in ((a, scenario_a), (b, scenario_b))]
    stations = set(scheduled[0]) | set(scheduled[1])
    for counts in demanded:
        stations |= set(counts or {})
    rows = []
    # Stations in id order, residents without a station ("") last.
    for station in sorted(stations, key=lambda s: (s == "", s)):
        rows.append((station, names.get(station, ""),
                     None if demanded[0] is None else demanded[0].get(station, 0),
                     scheduled[0].get(station, 0),
                     None if demanded[1] is None else demanded[1].get(station, 0),
                     scheduled[1].get(station, 0),
                     scheduled[1].get(station, 0) - scheduled[0].get(station, 0)))
    table = pd.DataFrame(rows, columns=list(STATION_COLUMNS))
    for column in ("demanded_a", "demanded_b"):
        table[column] = table[column].astype("Int64")
    return table


def _demanded_by_station(scenario: Scenario) -> dict[str, int]:
    demanded: dict[str, int] = defaultdict(int)
    for resident in scenario.residents:
        demanded[resident.station or ""] += sum(need.visits_per_week for need in resident.needs)
    return dict(demanded)


def _scheduled_by_station(folder: RosterFolder, scenario: Scenario | None) -> dict[str, int]:
    # A resident's station is the scenario's when given; otherwise the station_id written
    # beside the resident's pairs (a resident with visits always has a pair, rule H2).
    if scenario is not None:
        station_of = {resident.id: resident.station or "" for resident in scenario.residents}
    else:
        station_of = dict(zip(folder.pairs["resident_id"], folder.pairs["station_id"], strict=True))
    return dict(Counter(station_of.get(resident_id, "") for resident_id in folder.visits["resident_id"]))
