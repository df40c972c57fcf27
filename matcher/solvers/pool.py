"""Worker processes for the independent pieces of a large part's search.

The pieces (one resident's candidate teams, one block of residents' team choice) are pure
functions of the problem and of small, picklable arguments. The problem and its options are
large, so they are not sent: the workers are forked after both are built and read them from
memory they share with the parent until either side writes.

Results come back in the order the pieces were given, so a run with the same number of
workers always combines the same results the same way: the roster does not depend on which
worker finished first.

Where processes cannot be forked (Windows, or inside a daemonic worker such as a Dask
worker's), or one worker is asked for, the same calls run here, one after the other.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from matcher.options import NeedOptions
from matcher.problem import Problem

_shared: dict[str, Any] = {}  # the problem and options, in this process and forked workers
# How long past its deadline a worker's answer is waited for: a task ends by its deadline,
# so one not back by then is lost (its worker killed, say), and the caller goes on without.
LATE_SECONDS = 5.0


def shared_problem() -> tuple[Problem, NeedOptions]:
    """The problem and options of the solve this worker serves."""
    return _shared["problem"], _shared["options"]


class Workers:
    """Runs `function(item)` for each item, on `count` worker processes or here, in order."""

    def __init__(self, pool=None, count: int = 1):
        self._pool = pool
        self.count = count

    @property
    def forked(self) -> bool:
        """Whether calls run on worker processes (else here, one after the other)."""
        return self._pool is not None

    def start(self, function: Callable, item: Any, done: Callable[[Any], None]) -> None:
        """`function(item)` begun on a worker process; `done` is called, on another
        thread, with its result or the exception it raised. Only for worker processes."""
        if self._pool is None:
            raise ValueError("start needs worker processes")
        self._pool.apply_async(function, (item,), callback=done, error_callback=done)

    def map(self, function: Callable, items: Iterable) -> list:
        items = list(items)
        if self._pool is None or len(items) < 2:
            return [function(item) for item in items]
        return self._pool.map(function, items, chunksize=1)

    def submit(self, function: Callable, items: Iterable) -> Pending:
        """`map` started now and collected later: worker processes begin at once, while
        this process does other work; here, the calls run when the results are asked for."""
        items = list(items)
        if self._pool is None:
            return Pending(lambda: [function(item) for item in items])
        return Pending(self._pool.map_async(function, items, chunksize=1))

    def imap_unordered(self, function: Callable, items: Iterable):
        """Results of worker processes one at a time, as they finish, each by
        `.next(timeout)`, so the caller can stop waiting. Only for workers that are
        processes."""
        if self._pool is None:
            raise ValueError("imap_unordered needs worker processes")
        return self._pool.imap_unordered(function, items, chunksize=1)


class Pending:
    """Results of a `Workers.submit`, in the order of its items."""

    def __init__(self, work):
        self._work = work  # an AsyncResult of worker processes, or the calls to make here

    def get(self, give_up: Callable[[], bool] = lambda: False) -> list | None:
        """The results, or None if `give_up()` turns true while worker processes still run
        (it is asked a few times a second)."""
        if callable(self._work):
            return self._work()
        while True:
            try:
                return self._work.get(timeout=0.2)
            except multiprocessing.TimeoutError:
                if give_up():
                    return None


def can_fork() -> bool:
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


@contextmanager
def workers_for(problem: Problem, options: NeedOptions, count: int) -> Iterator[Workers]:
    """`count` forked workers sharing `problem` and `options` (or this process alone)."""
    # A worker running a whole part opens its own (in-process) workers: what it shared
    # before is put back afterwards, for the worker's next task.
    before = dict(_shared)
    _shared["problem"], _shared["options"] = problem, options
    try:
        if count < 2 or not can_fork():
            yield Workers()
            return
        pool = multiprocessing.get_context("fork").Pool(count, initializer=ignore_interrupts)
        try:
            yield Workers(pool, count)
        finally:
            pool.terminate()
            pool.join()
    finally:
        _shared.clear()
        _shared.update(before)


def ignore_interrupts() -> None:
    """For a forked helper process. Ctrl-C reaches every process of the terminal's group:
    the parent stops the search and keeps the best roster; its helpers must not die
    mid-task and take their answers with them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
