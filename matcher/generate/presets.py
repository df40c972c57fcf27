"""Named sizes of synthetic scenarios: a station, a district, the whole city."""

from __future__ import annotations

from dataclasses import dataclass

from matcher.generate.geography import AREAS


@dataclass(frozen=True)
class Preset:
    """How big a synthetic scenario is and where it lies.

    `areas` are the district or county names (see `geography.AREAS`) the stations are spread
    over; `scope` names them in the scenario title. The number of stations follows the number
    of residents, so a preset can be scaled with explicit sizes and keep the same density of
    people around each station.
    """

    name: str
    residents: int
    volunteers: int
    areas: tuple[str, ...]
    scope: str
    residents_per_station: int = 40
    # Stations of an area of density 1 sit about this far apart (denser areas closer, see
    # `geography.Area`). With ~40 residents and ~160 volunteers per station and walking caps
    # of 2-3 km, a resident then reaches about one station's worth of volunteers: a median of
    # ~150 in the city preset, ~230 in the denser 路北区 of the district preset. A tighter
    # spacing multiplies the candidate pairs the solvers must handle.
    station_spacing_km: float = 5.5

    def station_count(self, residents: int) -> int:
        return max(1, round(residents / self.residents_per_station))


# The city preset is the size of the real scheme: over 12,000 seniors and 2,806 children,
# across the districts and the counties of Tangshan.
PRESETS: dict[str, Preset] = {
    "station": Preset("station", residents=40, volunteers=120, areas=("路北区",), scope="唐山市路北区"),
    "district": Preset("district", residents=1_000, volunteers=4_000, areas=("路北区",),
                       scope="唐山市路北区"),
    "city": Preset("city", residents=15_000, volunteers=60_000,
                   areas=tuple(area.name for area in AREAS), scope="唐山市"),
}
