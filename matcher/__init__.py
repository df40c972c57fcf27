"""matcher: volunteer rosters for community care.

Pairs volunteers with empty-nest seniors and with disabled or seriously ill children, one to
one or as a small team, and schedules their weekly visits.

    >>> import matcher
    >>> result = matcher.solve("scenarios/tiny/scenario.yaml", time_limit_s=10)
    >>> result.pairs, result.visits, result.unmet, result.terms
"""

from matcher.errors import InputProblem, ScenarioError
from matcher.scenario import Scenario, parse_scenario, read_scenario

__version__ = "0.1.0"

__all__ = ["InputProblem", "Result", "Scenario", "ScenarioError", "__version__",
           "parse_scenario", "read_scenario", "solve"]


def __getattr__(name: str):
    # The solver pulls in OR-Tools; load it only when asked for, so reading and validating
    # stay quick to start.
    if name in ("solve", "Result"):
        from matcher import api

        return getattr(api, name)
    raise AttributeError(f"module 'matcher' has no attribute {name!r}")
