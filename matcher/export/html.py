"""roster.html: a self-contained printable roster, an overview page then one A4 page per station.

Nothing is fetched from the network (no stylesheet, script, font or image links), so the file
prints the same on a station's offline PC. The overview shows coverage by station and a map of
pairs; each station's page has the week as a grid (days as columns, morning / afternoon /
evening as rows), the teams, and what could not be served. No contact details or coordinates
are printed. Redacted, it is fit to hand to volunteers: names masked, no map, health-related
services shown as a home visit, and unmet reasons (which name skills) left out.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from string import Template

from matcher.scenario.model import Scenario

from .read import RosterTables, VisitRow
from .redact import Naming
from .svgmap import PARTLY, SERVED, UNSERVED, VOLUNTEER, pairs_map
from .week import (
    DAY_LABELS,
    TOTAL,
    Coverage,
    StationGroup,
    coverage,
    day_date,
    ordered,
    station_coverage,
    station_groups,
    time_range,
)

# Visits are grouped into three rows by start time; the bounds are minutes since midnight.
PARTS_OF_DAY = (("上午 Morning", 0, 12 * 60), ("下午 Afternoon", 12 * 60, 18 * 60),
                ("晚上 Evening", 18 * 60, 24 * 60))
ROW_VISITS = 16  # visits per day in one row of the grid: a row is about a third of a page
FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", '
         '"Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans SC", sans-serif')

STYLE = Template("""
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
html { font-family: $fonts; font-size: 9.5pt; color: #1a1a1a; line-height: 1.35; }
body { margin: 0; }
.page { break-after: page; page-break-after: always; }
.page:last-child { break-after: auto; page-break-after: auto; }
@media screen { .page { max-width: 190mm; margin: 0 auto 12mm; } }
h1 { font-size: 15pt; margin: 0 0 1mm; }
h2 { font-size: 11pt; margin: 4mm 0 1.5mm; border-bottom: 1px solid #999; }
.sub { color: #555; margin: 0 0 2mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #aaa; padding: 1mm 1.2mm; text-align: left; vertical-align: top; }
th { background: #e8eef4; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.bar { display: inline-block; height: 2.2mm; background: #4f7ea8; vertical-align: middle; }
.bar-track { display: inline-block; width: 25mm; height: 2.2mm; background: #e3e3e3; margin-left: 1mm;
             vertical-align: middle; }
tr.total td { font-weight: 600; background: #f4f4f4; }
table.week { table-layout: fixed; font-size: 7.2pt; line-height: 1.2; }
table.week th { text-align: center; font-size: 8pt; }
/* Vertical labels leave the width to the seven days. */
table.week th.part { width: 5mm; padding: 0.6mm 0; font-size: 7.2pt; background: #f4f4f4;
                     writing-mode: vertical-rl; text-align: center; white-space: nowrap; }
table.week td { padding: 0.6mm; }
table.week tr { break-inside: avoid; page-break-inside: avoid; }
.visit { break-inside: avoid; border-left: 2px solid #4f7ea8; padding-left: 0.7mm; margin-bottom: 0.7mm; }
.visit .time { color: #444; font-variant-numeric: tabular-nums; }
.visit .who { font-weight: 600; }
.visit .service { color: #444; }
.visit .team { color: $volunteer; }
ul.teams { columns: 3; column-gap: 4mm; margin: 0; padding: 0; list-style: none; font-size: 8pt; }
ul.teams li { break-inside: avoid; }
ul.teams .none { color: $unserved; }
table.unmet { font-size: 7.2pt; line-height: 1.25; }
.keep { break-inside: avoid; }
h2 { break-after: avoid; }
svg.map { width: 100%; height: auto; display: block; }
svg.map .label { font-family: $fonts; font-size: 11px; fill: #222; stroke: #fff; stroke-width: 3px;
                 paint-order: stroke; }
.legend { font-size: 8pt; color: #333; margin-top: 1mm; }
.dot { display: inline-block; width: 2.6mm; height: 2.6mm; border-radius: 50%; vertical-align: middle;
       margin: 0 0.8mm 0 2.5mm; }
.note { font-size: 8pt; color: #555; }
""").substitute(fonts=FONTS, volunteer=VOLUNTEER, unserved=UNSERVED)


def html_bytes(scenario: Scenario, roster: RosterTables, *, redact: bool = False) -> bytes:
    """The page's bytes (UTF-8): the same inputs give the same bytes."""
    naming = Naming(scenario, redact)
    week_end = scenario.week_of + dt.timedelta(days=6)
    week = f"{scenario.week_of.isoformat()} – {week_end.isoformat()}"
    pages = [_overview(scenario, roster, week, redact)]
    pages += [_station_page(scenario, roster, naming, group, week) for group in station_groups(scenario)]
    title = f"志愿服务排班 Volunteer roster · {scenario.name}"
    document = ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
                + "\n".join(pages) + "\n</body>\n</html>\n")
    return document.encode("utf-8")


def _overview(scenario: Scenario, roster: RosterTables, week: str, redact: bool) -> str:
    rows = "\n".join(_coverage_row(c) for c in station_coverage(scenario, roster))
    parts = ['<section class="page overview">',
             "<h1>志愿服务排班 Volunteer roster</h1>",
             f'<p class="sub">{escape(scenario.name)} · {week}</p>',
             "<h2>各服务站覆盖 Coverage by station</h2>",
             '<table class="coverage"><colgroup><col style="width:34%"><col style="width:10%">'
             '<col style="width:11%"><col style="width:27%"><col style="width:18%"></colgroup>'
             "<thead><tr><th>服务站 Station</th><th>居民 Residents</th>"
             "<th>全部满足 Fully served</th><th>探访 Visits (排/需 scheduled/asked)</th>"
             "<th>团队成员 Team members (配/需 paired/asked)</th></tr></thead>",
             f"<tbody>\n{rows}\n</tbody></table>"]
    if redact:
        parts.append('<p class="note">此版本已隐去姓名与位置 This copy hides names and locations; '
                     "the map of pairs is in the coordinator's copy.</p>")
    else:
        parts += ["<h2>结对地图 Map of pairs</h2>", pairs_map(scenario, roster), _legend()]
    parts.append("</section>")
    return "\n".join(parts)


def _coverage_row(row: Coverage) -> str:
    css = ' class="total"' if row.title == TOTAL else ""
    width = 25 * min(row.share, 1.0)
    return (f"<tr{css}><td>{escape(row.title)}</td><td class=\"num\">{row.residents}</td>"
            f"<td class=\"num\">{row.fully_served}</td>"
            f"<td class=\"num\">{row.visits_scheduled} / {row.visits_demanded} "
            f"({row.share:.0%})<span class=\"bar-track\"><span class=\"bar\" "
            f"style=\"width:{width:.1f}mm\"></span></span></td>"
            f"<td class=\"num\">{row.members_paired} / {row.members_demanded}</td></tr>")


def _legend() -> str:
    items = ((SERVED, "全部满足 fully served"), (PARTLY, "部分满足 partly served"),
             (UNSERVED, "未排探访 no visit"), (VOLUNTEER, "志愿者 volunteer"))
    dots = "".join(f'<span class="dot" style="background:{colour}"></span>{escape(text)}'
                   for colour, text in items)
    return (f'<p class="legend">居民 Residents:{dots} · 线 lines: 结对 pairs · '
            "■ 服务站 station · 浅色 faint: 未结对志愿者 unpaired volunteers</p>")


def _station_page(scenario: Scenario, roster: RosterTables, naming: Naming, group: StationGroup,
                  week: str) -> str:
    ids = [r.id for r in group.residents]
    visits = ordered(v for rid in ids for v in roster.visits_of(rid))
    figures = coverage(group.title, group.residents, roster)
    return "\n".join([
        '<section class="page station">',
        f"<h1>{escape(group.title)}</h1>",
        f'<p class="sub">{escape(scenario.name)} · {week} · 居民 residents {figures.residents} · '
        f"探访 visits {figures.visits_scheduled} / {figures.visits_demanded}</p>",
        "<h2>本周探访 Visits this week</h2>",
        _week_grid(scenario, naming, visits),
        '<div class="keep"><h2>结对 Teams</h2>',
        _teams(roster, naming, group) + "</div>",
        _unmet(roster, naming, ids),
        "</section>"])


def _week_grid(scenario: Scenario, naming: Naming, visits: list[VisitRow]) -> str:
    head = "".join(f"<th>{escape(label)}<br>{day_date(scenario.week_of, day):%m-%d}</th>"
                   for day, label in enumerate(DAY_LABELS))
    rows = []
    for label, low, high in PARTS_OF_DAY:
        days = [[_visit(naming, v) for v in visits if v.day == day and low <= v.start < high]
                for day in range(7)]
        # A table row cannot be split across printed pages, so a busy part of the day is
        # continued in further rows of at most ROW_VISITS visits a day each.
        chunks = max(1, -(-max(len(entries) for entries in days) // ROW_VISITS))
        for chunk in range(chunks):
            cells = "".join("<td>" + "".join(entries[chunk * ROW_VISITS:(chunk + 1) * ROW_VISITS])
                            + "</td>" for entries in days)
            title = label if chunk == 0 else f"{label} (续 cont.)"
            rows.append(f'<tr><th class="part">{escape(title)}</th>{cells}</tr>')
    return (f'<table class="week"><thead><tr><th class="part"></th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _visit(naming: Naming, visit: VisitRow) -> str:
    team = "、".join(naming.volunteer(v) for v in visit.volunteers)
    # Two lines: when and who is visited, then what and by whom.
    return (f'<div class="visit"><span class="time">{time_range(visit)}</span> '
            f'<span class="who">{escape(naming.resident(visit.resident))}</span><br>'
            f'<span class="service">{escape(naming.service(visit.service))}</span> · '
            f'<span class="team">{escape(team)}</span></div>')


def _teams(roster: RosterTables, naming: Naming, group: StationGroup) -> str:
    items = []
    for resident in group.residents:
        team = roster.team(resident.id)
        members = ("、".join(escape(naming.volunteer(v)) for v in team) if team
                   else '<span class="none">无 none</span>')
        items.append(f"<li>{escape(naming.resident(resident.id))} → {members}</li>")
    return f'<ul class="teams">{"".join(items)}</ul>'


def _unmet(roster: RosterTables, naming: Naming, ids: list[str]) -> str:
    rows = [u for rid in ids for u in roster.unmet_of(rid)]
    if not rows:
        return ""
    reason_head = "" if naming.redact else "<th>原因 Reason</th>"
    body = "".join(
        f"<tr><td>{escape(naming.resident(u.resident))}</td><td>{escape(naming.service(u.service))}</td>"
        f'<td class="num">{u.visits_missing}</td><td class="num">{u.members_missing}</td>'
        + ("" if naming.redact else f"<td>{escape(u.reason)}</td>") + "</tr>"
        for u in rows)
    widths = (14, 14, 8, 8, 56) if not naming.redact else (40, 40, 10, 10)
    columns = "".join(f'<col style="width:{w}%">' for w in widths)
    return ("<h2>未满足 Not yet served</h2>"
            f'<table class="unmet"><colgroup>{columns}</colgroup><thead><tr><th>居民 Resident</th>'
            f"<th>服务 Service</th><th>缺探访 Visits short</th><th>缺成员 Members short</th>"
            f"{reason_head}</tr></thead><tbody>{body}</tbody></table>")
