"""What a volunteer-facing file may show: masked names, station-level places, neutral services.

Coordinators see everything. A file handed to volunteers (the calendars, and the printable
page when it is exported redacted) must not let a reader identify a resident or learn about
their health, so names keep only their first and last character, places are named by
station only, and health-related services are shown as a plain home visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from matcher.scenario.model import Scenario, Service


@dataclass(frozen=True)
class HealthRule:
    """Which services reveal a health condition: by exact id, or by a marker in the name."""

    service_ids: tuple[str, ...]
    name_markers: tuple[str, ...]

    def matches(self, service: Service) -> bool:
        return service.id in self.service_ids or any(m in service.name for m in self.name_markers)


# The one list of health-related services. Rehabilitation, escort to hospital and
# sign-language companionship each tell a reader that the resident is ill or disabled.
HEALTH_RELATED = HealthRule(
    service_ids=("rehab", "escort", "sign_language"),
    name_markers=("康复", "就医", "医"),
)
NEUTRAL_SERVICE = "上门探访 Home visit"
HOME = "居民家中 Resident's home"
MASK = "*"


def mask_name(name: str) -> str:
    """张秀兰 -> 张*兰, 王伟 -> 王*, 欧阳娜娜 -> 欧**娜: first and last character kept."""
    text = name.strip()
    if len(text) <= 1:
        return MASK
    if len(text) == 2:
        return text[0] + MASK
    return text[0] + MASK * (len(text) - 2) + text[-1]


def is_health_related(service: Service) -> bool:
    """True if naming this service would disclose a resident's health or disability."""
    return HEALTH_RELATED.matches(service)


@dataclass(frozen=True)
class Naming:
    """How one export names people, services and places, redacted or not."""

    scenario: Scenario
    redact: bool = False

    def resident(self, resident_id: str) -> str:
        name = self.scenario.resident(resident_id).name
        return mask_name(name) if self.redact else name

    def volunteer(self, volunteer_id: str) -> str:
        name = self.scenario.volunteer(volunteer_id).name
        return mask_name(name) if self.redact else name

    def service(self, service_id: str) -> str:
        service = self.scenario.service(service_id)
        if self.redact and is_health_related(service):
            return NEUTRAL_SERVICE
        return service.name

    def shows_service_id(self, service_id: str) -> bool:
        """Whether the service id itself may be printed (it names the need just as well)."""
        return not (self.redact and is_health_related(self.scenario.service(service_id)))

    def area(self, resident_id: str) -> str:
        """The resident's station name, or 'the resident's home': never an address."""
        station = self.scenario.resident(resident_id).station
        return self._station_names.get(station, HOME) if station else HOME

    @cached_property
    def _station_names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.scenario.stations}
