"""The export formats and how a `--formats` option names them."""

from __future__ import annotations

FORMATS = ("csv", "xlsx", "html", "ics")
DEFAULT_FORMATS = ("xlsx", "html", "ics")


def parse_formats(text: str) -> tuple[str, ...]:
    """'xlsx, html' -> ('xlsx', 'html'); raise ValueError naming anything unknown or an empty list."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    if not chosen:
        raise ValueError(f"no export format given (expected some of {', '.join(FORMATS)})")
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown export format {', '.join(map(repr, unknown))} "
                         f"(expected some of {', '.join(FORMATS)}, separated by commas)")
    return chosen
