"""The scenario indexed by id, and the roster read from its folder, side by side."""

from __future__ import annotations

from dataclasses import dataclass, field

from matcher.scenario.model import Need, Resident, Scenario, Service, Volunteer

from .files import PairRow, Roster, VisitRow
from .geometry import Geometry


@dataclass(frozen=True)
class Context:
    """Everything a rule needs, looked up by id in dicts so a city-sized roster stays fast.

    The selections of rows that several rules share (`known_pairs`, `timed_visits`,
    `need_visits`) are made once, in `build`.
    """

    scenario: Scenario
    roster: Roster
    geometry: Geometry
    residents: dict[str, Resident]
    volunteers: dict[str, Volunteer]
    services: dict[str, Service]
    needs: dict[tuple[str, str], Need]  # (resident id, service id) -> need
    current: frozenset[tuple[str, str]]  # (resident id, volunteer id) pairs in force
    pairs: frozenset[tuple[str, str]]  # distinct (resident id, volunteer id) rows as written
    # Each written pair whose ids both exist, once (a repeated row is an H9 matter).
    known_pairs: tuple[tuple[PairRow, Resident, Volunteer], ...] = ()
    # Visits with a readable time at a resident that exists: time someone really spends.
    timed_visits: tuple[tuple[VisitRow, Resident], ...] = ()
    # Timed visits of a need that exists: the ones rules H3 and H4 hold to that need.
    need_visits: tuple[tuple[VisitRow, Need], ...] = ()
    # Distances base -> resident are asked for by H1, H6 and H9; each is computed once.
    _distances: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, scenario: Scenario, roster: Roster) -> Context:
        residents = {resident.id: resident for resident in scenario.residents}
        volunteers = {volunteer.id: volunteer for volunteer in scenario.volunteers}
        needs: dict[tuple[str, str], Need] = {}
        for resident in scenario.residents:
            for need in resident.needs:
                # visits.csv names a need by (resident, service); should a resident list one
                # service twice, the first need is the one its visits are held to.
                needs.setdefault((resident.id, need.service), need)
        visits = roster.visits or ()
        return cls(
            scenario=scenario,
            roster=roster,
            geometry=Geometry.from_config(scenario.config),
            residents=residents,
            volunteers=volunteers,
            services={service.id: service for service in scenario.services},
            needs=needs,
            current=frozenset((pair.resident, pair.volunteer) for pair in scenario.current),
            pairs=frozenset((pair.resident, pair.volunteer) for pair in roster.pairs or ()),
            known_pairs=_known_pairs(roster, residents, volunteers),
            timed_visits=tuple(
                (visit, residents[visit.resident])
                for visit in visits
                if visit.timed and visit.resident in residents
            ),
            need_visits=tuple(
                (visit, needs[(visit.resident, visit.service)])
                for visit in visits
                if visit.timed and (visit.resident, visit.service) in needs
            ),
        )

    def distance_km(self, resident: Resident, volunteer: Volunteer) -> float:
        key = (resident.id, volunteer.id)
        distance = self._distances.get(key)
        if distance is None:
            distance = self.geometry.distance_km((resident.lat, resident.lon), (volunteer.lat, volunteer.lon))
            self._distances[key] = distance
        return distance


def _known_pairs(
    roster: Roster, residents: dict[str, Resident], volunteers: dict[str, Volunteer]
) -> tuple[tuple[PairRow, Resident, Volunteer], ...]:
    seen: set[tuple[str, str]] = set()
    known = []
    for pair in roster.pairs or ():
        key = (pair.resident, pair.volunteer)
        resident = residents.get(pair.resident)
        volunteer = volunteers.get(pair.volunteer)
        if key in seen or resident is None or volunteer is None:
            continue
        seen.add(key)
        known.append((pair, resident, volunteer))
    return tuple(known)
