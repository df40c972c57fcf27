"""matcher: volunteer rosters for community care.

Pairs volunteers with empty-nest seniors and with disabled or seriously ill children, one to
one or as a small team, and schedules their weekly visits.
"""

from matcher.errors import InputProblem, ScenarioError
from matcher.scenario import Scenario, parse_scenario, read_scenario

__version__ = "0.1.0"

__all__ = ["InputProblem", "Scenario", "ScenarioError", "__version__", "parse_scenario",
           "read_scenario"]
