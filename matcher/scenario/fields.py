"""Field-by-field reading of one record (a YAML mapping or a CSV row) against a schema.

YAML and CSV records go through the same schema so that a field means the same in both and
gets the same message when it is wrong. YAML values arrive typed; CSV cells arrive as text,
list cells are split on `;`, and an empty cell means "not given".
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from matcher.errors import InputProblem
from matcher.scenario.located import LocatedList, LocatedMap
from matcher.scenario.model import Window
from matcher.scenario.windows import (
    WINDOW_EXAMPLE,
    WindowSyntaxError,
    merge_windows,
    parse_window,
)

MISSING: Any = object()
_BAD_ID_CHARACTERS = re.compile(r"[;/\\\n\r\t]")
FORMULA_STARTS = ("=", "+", "-", "@")


class FieldError(ValueError):
    """A value that does not fit its field; the message says what was expected.

    `index` names the item of a list field that is wrong, and `value` that item, so the
    message points at `windows[1]` rather than at the whole list.
    """

    def __init__(self, message: str, index: int | None = None, value: Any = MISSING,
                 more: tuple[FieldError, ...] = ()):
        super().__init__(message)
        self.index = index
        self.value = value
        self.more = more


@dataclass(frozen=True)
class Record:
    """One entity's raw fields and where they were written."""

    file: str
    line: int
    values: dict[str, Any]
    from_csv: bool = False
    key_lines: dict[str, int] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def from_yaml(file: str, mapping: LocatedMap) -> Record:
        return Record(file, mapping.line, dict(mapping), False, mapping.key_lines, mapping.raw)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


@dataclass(frozen=True)
class Field:
    """How to read one field: a converter, whether it is required, and its default.

    `repeats` says the same cell comes back row after row (an availability, a skill list,
    an organisation): a table's distinct cells are then converted once each and their
    values shared, which a registry of a million volunteers needs to be read in time.
    """

    convert: Callable[[Any, Record, str], Any]
    required: bool = False
    default: Any = None
    repeats: bool = False


class RecordReader:
    """Reads records into checked values, collecting every problem instead of stopping."""

    def __init__(self, problems: list[InputProblem]):
        self.problems = problems
        # A CSV cell is text, and a converter's value depends on that text alone; what
        # does not convert is not kept, so each row with it is reported.
        self._converted: dict[tuple[Callable, str], Any] = {}

    def report(self, record_file: str, line: int | None, entity: str | None, where: str | None,
               message: str) -> None:
        self.problems.append(InputProblem(record_file, line, entity, where, message))

    def read(self, record: Record, schema: dict[str, Field], entity: str | Callable[[], str],
             prefix: str = "", absent_columns: Collection[str] = ()) -> dict[str, Any] | None:
        """The record's values converted by `schema`; None if any field was wrong.

        `entity` names the record in messages; it may be a function giving the name, so
        that a table's rows, read without fault, do not each work one out."""
        values, from_csv = record.values, record.from_csv
        ok = True
        if not schema.keys() >= values.keys():
            for key in values:
                if key not in schema:
                    self.report(record.file, record.line_of(key), _named(entity), prefix + key,
                                f"unknown field{did_you_mean(key, schema)}")
                    ok = False
        result: dict[str, Any] = {}
        converted = self._converted
        for key, spec in schema.items():
            value = values.get(key, MISSING)
            if value is MISSING or value is None or (from_csv and value == ""):
                if spec.required and key not in absent_columns:
                    self.report(record.file, record.line, _named(entity), prefix + key,
                                "is required but missing")
                    ok = False
                result[key] = spec.default
                continue
            shared = spec.repeats and from_csv
            if shared:
                known = converted.get((spec.convert, value), MISSING)
                if known is not MISSING:
                    result[key] = known
                    continue
            try:
                result[key] = spec.convert(value, record, key)
            except FieldError as error:
                for one in (error, *error.more):
                    self._report_field_error(record, _named(entity), prefix, key, value, one)
                ok = False
                continue
            if shared:
                converted[(spec.convert, value)] = result[key]
        return result if ok else None

    def _report_field_error(self, record: Record, entity: str, prefix: str, key: str,
                            value: Any, error: FieldError) -> None:
        where, line = prefix + key, record.line_of(key)
        if error.index is not None:
            where += f"[{error.index}]"
            if isinstance(value, LocatedList):
                line = value.line_of(error.index)
        if error.value is not MISSING:
            shown = _show(error.value)
        elif not record.from_csv and key in record.raw and not isinstance(value, str):
            # A YAML number or date: show it as written, unquoted.
            shown = record.raw[key]
        else:
            shown = _show(value)
        self.report(record.file, line, entity, where, f"{shown} {error}")


def _named(entity: str | Callable[[], str]) -> str:
    return entity if isinstance(entity, str) else entity()


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return repr(dict(value))
    if isinstance(value, list):
        return repr(list(value))
    return repr(value)


# Converters: each takes (value, record, key) and returns the checked value or raises FieldError.

def text(value: Any, record: Record, key: str) -> str:
    if isinstance(value, str):
        result = value.strip()
    elif isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
        # YAML reads `id: 007` as 7 and `name: 2026-12-01` as a date; the author meant text.
        result = record.raw.get(key, str(value)).strip()
    else:
        raise FieldError("is not text")
    if not result:
        raise FieldError("is empty (expected text)")
    return result


def identifier(value: Any, record: Record, key: str) -> str:
    result = text(value, record, key)
    if result.startswith(FORMULA_STARTS):
        raise FieldError("may not start with '=', '+', '-' or '@' "
                         "(a spreadsheet would run it as a formula)")
    if _BAD_ID_CHARACTERS.search(result):
        raise FieldError("may not contain ';', '/', '\\' or control characters")
    return result


def number(low: float | None = None, high: float | None = None, *, above: float | None = None,
           integer: bool = False) -> Callable[[Any, Record, str], Any]:
    """A number converter with bounds: `low`/`high` inclusive, `above` exclusive."""
    kind = "a whole number" if integer else "a number"

    def convert(value: Any, record: Record, key: str) -> Any:
        if isinstance(value, bool):
            raise FieldError(f"is not {kind}")
        if isinstance(value, str) and record.from_csv:
            try:
                value = float(value.strip())
            except ValueError:
                raise FieldError(f"is not {kind}") from None
        if not isinstance(value, (int, float)) or value != value:
            raise FieldError(f"is not {kind}")
        if integer:
            if float(value) != int(value):
                raise FieldError(f"is not {kind}")
            value = int(value)
        else:
            value = float(value)
        if above is not None and value <= above:
            raise FieldError(f"must be greater than {_plain(above)}")
        if low is not None and value < low:
            raise FieldError(f"must be at least {_plain(low)}"
                             + (f" and at most {_plain(high)}" if high is not None else ""))
        if high is not None and value > high:
            raise FieldError(f"must be at most {_plain(high)}"
                             + (f" and at least {_plain(low)}" if low is not None else ""))
        return value

    return convert


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def choice(options: Iterable[str]) -> Callable[[Any, Record, str], str]:
    allowed = tuple(options)

    def convert(value: Any, record: Record, key: str) -> str:
        result = text(value, record, key)
        if result not in allowed:
            raise FieldError(f"is not one of {', '.join(allowed)}{did_you_mean(result, allowed)}")
        return result

    return convert


def text_list(value: Any, record: Record, key: str) -> tuple[str, ...]:
    items = _items(value, record)
    result = []
    for index, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise FieldError("is not text", index, item)
        result.append(str(item).strip())
    return tuple(item for item in result if item)


def identifier_list(value: Any, record: Record, key: str) -> tuple[str, ...]:
    return text_list(value, record, key)


def windows(value: Any, record: Record, key: str) -> tuple[Window, ...]:
    """The windows written, as their sorted union (see `merge_windows`)."""
    items = _items(value, record)
    if not items:
        raise FieldError(f"is empty (expected at least one window like {WINDOW_EXAMPLE})")
    found: list[Window] = []
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            errors.append(FieldError(f"is not a time window (expected like {WINDOW_EXAMPLE})",
                                     index, item))
            continue
        try:
            found.extend(parse_window(item.strip()))
        except WindowSyntaxError as error:
            detail = "" if str(error) == "is not a time window" else f": {error}"
            errors.append(FieldError(f"is not a time window{detail} (expected like "
                                     f"{WINDOW_EXAMPLE})", index, item.strip()))
    if errors:
        first = errors[0]
        raise FieldError(str(first), first.index, first.value, tuple(errors[1:]))
    return merge_windows(found)


def date(value: Any, record: Record, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FieldError("is not a date (expected an ISO date like 2026-12-07)")


def _items(value: Any, record: Record) -> list[Any]:
    if record.from_csv and isinstance(value, str):
        return [part for part in (piece.strip() for piece in value.split(";")) if part]
    if isinstance(value, str):
        # A lone item where a list is expected: the author's meaning is plain.
        return [value]
    if isinstance(value, LocatedList | list | tuple):
        return list(value)
    raise FieldError("is not a list")
