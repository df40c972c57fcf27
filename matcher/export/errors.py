"""The error an export raises on bad input: a roster folder it cannot read, or a bad option."""

from __future__ import annotations

from matcher.errors import ScenarioError


class ExportError(ScenarioError):
    """The roster folder (section 7 of the format) cannot be exported; `problems` lists why.

    A subclass of ScenarioError so that the command line reports it like any other bad input:
    every problem on stderr, exit status 2, no traceback.
    """
