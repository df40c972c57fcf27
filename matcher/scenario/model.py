"""The scenario as frozen dataclasses: the user's words (string ids, windows, km), validated.

Everything here is immutable so that variants are made with `dataclasses.replace` and a
scenario can be shared between threads and processes without copying.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY = 1440

RESIDENT_KINDS: tuple[str, ...] = ("senior", "child")
GENDERS: tuple[str, ...] = ("female", "male")


@dataclass(frozen=True)
class Location:
    """Where an entity was written: a file and a 1-based line (YAML line or CSV row)."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True, order=True)
class Window:
    """One interval inside one day: `day` 0 (Mon) .. 6 (Sun), minutes since midnight."""

    day: int
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start

    def __str__(self) -> str:
        return f"{DAYS[self.day]} {_hhmm(self.start)}-{_hhmm(self.end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    skills: tuple[str, ...] = ()
    source: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    lat: float
    lon: float
    source: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    source: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Wishes:
    """Hard (`require`) or soft (`prefer`) wishes of a resident about each team member.

    `languages`: the volunteer must speak at least one of them (a common language is what
    lets a visit happen); an empty tuple asks nothing.
    """

    gender: str | None = None
    languages: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.gender is None and not self.languages


@dataclass(frozen=True)
class Need:
    service: str
    duration_min: int
    windows: tuple[Window, ...]
    visits_per_week: int = 1
    volunteers_per_visit: int = 1


@dataclass(frozen=True)
class Resident:
    id: str
    name: str
    kind: str
    lat: float
    lon: float
    needs: tuple[Need, ...]
    station: str | None = None
    priority: int = 1
    team_size: int = 1
    require: Wishes = Wishes()
    prefer: Wishes = Wishes()
    exclude_volunteers: tuple[str, ...] = ()
    source: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Volunteer:
    id: str
    name: str
    lat: float
    lon: float
    availability: tuple[Window, ...]
    max_hours_per_week: float
    max_residents: int
    max_distance_km: float
    travel: str
    gender: str | None = None
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    organization: str | None = None
    station: str | None = None
    background_check_until: dt.date | None = None
    source: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Pair:
    """A resident and a volunteer on the resident's team."""

    resident: str
    volunteer: str
    source: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Weights:
    unmet_visit: float = 1000
    unmet_member: float = 300
    distance_km: float = 1
    preference: float = 20
    churn: float = 50
    fairness: float = 5
    cohesion: float = 2


@dataclass(frozen=True)
class Travel:
    detour_factor: float = 1.3
    speed_kmh: tuple[tuple[str, float], ...] = (("walk", 4.5), ("bike", 12.0), ("drive", 25.0))

    def speed(self, mode: str) -> float:
        return dict(self.speed_kmh)[mode]

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(mode for mode, _ in self.speed_kmh)


@dataclass(frozen=True)
class SolverSettings:
    time_limit_s: float = 60
    workers: int = 2
    seed: int = 0


@dataclass(frozen=True)
class VolunteerDefaults:
    max_hours_per_week: float = 4
    max_residents: int = 2
    max_distance_km: float = 3
    travel: str = "walk"


@dataclass(frozen=True)
class Config:
    weights: Weights = Weights()
    travel: Travel = Travel()
    solver: SolverSettings = SolverSettings()
    volunteer_defaults: VolunteerDefaults = VolunteerDefaults()

    def as_dict(self) -> dict:
        """The config in the shape of the YAML file (section 4 of the format)."""
        w, t, s, d = self.weights, self.travel, self.solver, self.volunteer_defaults
        return {
            "weights": {
                "unmet_visit": w.unmet_visit,
                "unmet_member": w.unmet_member,
                "distance_km": w.distance_km,
                "preference": w.preference,
                "churn": w.churn,
                "fairness": w.fairness,
                "cohesion": w.cohesion,
            },
            "travel": {"detour_factor": t.detour_factor, "speed_kmh": dict(t.speed_kmh)},
            "solver": {"time_limit_s": s.time_limit_s, "workers": s.workers, "seed": s.seed},
            "defaults": {
                "volunteer": {
                    "max_hours_per_week": d.max_hours_per_week,
                    "max_residents": d.max_residents,
                    "max_distance_km": d.max_distance_km,
                    "travel": d.travel,
                }
            },
        }


@dataclass(frozen=True)
class Scenario:
    """A whole validated scenario. Entity tuples keep the order of the input."""

    name: str
    week_of: dt.date
    services: tuple[Service, ...]
    residents: tuple[Resident, ...]
    volunteers: tuple[Volunteer, ...]
    stations: tuple[Station, ...] = ()
    organizations: tuple[Organization, ...] = ()
    current: tuple[Pair, ...] = ()
    config: Config = Config()
    source: str | None = field(default=None, compare=False)

    def service(self, service_id: str) -> Service:
        return self._services_by_id[service_id]

    def resident(self, resident_id: str) -> Resident:
        return self._residents_by_id[resident_id]

    def volunteer(self, volunteer_id: str) -> Volunteer:
        return self._volunteers_by_id[volunteer_id]

    @property
    def _services_by_id(self) -> dict[str, Service]:
        return _index(self, "services")

    @property
    def _residents_by_id(self) -> dict[str, Resident]:
        return _index(self, "residents")

    @property
    def _volunteers_by_id(self) -> dict[str, Volunteer]:
        return _index(self, "volunteers")


def _index(scenario: Scenario, attribute: str) -> dict:
    # A frozen dataclass cannot hold a lazily built cache as a field, so the id maps live in
    # the instance __dict__ under a private name, built once on first use.
    cache_name = f"_cache_{attribute}"
    cached = scenario.__dict__.get(cache_name)
    if cached is None:
        cached = {entity.id: entity for entity in getattr(scenario, attribute)}
        object.__setattr__(scenario, cache_name, cached)
    return cached
