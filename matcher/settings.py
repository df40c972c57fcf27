"""Config settings named on a command line: `weights.distance_km=2` as a nested mapping.

`matcher solve --set` and `matcher sweep --grid` both name settings this way; the mapping
they give is checked by `check_config` like any config file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from matcher.scenario.config import merge_settings

EXAMPLE = "weights.distance_km=2"


def split_assignment(item: str) -> tuple[tuple[str, ...], str]:
    """`KEY=TEXT` as the key's dotted path and the text; ValueError if it is not of that form."""
    key, sep, text = item.partition("=")
    path = tuple(part for part in key.strip().split(".") if part)
    if not sep or not path:
        raise ValueError(f"{item!r} is not KEY=VALUE (expected like {EXAMPLE})")
    return path, text


def parse_value(text: str) -> Any:
    """A value read as a YAML scalar, so 2 is a number and walk a word."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def nested(path: Sequence[str], value: Any) -> dict:
    """`("weights", "churn"), 0` as `{"weights": {"churn": 0}}`."""
    node: Any = value
    for part in reversed(path):
        node = {part: node}
    return node


def settings_from(items: Iterable[str]) -> dict:
    """`KEY=VALUE` items as one nested config mapping, later items winning.

    Raises ValueError naming the first item that is not of that form.
    """
    settings: dict = {}
    for item in items:
        path, text = split_assignment(item)
        settings = merge_settings(settings, nested(path, parse_value(text)))
    return settings
