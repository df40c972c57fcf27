"""An inline SVG map of pairs: residents, volunteers and the lines between them.

Drawn by hand with an equirectangular projection (x = lon * cos(mid latitude), y = -lat),
which is exact enough over a district and needs no map tiles, so the page stays offline.
Only projected drawing coordinates appear in the markup, never latitude or longitude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from matcher.scenario.model import Scenario

from .read import RosterTables

KM_PER_DEGREE = 6371.0088 * math.pi / 180
SERVED, PARTLY, UNSERVED = "#2e7d32", "#ef6c00", "#c62828"
VOLUNTEER, IDLE, LINE, STATION = "#1565c0", "#c5cae9", "#90a4ae", "#37474f"
SMALL_MAP = 150  # residents above which dots are drawn smaller
NAMED_STATIONS = 5  # stations above which the map labels them by id
_NICE_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


@dataclass(frozen=True)
class Projection:
    """Maps (lat, lon) into a box of `width` x `height` drawing units, north up."""

    lat_max: float
    lon_min: float
    cos_lat: float
    scale: float  # drawing units per projected degree
    pad: float
    width: float
    height: float

    @classmethod
    def fit(cls, points: list[tuple[float, float]], width: float, max_height: float,
            pad: float = 16) -> Projection:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        cos_lat = math.cos(math.radians((max(lats) + min(lats)) / 2))
        span_x = max((max(lons) - min(lons)) * cos_lat, 1e-6)
        span_y = max(max(lats) - min(lats), 1e-6)
        scale = min((width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
        height = min(max_height, span_y * scale + 2 * pad)
        return cls(max(lats), min(lons), cos_lat, scale, pad, width, height)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (self.pad + (lon - self.lon_min) * self.cos_lat * self.scale,
                self.pad + (self.lat_max - lat) * self.scale)

    def inside(self, x: float, y: float) -> bool:
        return 0 <= x <= self.width and 0 <= y <= self.height

    @property
    def units_per_km(self) -> float:
        return self.scale / KM_PER_DEGREE


def pairs_map(scenario: Scenario, roster: RosterTables, width: float = 700,
              max_height: float = 540) -> str:
    """The SVG markup: lines for pairs, residents coloured by how well they are served."""
    paired = {p.volunteer for p in roster.pairs}
    residents = list(scenario.residents)
    volunteers = [v for v in scenario.volunteers if v.id in paired]
    points = [(r.lat, r.lon) for r in residents] + [(v.lat, v.lon) for v in volunteers]
    points += [(s.lat, s.lon) for s in scenario.stations]
    if not points:
        return ""
    view = Projection.fit(points, width, max_height)
    # No xmlns: inline SVG in HTML needs none, and the page names no web address at all.
    parts = [f'<svg class="map" viewBox="0 0 {width:.0f} '
             f'{view.height:.0f}" role="img" aria-label="结对地图 Map of pairs">',
             f'<rect width="{width:.0f}" height="{view.height:.0f}" fill="#fafafa" stroke="#bbb"/>']
    # Volunteers nobody is paired with show where spare help lives; drawn first, faintly.
    for volunteer in scenario.volunteers:
        x, y = view.xy(volunteer.lat, volunteer.lon)
        if volunteer.id not in paired and view.inside(x, y):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.6" fill="{IDLE}"/>')
    for pair in roster.pairs:
        resident, volunteer = scenario.resident(pair.resident), scenario.volunteer(pair.volunteer)
        (x1, y1), (x2, y2) = view.xy(resident.lat, resident.lon), view.xy(volunteer.lat, volunteer.lon)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="{LINE}" stroke-width="1"/>')
    # A district has hundreds of residents: smaller dots keep them apart.
    small = len(residents) > SMALL_MAP
    resident_r, volunteer_r = (2.6, 1.8) if small else (4.0, 2.6)
    for volunteer in volunteers:
        x, y = view.xy(volunteer.lat, volunteer.lon)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{volunteer_r}" fill="{VOLUNTEER}">'
                     f'<title>{escape(volunteer.name)} ({escape(volunteer.id)})</title></circle>')
    colours = _resident_colours(scenario, roster)
    for resident in residents:
        x, y = view.xy(resident.lat, resident.lon)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{resident_r}" fill="{colours[resident.id]}" '
                     f'stroke="#fff" stroke-width="0.8"><title>{escape(resident.name)} '
                     f'({escape(resident.id)})</title></circle>')
    # Many stations' full names overlap; their ids stay legible and the coverage table names them.
    named = len(scenario.stations) <= NAMED_STATIONS
    for station in scenario.stations:
        x, y = view.xy(station.lat, station.lon)
        label = station.name if named else station.id
        parts.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{STATION}"/>'
                     f'<text x="{x + 6:.1f}" y="{y + 4:.1f}" class="label">{escape(label)}</text>')
    parts.append(_scale_bar(view))
    parts.append("</svg>")
    return "\n".join(parts)


def _resident_colours(scenario: Scenario, roster: RosterTables) -> dict[str, str]:
    short = {u.resident for u in roster.unmet}
    visited = {v.resident for v in roster.visits}
    return {r.id: SERVED if r.id not in short else PARTLY if r.id in visited else UNSERVED
            for r in scenario.residents}


def _scale_bar(view: Projection) -> str:
    # The longest round length that takes at most a fifth of the map's width.
    fitting = [km for km in _NICE_KM if km * view.units_per_km <= view.width / 5]
    km = fitting[-1] if fitting else _NICE_KM[0]
    length = km * view.units_per_km
    x, y = view.width - 12 - length, view.height - 12
    label = f"{km:g} km"
    return (f'<g class="scale"><line x1="{x:.1f}" y1="{y:.1f}" x2="{x + length:.1f}" y2="{y:.1f}" '
            f'stroke="#333" stroke-width="2"/><text x="{x + length / 2:.1f}" y="{y - 4:.1f}" '
            f'text-anchor="middle" class="label">{label}</text></g>')
