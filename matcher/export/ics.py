"""calendars/VOLUNTEER_ID.ics: each volunteer's visits in the roster's week as calendar events.

Times are local to Tangshan and written with TZID Asia/Shanghai, with the zone defined in the
file itself (UTC+8, no daylight saving since 1991) so that any calendar reads it the same way
without a time-zone database.

A roster is for the week of `week_of`, so each event is one visit on its date in that week,
not a series. A weekly series would outlive the roster: importing a later roster's calendar
cannot delete an event it no longer has, so a visit the new roster drops (a child's, say,
after the pair is ended) would stay in the volunteer's calendar every week. A UID is a hash
of the week and the ids of the resident, service, day and volunteer only: importing the same
week's calendar again (after a re-solve) updates an unchanged visit instead of adding a second
copy, and each week's visits are events of their own.

These files are handed to volunteers: they name a place only by the resident's station (or
"the resident's home"), never an address, and with redaction they mask names and show health
-related services as a plain home visit.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from icalendar import Calendar, Event, Timezone, TimezoneStandard

from matcher.scenario.model import DAYS, Scenario

from .read import RosterTables, VisitRow
from .redact import Naming
from .week import day_date, ordered

TZID = "Asia/Shanghai"
PRODUCT = "-//matcher//volunteer roster//ZH"
UID_DOMAIN = "matcher.roster"
CALENDAR_DIR = "calendars"
ASK_FOR_ADDRESS = "具体地址请向服务站协调员确认 Ask the station coordinator for the address."


def calendar_files(scenario: Scenario, roster: RosterTables, *, redact: bool = False) -> dict[str, bytes]:
    """'calendars/V001.ics' -> bytes for every volunteer who attends at least one visit."""
    naming = Naming(scenario, redact)
    files = {}
    for volunteer in scenario.volunteers:
        own = ordered(roster.visits_attended(volunteer.id))
        if own:
            files[f"{CALENDAR_DIR}/{volunteer.id}.ics"] = _calendar(scenario, naming, volunteer.id, own)
    return files


def _calendar(scenario: Scenario, naming: Naming, volunteer_id: str, visits: list[VisitRow]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"志愿服务 Volunteer visits: {naming.volunteer(volunteer_id)} "
                                 f"({volunteer_id})")
    calendar.add("x-wr-timezone", TZID)
    calendar.add_component(_shanghai())
    # DTSTAMP must be present; the roster's week stands in for "now" so re-exports are identical.
    stamp = dt.datetime.combine(scenario.week_of, dt.time(), tzinfo=dt.timezone.utc)
    for visit in visits:
        calendar.add_component(_event(scenario, naming, volunteer_id, visit, stamp))
    return calendar.to_ical()


def _shanghai() -> Timezone:
    zone = Timezone()
    zone.add("tzid", TZID)
    standard = TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", dt.timedelta(hours=8))
    standard.add("tzoffsetto", dt.timedelta(hours=8))
    standard.add("tzname", "CST")
    zone.add_component(standard)
    return zone


def _event(scenario: Scenario, naming: Naming, volunteer_id: str, visit: VisitRow,
           stamp: dt.datetime) -> Event:
    date = day_date(scenario.week_of, visit.day)
    start = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=visit.start)
    end = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=visit.end)
    resident = naming.resident(visit.resident)
    service = naming.service(visit.service)
    area = naming.area(visit.resident)
    event = Event()
    event.add("uid", event_uid(scenario.week_of, visit, volunteer_id))
    event.add("dtstamp", stamp)
    # Naive local times with an explicit TZID: the zone is defined in this file (VTIMEZONE).
    event.add("dtstart", start, parameters={"TZID": TZID})
    event.add("dtend", end, parameters={"TZID": TZID})
    event.add("summary", f"{service} · {resident} · {area}")
    event.add("location", area)
    event.add("description", "\n".join(_details(naming, volunteer_id, visit)))
    return event


def event_uid(week_of: dt.date, visit: VisitRow, volunteer_id: str) -> str:
    """A UID made from the week and the ids alone, hashed so that it names no service (which
    may be a health one)."""
    key = "\x1f".join((week_of.isoformat(), visit.resident, visit.service, DAYS[visit.day],
                         volunteer_id))
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}@{UID_DOMAIN}"


def _details(naming: Naming, volunteer_id: str, visit: VisitRow) -> list[str]:
    service = naming.service(visit.service)
    if naming.shows_service_id(visit.service):
        service += f" ({visit.service})"
    lines = [f"居民 Resident: {naming.resident(visit.resident)} ({visit.resident})",
             f"服务 Service: {service}",
             f"时长 Duration: {visit.end - visit.start} 分钟 min"]
    others = [f"{naming.volunteer(v)} ({v})" for v in visit.volunteers if v != volunteer_id]
    if others:
        lines.append("同行志愿者 Together with: " + ", ".join(others))
    lines.append(f"地点 Place: {naming.area(visit.resident)}. {ASK_FOR_ADDRESS}")
    return lines
