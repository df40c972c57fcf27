"""The hard rules H1-H10 of section 5, each recomputed from the scenario and the roster.

Each function checks one rule (or one part of it) and yields its violations. Nothing here
comes from a solver: distances, travel times, hours and overlaps are worked out afresh.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import pairwise

from matcher.scenario.model import DAYS, Resident, Volunteer, Window

from .context import Context
from .files import ASSIGNMENTS, UNMET, VISITS, VisitRow, hhmm
from .violation import Violation, rule_violation

# Tolerances absorb floating-point noise only; they are far below anything a person notices.
DISTANCE_TOLERANCE_KM = 1e-9
TRAVEL_TOLERANCE_MIN = 1e-9
HOURS_TOLERANCE_MIN = 1e-6
WRITTEN_DISTANCE_TOLERANCE_KM = 0.01  # distance_km is written rounded, to 2 decimals or more


# H1 ---------------------------------------------------------------------------------------


def pairs_within_distance(ctx: Context) -> Iterator[Violation]:
    """H1: every pair's distance is at most the volunteer's max_distance_km."""
    for _, resident, volunteer in ctx.known_pairs:
        distance = ctx.distance_km(resident, volunteer)
        if distance > volunteer.max_distance_km + DISTANCE_TOLERANCE_KM:
            yield rule_violation(
                "H1",
                f"pair {resident.id}-{volunteer.id} is {_over(distance, volunteer.max_distance_km)} "
                f"km apart, over {volunteer.id}'s max_distance_km {volunteer.max_distance_km:g}",
            )


# H2 ---------------------------------------------------------------------------------------


def teams_within_size(ctx: Context) -> Iterator[Violation]:
    """H2: a resident has at most team_size pairs."""
    teams: dict[str, list[str]] = defaultdict(list)
    for resident_id, volunteer_id in ctx.pairs:
        teams[resident_id].append(volunteer_id)
    for resident_id, members in teams.items():
        resident = ctx.residents.get(resident_id)
        if resident is not None and len(members) > resident.team_size:
            yield rule_violation(
                "H2",
                f"{resident_id} has {len(members)} volunteers ({', '.join(sorted(members))}), "
                f"over team_size {resident.team_size}",
            )


def attendees_paired(ctx: Context) -> Iterator[Violation]:
    """H2: every volunteer attending a visit is paired with that resident."""
    if ctx.roster.pairs is None:
        return  # assignments.csv is unreadable, already reported; do not blame every visit
    for visit in ctx.roster.visits or ():
        if visit.resident not in ctx.residents:
            continue
        for volunteer_id in visit.attendees:
            if volunteer_id in ctx.volunteers and (visit.resident, volunteer_id) not in ctx.pairs:
                yield rule_violation(
                    "H2",
                    f"{volunteer_id} attends {_where(visit)} but is not paired with "
                    f"{visit.resident} in {ASSIGNMENTS}",
                )


# H3 ---------------------------------------------------------------------------------------


def need_visit_counts(ctx: Context) -> Iterator[Violation]:
    """H3: a need has at most visits_per_week visits, each on a different day."""
    by_need: dict[tuple[str, str], list[VisitRow]] = defaultdict(list)
    for visit in ctx.roster.visits or ():
        if (visit.resident, visit.service) in ctx.needs:
            by_need[(visit.resident, visit.service)].append(visit)
    for (resident_id, service), visits in by_need.items():
        need = ctx.needs[(resident_id, service)]
        if len(visits) > need.visits_per_week:
            yield rule_violation(
                "H3",
                f"{resident_id} {service} has {len(visits)} visits "
                f"({VISITS} rows {_rows(visits)}), over visits_per_week {need.visits_per_week}",
            )
        by_day: dict[int, list[VisitRow]] = defaultdict(list)
        for visit in visits:
            if visit.timed:
                by_day[visit.day].append(visit)
        for day, same_day in sorted(by_day.items()):
            if len(same_day) > 1:
                yield rule_violation(
                    "H3",
                    f"{resident_id} {service} has {len(same_day)} visits on {DAYS[day]} "
                    f"({VISITS} rows {_rows(same_day)}); a need's visits must be on "
                    f"different days",
                )


def visits_inside_windows(ctx: Context) -> Iterator[Violation]:
    """H3: a visit lies wholly inside one of the need's (merged) windows."""
    for visit, need in ctx.need_visits:
        if not _inside(visit, need.windows):
            yield rule_violation(
                "H3",
                f"{visit.label()} is outside the need's windows ({_windows_on(need.windows, visit.day)})",
            )


def visits_inside_availability(ctx: Context) -> Iterator[Violation]:
    """H3: a visit lies wholly inside one availability window of every attending volunteer."""
    for visit, _ in ctx.need_visits:
        for volunteer_id in visit.attendees:
            volunteer = ctx.volunteers.get(volunteer_id)
            if volunteer is not None and not _inside(visit, volunteer.availability):
                yield rule_violation(
                    "H3",
                    f"{visit.label()} is outside {volunteer_id}'s availability "
                    f"({_windows_on(volunteer.availability, visit.day)})",
                )


def visit_lengths(ctx: Context) -> Iterator[Violation]:
    """H3: a visit lasts exactly the need's duration_min."""
    for visit, need in ctx.need_visits:
        if visit.length != need.duration_min:
            yield rule_violation(
                "H3",
                f"{visit.label()} lasts {visit.length} min, not duration_min {need.duration_min}",
            )


def visit_attendance(ctx: Context) -> Iterator[Violation]:
    """H3: a visit has exactly volunteers_per_visit distinct volunteers."""
    for visit in ctx.roster.visits or ():
        need = ctx.needs.get((visit.resident, visit.service))
        if need is None:
            continue
        if len(visit.volunteers) != len(visit.attendees):
            repeated = sorted({v for v in visit.volunteers if visit.volunteers.count(v) > 1})
            yield rule_violation("H3", f"{_where(visit)} lists {', '.join(repeated)} more than once")
        count = len(visit.attendees)
        if count != need.volunteers_per_visit:
            yield rule_violation(
                "H3",
                f"{_where(visit)} has {count} volunteer{'s' if count != 1 else ''} "
                f"({', '.join(visit.attendees) or 'none'}), "
                f"not volunteers_per_visit {need.volunteers_per_visit}",
            )


# H4 ---------------------------------------------------------------------------------------


def visits_have_skills(ctx: Context) -> Iterator[Violation]:
    """H4: the attending volunteers' skills together include every skill of the service."""
    for visit, need in ctx.need_visits:
        service = ctx.services.get(need.service)
        attendees = [ctx.volunteers.get(v) for v in visit.attendees]
        if service is None or None in attendees:
            continue  # an unknown volunteer is an H9 matter; its skills cannot be known
        have = {skill for volunteer in attendees for skill in volunteer.skills}
        missing = [skill for skill in service.skills if skill not in have]
        if missing:
            if len(attendees) > 1:
                who = f"{', '.join(visit.attendees)} together lack"
            else:
                who = f"{visit.attendees[0] if attendees else 'no volunteer'} lacks"
            yield rule_violation(
                "H4",
                f"{visit.label()}: {who} skill{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} that service {service.id} requires",
            )


# H5 ---------------------------------------------------------------------------------------


def volunteers_without_clashes(ctx: Context) -> Iterator[Violation]:
    """H5: a volunteer's visits never overlap and leave time to travel between residents.

    Consecutive visits of a day are compared; with the triangle inequality that haversine
    distances keep, that covers every two visits of the day.
    """
    schedules: dict[str, list[tuple[VisitRow, Resident]]] = defaultdict(list)
    for visit, resident in ctx.timed_visits:
        for volunteer_id in visit.attendees:
            if volunteer_id in ctx.volunteers:
                schedules[volunteer_id].append((visit, resident))
    for volunteer_id, schedule in schedules.items():
        volunteer = ctx.volunteers[volunteer_id]
        schedule.sort(key=lambda item: (item[0].day, item[0].start, item[0].end, item[0].row))
        for (first, here), (second, there) in pairwise(schedule):
            if first.day == second.day:
                yield from _clash(ctx, volunteer, first, here, second, there)


def _clash(
    ctx: Context,
    volunteer: Volunteer,
    first: VisitRow,
    here: Resident,
    second: VisitRow,
    there: Resident,
) -> Iterator[Violation]:
    gap = second.start - first.end
    if gap < 0:
        yield rule_violation(
            "H5", f"{volunteer.id} attends {_where(first)} and {_where(second)}, which overlap"
        )
        return
    if here.id == there.id:
        return  # staying with the same resident takes no travel
    distance = ctx.geometry.distance_km((here.lat, here.lon), (there.lat, there.lon))
    travel = ctx.geometry.minutes(distance, volunteer.travel)
    if gap < travel - TRAVEL_TOLERANCE_MIN:
        yield rule_violation(
            "H5",
            f"{volunteer.id} has {gap} min between {_where(first)} and {_where(second)}, "
            f"but needs {_over(travel, gap)} min to go {distance:.2f} km from {here.id} "
            f"to {there.id} by {volunteer.travel}",
        )


def residents_without_clashes(ctx: Context) -> Iterator[Violation]:
    """H5: a resident's visits, of all needs, never overlap each other."""
    by_resident: dict[str, list[VisitRow]] = defaultdict(list)
    for visit, resident in ctx.timed_visits:
        by_resident[resident.id].append(visit)
    for resident_id, visits in by_resident.items():
        visits.sort(key=lambda visit: (visit.day, visit.start, visit.end, visit.row))
        # Compare each visit with the one ending latest so far, so that a long visit is seen
        # to overlap every shorter visit inside it, not only the next one.
        latest = visits[0]
        for visit in visits[1:]:
            if visit.day == latest.day and visit.start < latest.end:
                yield rule_violation(
                    "H5", f"{resident_id} has overlapping visits: {_where(latest)} and {_where(visit)}"
                )
            if visit.day != latest.day or visit.end > latest.end:
                latest = visit


# H6 ---------------------------------------------------------------------------------------


def volunteer_hours_within_cap(ctx: Context) -> Iterator[Violation]:
    """H6: visit time plus a return trip from base per visit fits max_hours_per_week."""
    visiting: dict[str, float] = defaultdict(float)
    travelling: dict[str, float] = defaultdict(float)
    for visit, resident in ctx.timed_visits:
        for volunteer_id in visit.attendees:
            volunteer = ctx.volunteers.get(volunteer_id)
            if volunteer is None:
                continue
            distance = ctx.distance_km(resident, volunteer)
            visiting[volunteer_id] += visit.length
            travelling[volunteer_id] += 2 * ctx.geometry.minutes(distance, volunteer.travel)
    for volunteer_id, minutes in visiting.items():
        volunteer = ctx.volunteers[volunteer_id]
        total = minutes + travelling[volunteer_id]
        cap = volunteer.max_hours_per_week * 60
        if total > cap + HOURS_TOLERANCE_MIN:
            yield rule_violation(
                "H6",
                f"{volunteer_id} works {_over(total, cap)} min ({minutes:g} min of visits + "
                f"{travelling[volunteer_id]:.2f} min of travel from base and back), over "
                f"max_hours_per_week {volunteer.max_hours_per_week:g} ({cap:g} min)",
            )


# H7 ---------------------------------------------------------------------------------------


def volunteer_loads_within_cap(ctx: Context) -> Iterator[Violation]:
    """H7: a volunteer has at most max_residents pairs."""
    loads: dict[str, list[str]] = defaultdict(list)
    for resident_id, volunteer_id in ctx.pairs:
        loads[volunteer_id].append(resident_id)
    for volunteer_id, residents in loads.items():
        volunteer = ctx.volunteers.get(volunteer_id)
        if volunteer is not None and len(residents) > volunteer.max_residents:
            yield rule_violation(
                "H7",
                f"{volunteer_id} has {len(residents)} residents ({', '.join(sorted(residents))}), "
                f"over max_residents {volunteer.max_residents}",
            )


# H8 ---------------------------------------------------------------------------------------


def pairs_respect_wishes(ctx: Context) -> Iterator[Violation]:
    """H8: exclude_volunteers and the hard wishes (require) of the resident hold."""
    for _, resident, volunteer in ctx.known_pairs:
        pair = f"pair {resident.id}-{volunteer.id}"
        if volunteer.id in resident.exclude_volunteers:
            yield rule_violation("H8", f"{pair}: {resident.id} excludes {volunteer.id}")
        wanted = resident.require.gender
        if wanted is not None and volunteer.gender != wanted:
            yield rule_violation(
                "H8",
                f"{pair}: {resident.id} requires a {wanted} volunteer, "
                f"{volunteer.id} is {volunteer.gender or 'of unknown gender'}",
            )
        languages = resident.require.languages
        if languages and not set(languages) & set(volunteer.languages):
            yield rule_violation(
                "H8",
                f"{pair}: {resident.id} requires one of the languages {', '.join(languages)}; "
                f"{volunteer.id} speaks {', '.join(volunteer.languages) or 'none listed'}",
            )


# H9 ---------------------------------------------------------------------------------------


def pair_rows_match_scenario(ctx: Context) -> Iterator[Violation]:
    """H9: assignments.csv names real residents and volunteers, with their true details."""
    for pair in ctx.roster.pairs or ():
        where = f"{ASSIGNMENTS} row {pair.row}"
        resident = ctx.residents.get(pair.resident)
        volunteer = ctx.volunteers.get(pair.volunteer)
        if resident is None:
            yield rule_violation("H9", f"{where}: resident {pair.resident!r} is not in the scenario")
        if volunteer is None:
            yield rule_violation("H9", f"{where}: volunteer {pair.volunteer!r} is not in the scenario")
        if resident is not None:
            yield from _resident_details(where, pair.resident_name, pair.station, resident)
        if volunteer is not None and pair.volunteer_name not in (None, as_cell(volunteer.name)):
            yield rule_violation(
                "H9",
                f"{where}: volunteer_name {pair.volunteer_name!r} is not "
                f"{volunteer.id}'s name {volunteer.name!r}",
            )
        if resident is not None and volunteer is not None:
            yield from _pair_figures(ctx, where, pair.distance_km, pair.incumbent, resident, volunteer)


def as_cell(text: str) -> str:
    """A name as a roster cell holds it: a leading formula character is quoted with `'`,
    which is how a spreadsheet is told to show the cell as text (format section 7)."""
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text


def _resident_details(
    where: str, name: str | None, station: str | None, resident: Resident
) -> Iterator[Violation]:
    if name is not None and name != as_cell(resident.name):
        yield rule_violation(
            "H9", f"{where}: resident_name {name!r} is not {resident.id}'s name {resident.name!r}"
        )
    expected = resident.station or ""  # a resident without a station has an empty cell
    if station is not None and station != expected:
        truth = f"station {expected!r}" if expected else "no station (an empty cell)"
        yield rule_violation("H9", f"{where}: station_id {station!r}, but {resident.id} has {truth}")


def _pair_figures(
    ctx: Context,
    where: str,
    written_km: float | None,
    incumbent: bool | None,
    resident: Resident,
    volunteer: Volunteer,
) -> Iterator[Violation]:
    if written_km is not None:
        distance = ctx.distance_km(resident, volunteer)
        if abs(written_km - distance) > WRITTEN_DISTANCE_TOLERANCE_KM + 1e-9:
            yield rule_violation(
                "H9",
                f"{where}: distance_km {written_km:g} but {resident.id}-{volunteer.id} is "
                f"{distance:.3f} km apart (haversine x detour_factor "
                f"{ctx.geometry.detour_factor:g})",
            )
    in_force = (resident.id, volunteer.id) in ctx.current
    if incumbent is not None and incumbent != in_force:
        yield rule_violation(
            "H9",
            f"{where}: incumbent is {str(incumbent).lower()} but pair "
            f"{resident.id}-{volunteer.id} is {'' if in_force else 'not '}in the current roster",
        )


def pair_rows_unique(ctx: Context) -> Iterator[Violation]:
    """H9: each pair is written once."""
    first_row: dict[tuple[str, str], int] = {}
    for pair in ctx.roster.pairs or ():
        key = (pair.resident, pair.volunteer)
        if key in first_row:
            yield rule_violation(
                "H9",
                f"{ASSIGNMENTS} row {pair.row} repeats pair {pair.resident}-{pair.volunteer} "
                f"(first on row {first_row[key]})",
            )
        else:
            first_row[key] = pair.row


def visit_ids_exist(ctx: Context) -> Iterator[Violation]:
    """H9: a visit names a real resident, one of that resident's needs and real volunteers."""
    for visit in ctx.roster.visits or ():
        where = f"{VISITS} row {visit.row}"
        yield from _need_exists(ctx, where, visit.resident, visit.service)
        for volunteer_id in visit.attendees:
            if volunteer_id not in ctx.volunteers:
                yield rule_violation("H9", f"{where}: volunteer {volunteer_id!r} is not in the scenario")


def unmet_ids_exist(ctx: Context) -> Iterator[Violation]:
    """H9: an unmet row names a real resident and one of that resident's needs."""
    for row in ctx.roster.unmet or ():
        yield from _need_exists(ctx, f"{UNMET} row {row.row}", row.resident, row.service)


def _need_exists(ctx: Context, where: str, resident_id: str, service: str) -> Iterator[Violation]:
    if resident_id not in ctx.residents:
        yield rule_violation("H9", f"{where}: resident {resident_id!r} is not in the scenario")
    elif service not in ctx.services:
        yield rule_violation("H9", f"{where}: service {service!r} is not in the scenario")
    elif (resident_id, service) not in ctx.needs:
        yield rule_violation("H9", f"{where}: {resident_id} has no need for service {service!r}")


# H10 --------------------------------------------------------------------------------------


def children_safeguarded(ctx: Context) -> Iterator[Violation]:
    """H10: a volunteer paired with a child holds a safeguarding check valid on week_of."""
    week_of = ctx.scenario.week_of
    for _, resident, volunteer in ctx.known_pairs:
        if resident.kind != "child":
            continue
        until = volunteer.background_check_until
        if until is None:
            yield rule_violation(
                "H10",
                f"pair {resident.id}-{volunteer.id}: {resident.id} is a child and "
                f"{volunteer.id} has no background check",
            )
        elif until < week_of:
            yield rule_violation(
                "H10",
                f"pair {resident.id}-{volunteer.id}: {resident.id} is a child and "
                f"{volunteer.id}'s background check ran out on {until.isoformat()}, "
                f"before week_of {week_of.isoformat()}",
            )


# helpers ----------------------------------------------------------------------------------


def _inside(visit: VisitRow, windows: tuple[Window, ...]) -> bool:
    # Windows are merged unions, so a visit that fits the union fits one single window.
    return any(
        window.day == visit.day and window.start <= visit.start and visit.end <= window.end
        for window in windows
    )


def _windows_on(windows: tuple[Window, ...], day: int) -> str:
    same_day = [f"{hhmm(w.start)}-{hhmm(w.end)}" for w in windows if w.day == day]
    if not same_day:
        return f"none on {DAYS[day]}"
    return f"{DAYS[day]} {', '.join(same_day)}"


def _where(visit: VisitRow) -> str:
    """A visit named for a person: resident, service, time if readable, and its row."""
    if visit.timed:
        return visit.label()
    return f"visit {visit.resident} {visit.service} ({VISITS} row {visit.row})"


def _rows(visits: list[VisitRow]) -> str:
    return ", ".join(str(visit.row) for visit in visits)


def _over(value: float, limit: float) -> str:
    """`value` with enough decimals that a reader sees it differ from `limit`."""
    for decimals in (2, 4, 6, 9):
        text = f"{value:.{decimals}f}"
        if float(text) != limit:
            return text
    return repr(value)
