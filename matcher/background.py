"""One pure function of data this process holds, worked out in a forked process meanwhile.

The roster's input hash of a city takes seconds of pure Python (it serialises every
entity); it depends only on the scenario, so it is worked out while the solve runs and
collected when the roster is written. A part's integer relaxation is solved the same way,
beside its search. Forked, the child reads its inputs from memory it shares with the
parent: nothing is sent but the answer. Where fork is unavailable, the function runs here
when its result is asked for.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from matcher.solvers.pool import can_fork, ignore_interrupts


class Background:
    """`function(*args)`, started now in a forked process where fork is available, else
    worked out when its result is asked for."""

    def __init__(self, function: Callable[..., Any], *args: Any):
        self._function, self._args = function, args
        self._process = self._receiver = None
        if can_fork():
            context = multiprocessing.get_context("fork")
            self._receiver, sender = context.Pipe(duplex=False)
            self._process = context.Process(target=_send, args=(sender, function, args),
                                            daemon=True)
            self._process.start()
            sender.close()

    def result(self, give_up: Callable[[], bool] = lambda: False) -> Any:
        """The function's value; or None if `give_up()` turns true while the forked process
        still works (it is asked a few times a second), which is then stopped."""
        if self._process is None:
            return self._function(*self._args)
        try:
            while not self._receiver.poll(0.2):
                if give_up():
                    self._process.terminate()
                    return None
            done, value = self._receiver.recv()
        except EOFError:  # the child died without an answer (killed): work it out here
            done, value = False, None
        finally:
            self._receiver.close()
            self._process.join()
        # A failure in the child is raised again here, where its traceback belongs.
        return value if done else self._function(*self._args)


def _send(sender, function: Callable[..., Any], args: tuple) -> None:
    ignore_interrupts()
    try:
        sender.send((True, function(*args)))
    except Exception:  # the parent works it out again and raises it with its traceback
        sender.send((False, None))
    finally:
        sender.close()
