"""A whole synthetic scenario in memory: the YAML header and its tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.generate.geography import AREAS_BY_NAME, place_stations
from matcher.generate.organizations import organizations_header
from matcher.generate.presets import PRESETS, Preset
from matcher.generate.residents import draw_residents
from matcher.generate.roster import draw_current, draw_exclusions
from matcher.generate.services import draw_needs, services_header
from matcher.generate.volunteers import draw_volunteers

FORMAT = "matcher/v1"
# A fixed Monday, so that the same arguments give the same files on any day.
DEFAULT_WEEK_OF = dt.date(2026, 12, 7)

RESIDENTS_FILE, NEEDS_FILE = "residents.csv", "needs.csv"
VOLUNTEERS_FILE, CURRENT_FILE = "volunteers.csv", "current.csv"

# Independent random streams, one per part, so that asking for a previous roster (or any
# later addition) does not change the people drawn before it.
_STREAMS = ("stations", "residents", "needs", "volunteers", "exclusions", "current")


@dataclass(frozen=True)
class ScenarioTables:
    """The content of a scenario folder.

    `header` is the mapping written as scenario.yaml. The tables hold exactly the columns and
    values of their CSV files: list-valued cells are `;`-joined strings, absent values "".
    `current` is None unless a previous roster was asked for.
    """

    header: dict
    residents: pd.DataFrame
    needs: pd.DataFrame
    volunteers: pd.DataFrame
    current: pd.DataFrame | None = None


def generate_tables(preset: str = "station", seed: int = 0, *, residents: int | None = None,
                    volunteers: int | None = None, with_current: bool = False,
                    name: str | None = None,
                    week_of: dt.date = DEFAULT_WEEK_OF) -> ScenarioTables:
    """A synthetic scenario, a pure function of its arguments (no clock, no global state).

    `residents` and `volunteers` override the preset's sizes; the number of stations follows
    the number of residents (about 40 each), so density stays realistic at any size.
    """
    spec = _preset(preset)
    n_res = spec.residents if residents is None else residents
    n_vol = spec.volunteers if volunteers is None else volunteers
    if n_res < 1 or n_vol < 1:
        raise ValueError(f"need at least one resident and one volunteer, got {n_res} and {n_vol}")
    if week_of.weekday() != 0:
        raise ValueError(f"week_of must be a Monday, got {week_of.isoformat()} "
                         f"({week_of.strftime('%A')})")
    streams = dict(zip(_STREAMS, np.random.default_rng(seed).spawn(len(_STREAMS)), strict=True))

    stations = place_stations(streams["stations"], [AREAS_BY_NAME[a] for a in spec.areas],
                              spec.station_count(n_res), spec.station_spacing_km)
    drawn = draw_residents(streams["residents"], n_res, stations)
    needs = draw_needs(streams["needs"], drawn.table["id"].tolist(), drawn.child,
                       drawn.table["team_size"].to_numpy(), drawn.at_home)
    volunteer_table = draw_volunteers(streams["volunteers"], n_vol, stations, drawn.table,
                                      drawn.station, week_of)
    resident_table = drawn.table.assign(
        exclude_volunteers=draw_exclusions(streams["exclusions"], drawn.table, volunteer_table))
    current = (draw_current(streams["current"], resident_table, needs, volunteer_table, week_of)
               if with_current else None)

    header = {
        "format": FORMAT,
        "name": name if name is not None else _title(spec, stations.names, seed, week_of),
        "week_of": week_of,
        "services": services_header(),
        "stations": [{"id": i, "name": n, "lat": round(float(la), 6), "lon": round(float(lo), 6)}
                     for i, n, la, lo in zip(stations.ids, stations.names, stations.lat,
                                             stations.lon, strict=True)],
        "organizations": organizations_header(),
        "residents": {"file": RESIDENTS_FILE, "needs": NEEDS_FILE},
        "volunteers": {"file": VOLUNTEERS_FILE},
    }
    if current is not None:
        header["current"] = {"file": CURRENT_FILE}
    return ScenarioTables(header, resident_table, needs, volunteer_table, current)


def _preset(preset: str) -> Preset:
    try:
        return PRESETS[preset]
    except KeyError:
        raise ValueError(f"unknown preset '{preset}' (expected one of "
                         f"{', '.join(PRESETS)})") from None


def _title(spec: Preset, station_names: tuple[str, ...], seed: int, week_of: dt.date) -> str:
    week = (week_of.day - 1) // 7 + 1
    when = f"{week_of.year}年{week_of.month}月第{week}周"
    # A one-station scenario is named after its station, as a coordinator would name it.
    scope = station_names[0] if len(station_names) == 1 else spec.scope
    return f"{scope} 社区志愿服务 {when} (合成数据, seed {seed})"
