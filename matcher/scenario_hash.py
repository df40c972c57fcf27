"""The input hash a roster records: a SHA-256 of what the scenario means, config included.

What is hashed is the JSON of the scenario's entities as plain mappings (leaving out where
each was written), keys sorted, exactly as `json.dumps(..., ensure_ascii=False,
sort_keys=True, default=str)` writes it, so that a roster's hash does not depend on how its
scenario was written or on which version of the code worked it out. The text is written
here entity by entity and streamed into the hash: building the plain mappings and one
`json.dumps` over them took 19 s per 300,000 volunteers, and as long as the whole search
for a registry of 1.47 million.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from json.encoder import encode_basestring

from matcher.scenario import Scenario

ENTITY_KEYS = ("services", "stations", "organizations", "residents", "volunteers")
_LEFT_OUT = "source"  # where an entity was written is not what it means
_CHUNK = 4096  # entities written into the hash at a time


def input_hash(scenario: Scenario) -> str:
    """A hash of what the scenario means (not how it is written), config included."""
    digest = hashlib.sha256()
    writer = _JsonWriter()
    content = {
        "name": scenario.name,
        "week_of": scenario.week_of.isoformat(),
        "current": [[pair.resident, pair.volunteer] for pair in scenario.current],
        "config": scenario.config.as_dict(),
    }
    digest.update(b"{")
    for index, key in enumerate(sorted((*content, *ENTITY_KEYS))):
        digest.update(f"{', ' if index else ''}{encode_basestring(key)}: ".encode())
        if key in content:
            digest.update(_dumps(content[key]).encode("utf-8"))
        else:
            _write_entities(digest, writer, getattr(scenario, key))
    digest.update(b"}")
    return "sha256:" + digest.hexdigest()


def _write_entities(digest, writer: _JsonWriter, entities) -> None:
    digest.update(b"[")
    for start in range(0, len(entities), _CHUNK):
        text = ", ".join(writer.entity(entity) for entity in entities[start:start + _CHUNK])
        digest.update(((", " if start else "") + text).encode("utf-8"))
    digest.update(b"]")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_plain_or_text)


def _plain_or_text(value):
    """What `json.dumps` cannot write itself: a dataclass as the mapping of its fields,
    anything else (a date) as its text."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return str(value)


def _float(value: float) -> str:
    if math.isfinite(value):
        return float.__repr__(value)
    return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")


_SCALARS = {
    str: encode_basestring,
    int: int.__repr__,
    float: _float,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
    dt.date: lambda value: encode_basestring(str(value)),
}
_TEXT = frozenset({str})


class _JsonWriter:
    """Writes values as `_dumps` would, each tuple and dataclass once by identity: the
    reader shares windows and their tuples between entities, and all stay alive in the
    scenario meanwhile."""

    def __init__(self) -> None:
        self._written: dict[int, str] = {}
        self._writers: dict[tuple[type, bool], Callable[[object], str]] = {}

    def entity(self, entity) -> str:
        return self._fields(entity, top=True)

    def value(self, value) -> str:
        scalar = _SCALARS.get(type(value))
        if scalar is not None:
            return scalar(value)
        text = self._written.get(id(value))
        if text is not None:
            return text
        if type(value) is tuple:
            if set(map(type, value)) <= _TEXT:
                # Skills and languages: written whole by json's C encoder of texts, and
                # not kept, as they are seldom shared.
                return "[" + ", ".join(map(encode_basestring, value)) + "]"
            texts = list(map(self._written.get, map(id, value)))
            if None in texts:
                texts = [self.value(item) for item in value]
            text = "[" + ", ".join(texts) + "]"
        elif is_dataclass(value) and not isinstance(value, type):
            text = self._fields(value, top=False)
        else:
            return _dumps(value)
        self._written[id(value)] = text
        return text

    def _fields(self, value, *, top: bool) -> str:
        writer = self._writers.get((type(value), top))
        if writer is None:
            names = sorted(f.name for f in fields(value) if not (top and f.name == _LEFT_OUT))
            writer = self._writers[(type(value), top)] = self._writer_of(names)
        return writer(value)

    def _writer_of(self, names: list[str]) -> Callable[[object], str]:
        """A function writing one dataclass with these fields (identifiers, sorted).

        It is generated, as `dataclasses` generates `__init__`, so that the usual values
        (a text, a finite float, an integer, none, a tuple already written) are written
        without a Python call each: a registry of 1.47 million volunteers has 22 million.
        Anything else goes to `value`, so the text is the same either way."""
        template = "{" + ", ".join(f"{encode_basestring(name)}: %s" for name in names) + "}"
        lines = ["def write(entity):"]
        for i, name in enumerate(names):
            lines += [f"    v = entity.{name}", "    t = type(v)",
                      f"    s{i} = (text(v) if t is str else number(v) if t is int"
                      " else decimal(v) if t is float and v - v == 0"
                      " else 'null' if v is None else written.get(id(v)) or value(v))"]
        lines.append(f"    return {template!r} % "
                     f"({''.join(f's{i}, ' for i in range(len(names)))})")
        namespace = {"text": encode_basestring, "number": int.__repr__,
                     "decimal": float.__repr__, "written": self._written, "value": self.value}
        exec("\n".join(lines), namespace)  # the code is made above, from field names alone
        return namespace["write"]
