"""Reading and validating scenarios: the format `matcher/v1`."""

from matcher.scenario.model import (
    Config,
    Need,
    Organization,
    Pair,
    Resident,
    Scenario,
    Service,
    Station,
    Volunteer,
    Window,
    Wishes,
)
from matcher.scenario.parse import parse_scenario, read_scenario

__all__ = [
    "Config",
    "Need",
    "Organization",
    "Pair",
    "Resident",
    "Scenario",
    "Service",
    "Station",
    "Volunteer",
    "Window",
    "Wishes",
    "parse_scenario",
    "read_scenario",
]
