"""The week as coordinators read it: day labels and dates, stations with their residents, coverage.

Shared by every export so that the workbook, the printable page and the calendars agree on
how a day, a time and a station are named and counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from matcher.scenario.model import Resident, Scenario

from .read import RosterTables, VisitRow

DAY_LABELS = ("周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun")
NO_STATION = "未分配服务站 No station"
TOTAL = "合计 Total"
KIND_LABELS = {"senior": "老人 Senior", "child": "儿童 Child"}


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def time_range(visit: VisitRow) -> str:
    return f"{hhmm(visit.start)}-{hhmm(visit.end)}"


def day_date(week_of: dt.date, day: int) -> dt.date:
    """The date of weekday `day` (0 = Monday) in the roster's week."""
    return week_of + dt.timedelta(days=day)


def ordered(visits: Iterable[VisitRow]) -> list[VisitRow]:
    """Visits in the order of the week: day, start, then resident and service for ties."""
    return sorted(visits, key=lambda v: (v.day, v.start, v.end, v.resident, v.service))


@dataclass(frozen=True)
class StationGroup:
    """A station and the residents it looks after; id '' gathers residents with no station."""

    id: str
    name: str
    residents: tuple[Resident, ...]

    @property
    def title(self) -> str:
        return f"{self.id} {self.name}" if self.id else self.name


def station_groups(scenario: Scenario) -> tuple[StationGroup, ...]:
    """Stations in scenario order that have residents, then residents with no station."""
    groups = [StationGroup(s.id, s.name, tuple(r for r in scenario.residents if r.station == s.id))
              for s in scenario.stations]
    known = {s.id for s in scenario.stations}
    loose = tuple(r for r in scenario.residents if r.station not in known)
    groups.append(StationGroup("", NO_STATION, loose))
    return tuple(g for g in groups if g.residents)


@dataclass(frozen=True)
class Coverage:
    """What a station asked for and what the roster gives it."""

    title: str
    residents: int
    fully_served: int
    visits_demanded: int
    visits_scheduled: int
    members_demanded: int
    members_paired: int

    @property
    def share(self) -> float:
        """Scheduled visits as a share of demanded ones (1.0 when nothing is asked)."""
        return self.visits_scheduled / self.visits_demanded if self.visits_demanded else 1.0


def coverage(title: str, residents: Iterable[Resident], roster: RosterTables) -> Coverage:
    """Coverage of a set of residents: from the scenario's needs and the roster's rows."""
    chosen = tuple(residents)
    return Coverage(
        title=title,
        residents=len(chosen),
        fully_served=sum(1 for r in chosen if not roster.unmet_of(r.id)),
        visits_demanded=sum(n.visits_per_week for r in chosen for n in r.needs),
        visits_scheduled=sum(len(roster.visits_of(r.id)) for r in chosen),
        members_demanded=sum(r.team_size for r in chosen),
        members_paired=sum(len(roster.team(r.id)) for r in chosen),
    )


def station_coverage(scenario: Scenario, roster: RosterTables) -> tuple[Coverage, ...]:
    """One row per station with residents, then the total over all residents."""
    rows = [coverage(g.title, g.residents, roster) for g in station_groups(scenario)]
    rows.append(coverage(TOTAL, scenario.residents, roster))
    return tuple(rows)
