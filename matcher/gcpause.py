"""Pausing Python's cyclic garbage collector while large, acyclic data is built.

Reading a city builds hundreds of thousands of small objects; each generation-2 collection
walks all of them again, which made reading the same city take 5 s one time and 9 s the
next. The data built has no reference cycles to collect, so pausing is safe.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
