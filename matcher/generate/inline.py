"""A generated scenario as one self-contained YAML file, every entity written inline.

This is the form a coordinator edits by hand for one station: no CSV tables, each resident
with their needs beneath them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from matcher.generate.tables import ScenarioTables

LIST_FIELDS = {"skills", "languages", "availability", "exclude_volunteers", "windows"}
INTEGER_FIELDS = {"priority", "team_size", "visits_per_week", "duration_min",
                  "volunteers_per_visit", "max_residents"}
NUMBER_FIELDS = {"lat", "lon", "max_hours_per_week", "max_distance_km"}
WISH_COLUMNS = {"require_gender": ("require", "gender"),
                "require_languages": ("require", "languages"),
                "prefer_gender": ("prefer", "gender"), "prefer_languages": ("prefer", "languages")}


def inline_document(tables: ScenarioTables) -> dict:
    """The scenario mapping with residents (and their needs), volunteers and current inline."""
    document = {key: value for key, value in tables.header.items()
                if key not in ("residents", "volunteers", "current")}
    needs_by_resident: dict[str, list[dict]] = {}
    for row in tables.needs.to_dict("records"):
        resident = row.pop("resident")
        needs_by_resident.setdefault(resident, []).append(_entity(row))
    residents = []
    for row in tables.residents.to_dict("records"):
        entity = _entity({k: v for k, v in row.items() if k not in WISH_COLUMNS})
        for column, (group, field) in WISH_COLUMNS.items():
            value = _value(field, row.get(column, ""))
            if value is not None:
                entity.setdefault(group, {})[field] = value
        entity["needs"] = needs_by_resident.get(row["id"], [])
        residents.append(entity)
    document["residents"] = residents
    document["volunteers"] = [_entity(row) for row in tables.volunteers.to_dict("records")]
    if tables.current is not None:
        document["current"] = [_entity(row) for row in tables.current.to_dict("records")]
    return document


def write_inline(path: str | Path, tables: ScenarioTables, comment: str = "") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(inline_document(tables), allow_unicode=True, sort_keys=False,
                          width=100, default_flow_style=None)
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    path.write_text(header + text, encoding="utf-8")
    return path


def _entity(row: dict) -> dict:
    result = {}
    for field, raw in row.items():
        value = _value(field, raw)
        if value is not None:
            result[field] = value
    return result


def _value(field: str, raw):
    if raw is None or (isinstance(raw, float) and pd.isna(raw)) or raw == "":
        return None
    text = str(raw)
    if field in LIST_FIELDS or field.endswith("_languages") or field == "languages":
        return [item for item in text.split(";") if item]
    if field in INTEGER_FIELDS:
        return int(float(text))
    if field in NUMBER_FIELDS:
        number = float(text)
        return int(number) if number.is_integer() and field != "lat" and field != "lon" else number
    return text
