"""The config: weights, travel, solver settings and volunteer defaults (format section 4).

Config files are read into nested dicts, checked key by key, and merged over the defaults
in order (defaults, the scenario's own config, then any given on the command line), so a
file need only name what it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcher.errors import InputProblem
from matcher.scenario.fields import did_you_mean
from matcher.scenario.located import LocatedMap
from matcher.scenario.model import (
    Config,
    SolverSettings,
    Travel,
    VolunteerDefaults,
    Weights,
)

DEFAULT_CONFIG = Config()

# Bounds per leaf: (low, kind); kind "int" for whole numbers, "float" otherwise.
_WEIGHT_KEYS = tuple(Weights.__dataclass_fields__)
_SCHEMA: dict[str, Any] = {
    "weights": {key: ("weight", 0.0) for key in _WEIGHT_KEYS},
    "travel": {"detour_factor": ("number_at_least", 1.0), "speed_kmh": "speeds"},
    "solver": {
        "time_limit_s": ("positive", 0.0),
        "workers": ("int_at_least", 1),
        "seed": ("int_at_least", 0),
    },
    "defaults": {
        "volunteer": {
            "max_hours_per_week": ("positive", 0.0),
            "max_residents": ("int_at_least", 1),
            "max_distance_km": ("positive", 0.0),
            "travel": "mode",
        }
    },
}


def check_config(data: Any, file: str, problems: list[InputProblem]) -> dict:
    """The config mapping checked against the schema; wrong entries are reported and left out."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(InputProblem(file, getattr(data, "line", None), "config", None,
                                "is not a mapping of settings (see format section 4)"))
        return {}
    return _check_mapping(data, _SCHEMA, file, "", problems)


def _check_mapping(data: dict, schema: dict, file: str, prefix: str,
                   problems: list[InputProblem]) -> dict:
    result: dict = {}
    for key, value in data.items():
        path = prefix + str(key)
        line = data.line_of(key) if isinstance(data, LocatedMap) else None
        rule = schema.get(key)
        if rule is None:
            problems.append(InputProblem(file, line, "config", path,
                                    f"unknown setting{did_you_mean(str(key), schema)}"))
            continue
        if isinstance(rule, dict):
            if not isinstance(value, dict):
                problems.append(InputProblem(file, line, "config", path, "is not a mapping"))
                continue
            result[key] = _check_mapping(value, rule, file, path + ".", problems)
            continue
        checked = _check_leaf(rule, value, file, line, path, problems)
        if checked is not None:
            result[key] = checked
    return result


def _check_leaf(rule: Any, value: Any, file: str, line: int | None, path: str,
                problems: list[InputProblem]) -> Any:
    def bad(message: str) -> None:
        problems.append(InputProblem(file, line, "config", path, f"{value!r} {message}"))

    if rule == "speeds":
        if not isinstance(value, dict):
            bad("is not a mapping of travel mode to km/h")
            return None
        speeds = {}
        for mode, speed in value.items():
            if not _is_number(speed) or speed <= 0:
                problems.append(InputProblem(file, line, "config", f"{path}.{mode}",
                                        f"{speed!r} must be a number greater than 0"))
            else:
                speeds[str(mode)] = float(speed)
        return speeds
    if rule == "mode":
        if not isinstance(value, str) or not value.strip():
            bad("is not a travel mode")
            return None
        return value.strip()
    kind, low = rule
    if not _is_number(value):
        bad("is not a number")
        return None
    if kind == "weight" and value < low:
        bad("must be at least 0")
    elif kind == "positive" and value <= low:
        bad("must be greater than 0")
    elif kind == "number_at_least" and value < low:
        bad(f"must be at least {low:g}")
    elif kind == "int_at_least" and (float(value) != int(value) or value < low):
        bad(f"must be a whole number at least {low}")
    else:
        return int(value) if kind == "int_at_least" else float(value)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def merge_settings(base: Mapping, override: Mapping) -> dict:
    """Nested dict merge: `override` wins leaf by leaf; `speed_kmh` modes are merged too."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge_settings(result[key], value)
        else:
            result[key] = value
    return result


def build_config(settings: Mapping) -> Config:
    """A `Config` from checked, merged settings (missing keys take the defaults)."""
    merged = merge_settings(DEFAULT_CONFIG.as_dict(), settings)
    travel = merged["travel"]
    volunteer = merged["defaults"]["volunteer"]
    return Config(
        weights=Weights(**merged["weights"]),
        travel=Travel(
            detour_factor=travel["detour_factor"],
            speed_kmh=tuple(sorted(travel["speed_kmh"].items())),
        ),
        solver=SolverSettings(**merged["solver"]),
        volunteer_defaults=VolunteerDefaults(**volunteer),
    )


def check_travel_mode(config_settings: Mapping, file: str, problems: list[InputProblem]) -> None:
    """The default travel mode must be one the config gives a speed for."""
    config = build_config(config_settings)
    mode = config.volunteer_defaults.travel
    if mode not in config.travel.modes:
        problems.append(InputProblem(file, None, "config", "defaults.volunteer.travel",
                                f"'{mode}' is not a travel mode with a speed "
                                f"(expected one of {', '.join(config.travel.modes)})"))
