"""Scenario text to a validated `Scenario`, or a `ScenarioError` listing every problem.

`parse_scenario` is a pure function of text (and of the texts of the files the scenario
names, through a source); `read_scenario` only opens the file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from functools import partial
from typing import Any

from matcher.errors import InputProblem, ScenarioError
from matcher.gcpause import collector_paused
from matcher.scenario import fields as f
from matcher.scenario.config import build_config, check_config, check_travel_mode, merge_settings
from matcher.scenario.extends import KIND_OF, REMOVABLE, base_ids, overlay, without_dangling
from matcher.scenario.fields import MISSING, Field, Record, RecordReader, did_you_mean
from matcher.scenario.located import LocatedList, LocatedMap, load_located
from matcher.scenario.model import (
    GENDERS,
    RESIDENT_KINDS,
    Config,
    Location,
    Need,
    Organization,
    Pair,
    Resident,
    Scenario,
    Service,
    Station,
    Volunteer,
    Wishes,
)
from matcher.scenario.references import check_references
from matcher.scenario.sources import DiskSource, MemorySource, SourceError, decode_text
from matcher.scenario.tables import Table, convert_columns, parse_table

FORMAT = "matcher/v1"
TOP_LEVEL_KEYS = ("format", "extends", "name", "week_of", "config", "services", "stations",
                  "organizations", "residents", "volunteers", "current", "remove")
REQUIRED_TOP_LEVEL = ("format", "name", "services", "residents", "volunteers")
# A variant takes everything it does not say from its base.
REQUIRED_IN_VARIANT = ("format",)
# Deeper than this is surely a mistake, and the chain is reported rather than followed.
MAX_EXTENDS_DEPTH = 16

LAT = f.number(-90, 90)
LON = f.number(-180, 180)

SERVICE_FIELDS = {"name": Field(f.text, required=True), "skills": Field(f.text_list, default=())}
STATION_FIELDS = {"id": Field(f.identifier, required=True), "name": Field(f.text, required=True),
                  "lat": Field(LAT, required=True), "lon": Field(LON, required=True)}
ORGANIZATION_FIELDS = {"id": Field(f.identifier, required=True),
                       "name": Field(f.text, required=True)}
WISH_FIELDS = {"gender": Field(f.choice(GENDERS)), "languages": Field(f.text_list, default=())}
NEED_FIELDS = {
    "service": Field(f.identifier, required=True, repeats=True),
    "visits_per_week": Field(f.number(1, 7, integer=True), default=1, repeats=True),
    "duration_min": Field(f.number(1, 1440, integer=True), required=True, repeats=True),
    "volunteers_per_visit": Field(f.number(1, integer=True), default=1, repeats=True),
    "windows": Field(f.windows, required=True, repeats=True),
}
RESIDENT_COMMON = {
    "id": Field(f.identifier, required=True),
    "name": Field(f.text, required=True),
    "kind": Field(f.choice(RESIDENT_KINDS), required=True, repeats=True),
    "lat": Field(LAT, required=True),
    "lon": Field(LON, required=True),
    "station": Field(f.identifier, repeats=True),
    "priority": Field(f.number(1, 5, integer=True), default=1, repeats=True),
    "team_size": Field(f.number(1, integer=True), default=1, repeats=True),
    "exclude_volunteers": Field(f.identifier_list, default=(), repeats=True),
}
RESIDENT_FIELDS = {**RESIDENT_COMMON, "needs": Field(lambda v, r, k: v, required=True),
                   "require": Field(lambda v, r, k: v), "prefer": Field(lambda v, r, k: v)}
RESIDENT_CSV_FIELDS = {
    **RESIDENT_COMMON,
    "require_gender": Field(f.choice(GENDERS), repeats=True),
    "require_languages": Field(f.text_list, default=(), repeats=True),
    "prefer_gender": Field(f.choice(GENDERS), repeats=True),
    "prefer_languages": Field(f.text_list, default=(), repeats=True),
}
NEED_CSV_FIELDS = {"resident": Field(f.identifier, required=True), **NEED_FIELDS}
PAIR_FIELDS = {"resident": Field(f.identifier, required=True),
               "volunteer": Field(f.identifier, required=True)}
# An earlier run's assignments.csv is a valid `current` table: its id columns are read and
# the rest (names, distances) is ignored.
PAIR_ALIASES = {"resident_id": "resident", "volunteer_id": "volunteer"}
ASSIGNMENT_EXTRA_COLUMNS = ("resident_name", "volunteer_name", "station_id", "distance_km",
                            "incumbent")


# A volunteer's fields in the order `Volunteer` takes them (its source aside): the names of
# `volunteer_fields`, by which a table read column by column makes each one.
VOLUNTEER_FIELD_ORDER = tuple(item.name for item in fields(Volunteer) if item.name != "source")


def volunteer_fields(config: Config) -> dict[str, Field]:
    defaults = config.volunteer_defaults
    return {
        "id": Field(f.identifier, required=True),
        "name": Field(f.text, required=True),
        "lat": Field(LAT, required=True),
        "lon": Field(LON, required=True),
        "gender": Field(f.choice(GENDERS), repeats=True),
        "skills": Field(f.text_list, default=(), repeats=True),
        "languages": Field(f.text_list, default=(), repeats=True),
        "organization": Field(f.identifier, repeats=True),
        "station": Field(f.identifier, repeats=True),
        "availability": Field(f.windows, required=True, repeats=True),
        "max_hours_per_week": Field(f.number(above=0), default=defaults.max_hours_per_week, repeats=True),
        "max_residents": Field(f.number(1, integer=True), default=defaults.max_residents, repeats=True),
        "max_distance_km": Field(f.number(above=0), default=defaults.max_distance_km, repeats=True),
        "travel": Field(f.choice(config.travel.modes), default=defaults.travel, repeats=True),
        "background_check_until": Field(f.date, repeats=True),
    }


def read_scenario(path: str | os.PathLike, config_paths: tuple[str, ...] = (),
                  today: dt.date | None = None) -> Scenario:
    """Read and validate the scenario file at `path` (tables and config relative to it).

    `config_paths` are further config files merged over the scenario's own, in order.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        text = decode_text(data, path)
    except FileNotFoundError:
        raise _file_error(path, "file does not exist") from None
    except IsADirectoryError:
        raise _file_error(path, "is a folder, not a scenario file") from None
    except OSError as error:
        raise _file_error(path, f"cannot read: {error.strerror}") from None
    except SourceError as error:
        raise _file_error(path, str(error)) from None
    extra = tuple(os.path.relpath(p, os.path.dirname(path) or ".") for p in config_paths)
    return parse_scenario(text, path, source=DiskSource(os.path.dirname(path)),
                          extra_configs=extra, today=today)


def parse_scenario(text: str, path: str = "<scenario>", *,
                   files: Mapping[str, str] | None = None, source: Any = None,
                   extra_configs: tuple[str, ...] = (), today: dt.date | None = None) -> Scenario:
    """Parse scenario YAML text. Named files come from `files` (name -> text) or `source`."""
    if source is None:
        source = MemorySource(files or {})
    with collector_paused():
        return _ScenarioParser(path, source, today or dt.date.today()).parse(text, extra_configs)


class _ScenarioParser:
    def __init__(self, path: str, source: Any, today: dt.date, extended_by: tuple[str, ...] = ()):
        self.path = path
        self.source = source
        self.today = today
        # The files that extend this one, nearest last: a base met again is a cycle.
        self.extended_by = extended_by
        self.problems: list[InputProblem] = []
        self.reader = RecordReader(self.problems)
        # Ids of entities that could not be read, by kind: references to them are not
        # reported again as unknown.
        self.unreadable_ids: dict[str, set[str]] = {}

    def note_unreadable(self, kind: str, record: Record) -> None:
        raw = _raw_id(record)
        if raw:
            self.unreadable_ids.setdefault(kind, set()).add(raw)

    def problem(self, file: str, line: int | None, entity: str | None, where: str | None,
                message: str) -> None:
        self.problems.append(InputProblem(file, line, entity, where, message))

    def fail_if_problems(self) -> None:
        if self.problems:
            raise ScenarioError(self.problems)

    # -- top level -------------------------------------------------------------------------

    def parse(self, text: str, extra_configs: tuple[str, ...],
              config_over: Mapping | None = None) -> Scenario:
        """The scenario in `text`; `config_over` is merged over its config (a variant's)."""
        if text.startswith("\ufeff"):
            text = text[1:]
        document, issues = load_located(text)
        for issue in issues:
            self.problem(self.path, issue.line, None, None, issue.message)
        self.fail_if_problems()
        if not isinstance(document, LocatedMap):
            self.problem(self.path, getattr(document, "line", 1), None, None,
                         "is not a scenario (expected a YAML mapping with format: matcher/v1)")
            self.fail_if_problems()
        top = document
        for key in top:
            if key not in TOP_LEVEL_KEYS:
                self.problem(self.path, top.line_of(key), None, key,
                             f"unknown top-level key{did_you_mean(key, TOP_LEVEL_KEYS)}")
        for key in REQUIRED_IN_VARIANT if "extends" in top else REQUIRED_TOP_LEVEL:
            if key not in top:
                self.problem(self.path, top.line, None, key, "is required but missing")
        fmt = top.get("format")
        if "format" in top and fmt != FORMAT:
            self.problem(self.path, top.line_of("format"), None, "format",
                         f"{top.raw.get('format', fmt)!r} is not a supported format "
                         f"(expected '{FORMAT}')")
            self.fail_if_problems()
        name = self.top_text(top, "name")
        week_of = self.read_week_of(top)
        settings = self.read_settings(top, extra_configs, config_over)
        base = None
        if "extends" in top:
            base = self.read_base(top, settings)
            # The variant's entities are read against the base's ids: without a base there
            # is nothing sound to say about them.
            self.fail_if_problems()
            config = base.config
        else:
            config = self.config_from(settings)
        removed = self.read_remove(top, base)
        services = self.read_services(top, base.services if base else ())
        stations = self.read_simple_list(top, "stations", "station", STATION_FIELDS, Station,
                                         base.stations if base else ())
        organizations = self.read_simple_list(top, "organizations", "organization",
                                              ORGANIZATION_FIELDS, Organization,
                                              base.organizations if base else ())
        residents = self.read_residents(top, base.residents if base else ())
        volunteers = self.read_volunteers(top, config, base.volunteers if base else ())
        current = self.read_current(top)
        if base is not None:
            services, stations, organizations, residents, volunteers = (
                self.laid_over(getattr(base, key), changes, key, removed)
                for key, changes in (("services", services), ("stations", stations),
                                     ("organizations", organizations), ("residents", residents),
                                     ("volunteers", volunteers)))
            name = name or base.name
            week_of = week_of or base.week_of
            residents, current = without_dangling(
                residents, current if "current" in top else base.current, removed)
        scenario = Scenario(
            name=name or "",
            week_of=week_of or _next_monday(self.today),
            services=services,
            residents=residents,
            volunteers=volunteers,
            stations=stations,
            organizations=organizations,
            current=current,
            config=config,
            source=self.path,
        )
        self.problems.extend(check_references(scenario, self.path, self.unreadable_ids))
        if self.problems:
            # Sorted by place, so a user reading the list can walk the file top to bottom.
            order = {file: index for index, file in
                     enumerate(dict.fromkeys(problem.file for problem in self.problems))}
            self.problems.sort(key=lambda p: (order[p.file], p.line or 0))
        self.fail_if_problems()
        return scenario

    def top_text(self, top: LocatedMap, key: str) -> str | None:
        if key not in top:
            return None
        record = Record.from_yaml(self.path, top)
        try:
            return f.text(top[key], record, key)
        except f.FieldError as error:
            self.problem(self.path, top.line_of(key), None, key, f"{top[key]!r} {error}")
            return None

    def read_week_of(self, top: LocatedMap) -> dt.date | None:
        if "week_of" not in top:
            return None
        record = Record.from_yaml(self.path, top)
        shown = top.raw.get("week_of", top["week_of"])
        try:
            day = f.date(top["week_of"], record, "week_of")
        except f.FieldError as error:
            self.problem(self.path, top.line_of("week_of"), None, "week_of", f"{shown!r} {error}")
            return None
        if day.weekday() != 0:
            self.problem(self.path, top.line_of("week_of"), None, "week_of",
                         f"'{day.isoformat()}' is a {day.strftime('%A')} "
                         "(expected the Monday the roster week starts)")
        return day

    # -- config ----------------------------------------------------------------------------

    def read_settings(self, top: LocatedMap, extra_configs: tuple[str, ...],
                      config_over: Mapping | None) -> dict:
        """The scenario's config settings, then each extra config file's, then `config_over`."""
        settings: dict = {}
        value = top.get("config")
        if isinstance(value, LocatedMap):
            settings = check_config(value, self.path, self.problems)
        elif value is not None:
            if not isinstance(value, str):
                self.problem(self.path, top.line_of("config"), None, "config",
                             f"{value!r} is not a path to a config file")
            else:
                settings = self.load_config_file(value, top.line_of("config"))
        for relative in extra_configs:
            settings = merge_settings(settings, self.load_config_file(relative, None))
        return merge_settings(settings, config_over or {})

    def config_from(self, settings: Mapping) -> Config:
        check_travel_mode(settings, self.path, self.problems)
        try:
            return build_config(settings)
        except KeyError:
            return Config()

    # -- extends ---------------------------------------------------------------------------

    def read_base(self, top: LocatedMap, settings: Mapping) -> Scenario | None:
        """The scenario this one extends, read with this one's config laid over its own."""
        line = top.line_of("extends")
        relative = top["extends"]
        if not isinstance(relative, str) or not relative.strip():
            self.problem(self.path, line, None, "extends",
                         f"{relative!r} is not a path to a scenario file")
            return None
        relative = relative.strip()
        name = self.source.display_name(relative)
        chain = (*self.extended_by, os.path.normpath(self.path))
        if name in chain:
            self.problem(self.path, line, None, "extends",
                         f"'{relative}' leads back to itself ({' -> '.join((*chain, name))}); "
                         "a scenario cannot extend itself")
            return None
        if len(chain) > MAX_EXTENDS_DEPTH:
            self.problem(self.path, line, None, "extends",
                         f"'{relative}' is more than {MAX_EXTENDS_DEPTH} scenarios deep "
                         f"({' -> '.join(chain)})")
            return None
        try:
            text = self.source.read_text(relative)
        except SourceError as error:
            self.problem(self.path, line, None, "extends", str(error))
            return None
        parser = _ScenarioParser(name, self.source.beside(relative), self.today, chain)
        try:
            return parser.parse(text, (), settings)
        except ScenarioError as error:
            self.problems.extend(error.problems)
            return None

    def read_remove(self, top: LocatedMap, base: Scenario | None) -> dict[str, frozenset[str]]:
        """`remove: {volunteers: [V1, V2], ...}`: base entities the variant takes out."""
        value = top.get("remove")
        if value is None:
            return {}
        line = top.line_of("remove")
        if base is None:
            self.problem(self.path, line, None, "remove",
                         "only applies to a scenario that extends another (add extends: FILE)")
            return {}
        if not isinstance(value, LocatedMap):
            self.problem(self.path, line, None, "remove",
                         "is not a mapping of entity list to ids (expected like "
                         "{volunteers: [V0042]})")
            return {}
        known = base_ids(base)
        record = Record.from_yaml(self.path, value)
        removed: dict[str, frozenset[str]] = {}
        for key in value:
            if key not in REMOVABLE:
                self.problem(self.path, value.line_of(key), None, f"remove.{key}",
                             f"unknown key{did_you_mean(key, REMOVABLE)}")
                continue
            try:
                ids = f.identifier_list(value[key], record, key)
            except f.FieldError as error:
                self.problem(self.path, value.line_of(key), None, f"remove.{key}",
                             f"{value[key]!r} {error}")
                continue
            for entity_id in ids:
                if entity_id not in known[key]:
                    self.problem(self.path, value.line_of(key), None, f"remove.{key}",
                                 f"'{entity_id}' is not a {KIND_OF[key]} of the base scenario"
                                 f"{did_you_mean(entity_id, known[key])}")
            removed[key] = frozenset(ids)
        return removed

    def laid_over(self, base_entities: tuple, changes: tuple, key: str,
                  removed: Mapping[str, frozenset[str]]) -> tuple:
        """`changes` laid over `base_entities`, after checking the variant names each
        base entity at most once and does not both change and remove it."""
        base = {entity.id for entity in base_entities}
        gone = removed.get(key, frozenset())
        seen: set[str] = set()
        for entity in changes:
            if entity.id in gone:
                self.problem(entity.source.file, entity.source.line, f"{KIND_OF[key]} {entity.id}",
                             "id", f"'{entity.id}' is also under remove.{key} (expected one or "
                             "the other)")
            elif entity.id in base and entity.id in seen:
                self.problem(entity.source.file, entity.source.line, f"{KIND_OF[key]} {entity.id}",
                             "id", f"'{entity.id}' is changed twice (expected one entry per id)")
            seen.add(entity.id)
        return overlay(base_entities, changes, gone)

    def load_config_file(self, relative: str, line: int | None) -> dict:
        name = self.source.display_name(relative)
        try:
            text = self.source.read_text(relative)
        except SourceError as error:
            self.problem(self.path, line, None, "config", str(error))
            return {}
        data, issues = load_located(text)
        for issue in issues:
            self.problem(name, issue.line, None, None, issue.message)
        return check_config(data, name, self.problems)

    # -- entities --------------------------------------------------------------------------

    def entity_records(self, top: LocatedMap, key: str, kind: str, csv_fields: Mapping,
                       required_columns: tuple[str, ...], aliases: dict | None = None,
                       extra_columns: tuple[str, ...] = ()) -> tuple[list, frozenset]:
        """The records of an entity list written inline or as `{file: x.csv}`."""
        source = self.entity_source(top, key, kind, csv_fields, required_columns, aliases,
                                    extra_columns)
        if isinstance(source, Table):
            return list(source.rows), source.absent_columns
        return source, frozenset()

    def entity_source(self, top: LocatedMap, key: str, kind: str, csv_fields: Mapping,
                      required_columns: tuple[str, ...], aliases: dict | None = None,
                      extra_columns: tuple[str, ...] = ()) -> list[Record] | Table:
        """An entity list's table, if written as `{file: x.csv}`, else its records."""
        value = top.get(key)
        if value is None:
            return []
        if isinstance(value, LocatedList):
            records = []
            for index, item in enumerate(value):
                if isinstance(item, LocatedMap):
                    records.append(Record.from_yaml(self.path, item))
                else:
                    self.problem(self.path, value.line_of(index), f"{kind} #{index + 1}", None,
                                 f"is not a mapping of {kind} fields")
            return records
        if isinstance(value, LocatedMap) and "file" in value:
            table = self.load_table(key, value, "file", csv_fields, required_columns,
                                    aliases, extra_columns)
            return table if table is not None else []
        self.problem(self.path, top.line_of(key), None, key,
                     f"is not a list of {kind}s or {{file: {key}.csv}}")
        return []

    def load_table(self, key: str, spec: LocatedMap, file_key: str,
                   csv_fields: Mapping, required_columns: tuple[str, ...],
                   aliases: dict | None = None, extra_columns: tuple[str, ...] = ()):
        allowed = {"file", "needs"} if key == "residents" else {"file"}
        for extra in spec:
            if extra not in allowed:
                self.problem(self.path, spec.line_of(extra), None, f"{key}.{extra}",
                             f"unknown key{did_you_mean(extra, allowed)}")
        relative = spec.get(file_key)
        if not isinstance(relative, str) or not relative.strip():
            self.problem(self.path, spec.line_of(file_key), None, f"{key}.{file_key}",
                         f"{relative!r} is not a file path")
            return None
        try:
            text = self.source.read_text(relative.strip())
        except SourceError as error:
            self.problem(self.path, spec.line_of(file_key), None, f"{key}.{file_key}",
                         str(error))
            return None
        known = tuple(csv_fields) + extra_columns
        return parse_table(text, self.source.display_name(relative.strip()), known,
                           required_columns, self.problems, aliases)

    def read_services(self, top: LocatedMap, base: tuple[Service, ...] = ()) -> tuple[Service, ...]:
        """The services; with a `base`, a base id changes only the fields written."""
        base_by_id = {service.id: service for service in base}
        value = top.get("services")
        if value is None:
            return ()
        if not isinstance(value, LocatedMap):
            self.problem(self.path, top.line_of("services"), None, "services",
                         "is not a mapping of service id to {name, skills}")
            return ()
        services = []
        for service_id, spec in value.items():
            entity = f"service {service_id}"
            line = value.line_of(service_id)
            if not isinstance(spec, LocatedMap):
                self.problem(self.path, line, entity, None, "is not a mapping {name, skills}")
                continue
            try:
                f.identifier(service_id, Record(self.path, line, {}), "id")
            except f.FieldError as error:
                self.problem(self.path, line, entity, "id", f"{service_id!r} {error}")
                continue
            record = Record.from_yaml(self.path, spec)
            if service_id in base_by_id:
                data = self.reader.read(record, _partial(SERVICE_FIELDS), entity)
                if data is not None:
                    services.append(replace(base_by_id[service_id], **_given(data),
                                            source=_location(self.path, line)))
                continue
            data = self.reader.read(record, SERVICE_FIELDS, entity)
            if data is not None:
                services.append(Service(service_id, data["name"], data["skills"],
                                        source=_location(self.path, line)))
        return tuple(services)

    def read_simple_list(self, top: LocatedMap, key: str, kind: str, schema: dict,
                         make: Callable, base: tuple = ()) -> tuple:
        records, absent = self.entity_records(top, key, kind, schema,
                                              tuple(k for k, v in schema.items() if v.required))
        base_by_id = {entity.id: entity for entity in base}
        result = []
        for index, record in enumerate(records):
            changed = self.changed_base_entity(record, base_by_id)
            if changed is not None:
                data = self.reader.read(record, _partial(schema), partial(_label, kind, record, index))
                if data is not None:
                    result.append(replace(changed, **_given(data),
                                          source=_location(record.file, record.line)))
                continue
            data = self.reader.read(record, schema, partial(_label, kind, record, index),
                                    absent_columns=absent)
            if data is None:
                self.note_unreadable(kind, record)
            else:
                result.append(make(**data, source=_location(record.file, record.line)))
        return tuple(result)

    def changed_base_entity(self, record: Record, base_by_id: Mapping[str, Any]) -> Any:
        """The base entity a variant's record changes, or None for a new entity.

        Only a YAML entry changes a base entity field by field. A table row always carries
        every column, an empty cell meaning the default, so a row stands for the whole
        entity and replaces the base's.
        """
        if record.from_csv or not base_by_id:
            return None
        return base_by_id.get(_raw_id(record))

    def read_residents(self, top: LocatedMap, base: tuple[Resident, ...] = ()) -> tuple[Resident, ...]:
        base_by_id = {resident.id: resident for resident in base}
        value = top.get("residents")
        required = tuple(k for k, v in RESIDENT_CSV_FIELDS.items() if v.required)
        records, absent = self.entity_records(top, "residents", "resident", RESIDENT_CSV_FIELDS,
                                              required)
        needs_by_resident = None
        if isinstance(value, LocatedMap) and "file" in value:
            needs_by_resident = self.read_needs_table(value)
        residents = []
        for index, record in enumerate(records):
            entity = _label("resident", record, index)
            changed = self.changed_base_entity(record, base_by_id)
            if changed is not None:
                resident = self.changed_resident(changed, record, entity)
            elif record.from_csv:
                resident = self.resident_from_csv(record, entity, absent, needs_by_resident)
            else:
                resident = self.resident_from_yaml(record, entity)
            if resident is None:
                self.note_unreadable("resident", record)
            else:
                residents.append(resident)
        if needs_by_resident:
            known = {resident.id for resident in residents}
            known.update(_raw_id(record) for record in records)
            for resident_id, rows in needs_by_resident.items():
                if resident_id not in known:
                    record = rows[0][1]
                    self.problem(record.file, record.line, f"need of resident {resident_id}",
                                 "resident", f"'{resident_id}' is not a resident id in the "
                                 "residents table")
        return tuple(residents)

    def read_needs_table(self, spec: LocatedMap) -> dict[str, list] | None:
        if "needs" not in spec:
            self.problem(self.path, spec.line, None, "residents.needs",
                         "is required with a residents table (expected "
                         "{file: residents.csv, needs: needs.csv})")
            return None
        required = tuple(k for k, v in NEED_CSV_FIELDS.items() if v.required)
        table = self.load_table("residents", spec, "needs", NEED_CSV_FIELDS, required)
        if table is None:
            return None
        by_resident: dict[str, list] = {}
        for record in table.rows:
            resident_id = _raw_id(record, "resident")
            entity = f"resident {resident_id}" if resident_id else "need"
            data = self.reader.read(record, NEED_CSV_FIELDS, entity,
                                    absent_columns=table.absent_columns)
            if data is None or resident_id is None:
                by_resident.setdefault(resident_id or "", []).append((None, record))
                continue
            data.pop("resident")
            by_resident.setdefault(resident_id, []).append((data, record))
        return by_resident

    def resident_from_csv(self, record: Record, entity: str, absent: frozenset,
                          needs_by_resident: dict | None) -> Resident | None:
        data = self.reader.read(record, RESIDENT_CSV_FIELDS, entity, absent_columns=absent)
        resident_id = _raw_id(record)
        rows = (needs_by_resident or {}).get(resident_id, [])
        if needs_by_resident is not None and not rows:
            self.problem(record.file, record.line, entity, "needs",
                         "has no rows in the needs table (expected at least one need)")
        needs = []
        for need_data, need_record in rows:
            if need_data is None:
                data = None
                continue
            needs.append(self.make_need(need_data, need_record, entity, ""))
        if data is None or None in needs or not rows:
            return None
        require = Wishes(data.pop("require_gender"), data.pop("require_languages"))
        prefer = Wishes(data.pop("prefer_gender"), data.pop("prefer_languages"))
        return Resident(**data, needs=tuple(needs), require=require, prefer=prefer,
                        source=_location(record.file, record.line))

    def resident_from_yaml(self, record: Record, entity: str) -> Resident | None:
        data = self.reader.read(record, RESIDENT_FIELDS, entity)
        # Needs and wishes are read even when another field is wrong, so that one pass
        # reports everything.
        needs = None
        if "needs" in record.values:
            needs = self.read_yaml_needs(record.values["needs"], record, entity)
        wishes = [self.read_wishes(record.values.get(key), record, entity, key)
                  for key in ("require", "prefer")]
        if data is None or needs is None or None in wishes:
            return None
        for key in ("needs", "require", "prefer"):
            data.pop(key)
        return Resident(**data, needs=needs, require=wishes[0], prefer=wishes[1],
                        source=_location(record.file, record.line))

    def changed_resident(self, base: Resident, record: Record, entity: str) -> Resident | None:
        """`base` with the fields `record` writes; `needs` given replaces the whole list."""
        data = self.reader.read(record, _partial(RESIDENT_FIELDS), entity)
        values = record.values
        needs = (self.read_yaml_needs(values["needs"], record, entity) if "needs" in values
                 else base.needs)
        wishes = [self.read_wishes(values[key], record, entity, key) if key in values
                  else getattr(base, key) for key in ("require", "prefer")]
        if data is None or needs is None or None in wishes:
            return None
        for key in ("needs", "require", "prefer"):
            data.pop(key)
        return replace(base, **_given(data), needs=needs, require=wishes[0], prefer=wishes[1],
                       source=_location(record.file, record.line))

    def read_yaml_needs(self, value: Any, record: Record, entity: str) -> tuple | None:
        if not isinstance(value, LocatedList):
            self.problem(record.file, record.line_of("needs"), entity, "needs",
                         "is not a list of needs")
            return None
        if not value:
            self.problem(record.file, record.line_of("needs"), entity, "needs",
                         "is empty (expected at least one need)")
            return None
        needs = []
        for index, item in enumerate(value):
            prefix = f"needs[{index}]."
            if not isinstance(item, LocatedMap):
                self.problem(record.file, value.line_of(index), entity, f"needs[{index}]",
                             "is not a mapping of need fields")
                needs.append(None)
                continue
            need_record = Record.from_yaml(record.file, item)
            data = self.reader.read(need_record, NEED_FIELDS, entity, prefix=prefix)
            needs.append(None if data is None else self.make_need(data, need_record, entity,
                                                                  prefix))
        return None if None in needs else tuple(needs)

    def make_need(self, data: dict, record: Record, entity: str, prefix: str) -> Need:
        return Need(
            service=data["service"],
            duration_min=data["duration_min"],
            windows=data["windows"],
            visits_per_week=data["visits_per_week"],
            volunteers_per_visit=data["volunteers_per_visit"],
        )

    def read_wishes(self, value: Any, record: Record, entity: str, key: str) -> Wishes | None:
        if value is None:
            return Wishes()
        if not isinstance(value, LocatedMap):
            self.problem(record.file, record.line_of(key), entity, key,
                         "is not a mapping {gender, languages}")
            return None
        data = self.reader.read(Record.from_yaml(record.file, value), WISH_FIELDS, entity,
                                prefix=f"{key}.")
        return None if data is None else Wishes(data["gender"], data["languages"])

    def read_volunteers(self, top: LocatedMap, config: Config,
                        base: tuple[Volunteer, ...] = ()) -> tuple[Volunteer, ...]:
        schema = volunteer_fields(config)
        required = tuple(k for k, v in schema.items() if v.required)
        source = self.entity_source(top, "volunteers", "volunteer", schema, required)
        if isinstance(source, Table):
            columns = convert_columns(source, schema)
            if columns is not None:
                return _volunteers_from_columns(source, columns)
            records, absent = list(source.rows), source.absent_columns
        else:
            records, absent = source, frozenset()
        base_by_id = {volunteer.id: volunteer for volunteer in base}
        volunteers = []
        for index, record in enumerate(records):
            changed = self.changed_base_entity(record, base_by_id)
            if changed is not None:
                data = self.reader.read(record, _partial(schema), partial(_label, "volunteer", record, index))
                if data is not None:
                    volunteers.append(replace(changed, **_given(data),
                                              source=_location(record.file, record.line)))
                continue
            data = self.reader.read(record, schema, partial(_label, "volunteer", record, index),
                                    absent_columns=absent)
            if data is None:
                self.note_unreadable("volunteer", record)
            else:
                volunteers.append(Volunteer(**data, source=_location(record.file, record.line)))
        return tuple(volunteers)

    def read_current(self, top: LocatedMap) -> tuple[Pair, ...]:
        records, absent = self.entity_records(top, "current", "pair", PAIR_FIELDS,
                                              ("resident", "volunteer"), PAIR_ALIASES,
                                              ASSIGNMENT_EXTRA_COLUMNS)
        pairs = []
        for index, record in enumerate(records):
            values = {key: value for key, value in record.values.items()
                      if key not in ASSIGNMENT_EXTRA_COLUMNS or not record.from_csv}
            clean = Record(record.file, record.line, values, record.from_csv, record.key_lines,
                           record.raw)
            data = self.reader.read(clean, PAIR_FIELDS, f"current pair #{index + 1}",
                                    absent_columns=absent)
            if data is not None:
                pairs.append(Pair(data["resident"], data["volunteer"],
                                  source=_location(record.file, record.line)))
        return tuple(pairs)


def _volunteers_from_columns(table: Table, columns: Mapping[str, list]) -> tuple[Volunteer, ...]:
    """Volunteers made from a table's converted columns (see `convert_columns`), each as
    reading its row alone makes it."""
    ordered = [columns[name] for name in VOLUNTEER_FIELD_ORDER]
    return tuple(Volunteer(*values, source=_location(table.file, line))
                 for *values, line in zip(*ordered, table.lines, strict=True))


def _partial(schema: Mapping[str, Field]) -> dict[str, Field]:
    """`schema` with every field optional and no default: what a variant leaves out is
    kept from the base, not reset."""
    return {key: replace(spec, required=False, default=MISSING) for key, spec in schema.items()}


def _given(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not MISSING}


def _label(kind: str, record: Record, index: int) -> str:
    raw = _raw_id(record)
    return f"{kind} {raw}" if raw else f"{kind} #{index + 1}"


def _raw_id(record: Record, key: str = "id") -> str | None:
    value = record.raw.get(key, record.values.get(key))
    if value is None or isinstance(value, (LocatedMap, LocatedList)):
        return None
    value = str(value).strip()
    return value or None


def _location(file: str, line: int | None) -> Location:
    return Location(file, line)


def _file_error(path: str, message: str) -> ScenarioError:
    return ScenarioError([InputProblem(path, None, None, None, message)])


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())
