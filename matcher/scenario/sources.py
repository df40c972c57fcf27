"""Where the text of a scenario's files comes from: the disk, or strings given by a test.

A scenario names its tables and config by paths relative to itself. Only the files it
names are read, only regular files, and only as text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


class SourceError(Exception):
    """A named file that cannot be read; the message says why in a user's words."""


@dataclass(frozen=True)
class DiskSource:
    """Files on disk, relative to the folder of the scenario file."""

    base_dir: str

    def display_name(self, relative: str) -> str:
        return os.path.normpath(os.path.join(self.base_dir, relative))

    def beside(self, relative: str) -> DiskSource:
        """The source for a file that `relative` names: its own paths are relative to it."""
        return DiskSource(os.path.dirname(self.display_name(relative)))

    def read_text(self, relative: str) -> str:
        path = self.display_name(relative)
        if not os.path.exists(path):
            raise SourceError(f"file '{path}' does not exist")
        if not os.path.isfile(path):
            raise SourceError(f"'{path}' is not a regular file")
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise SourceError(f"cannot read '{path}': {error.strerror}") from None
        return decode_text(data, path)


@dataclass(frozen=True)
class MemorySource:
    """Files given as strings, for tests and notebooks: name -> text."""

    files: Mapping[str, str] = field(default_factory=dict)
    base_dir: str = ""

    def display_name(self, relative: str) -> str:
        return os.path.normpath(os.path.join(self.base_dir, relative))

    def beside(self, relative: str) -> MemorySource:
        """The source for a file that `relative` names: its own paths are relative to it."""
        return MemorySource(self.files, os.path.dirname(self.display_name(relative)))

    def read_text(self, relative: str) -> str:
        name = self.display_name(relative)
        if name not in self.files:
            raise SourceError(f"file '{name}' does not exist")
        text = self.files[name]
        return text[1:] if text.startswith("\ufeff") else text


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 with or without a byte-order mark, the only encodings the format allows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            f"'{name}' is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
