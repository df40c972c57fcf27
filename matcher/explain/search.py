"""The smallest change that serves an unmet need: candidate changes tried in order of size,
each by re-solving the resident's neighbourhood, until one really serves the need."""

from __future__ import annotations

import time
from dataclasses import dataclass

from matcher.explain.changes import candidate_changes
from matcher.explain.neighbourhood import TIME_LIMIT_S, Trial, try_change
from matcher.explain.state import RosterState

MAX_TRIALS = 10


@dataclass(frozen=True, eq=False)
class ChangeSearch:
    trials: list[Trial]
    seconds: float

    @property
    def found(self) -> Trial | None:
        """The first change that serves the need with no other need of the neighbourhood
        losing; failing that, the first that serves it at some other need's cost."""
        for trial in self.trials:
            if trial.accepted:
                return trial
        return next((trial for trial in self.trials if trial.served), None)

    def as_dict(self) -> dict:
        found = self.found
        return {"found": None if found is None else found.as_dict(),
                "trials": [trial.as_dict() for trial in self.trials],
                "seconds": round(self.seconds, 3)}


def smallest_change(state: RosterState, r: int, n: int, missing: int, *,
                    time_limit_s: float = TIME_LIMIT_S, seed: int = 0,
                    max_trials: int = MAX_TRIALS) -> ChangeSearch:
    started = time.monotonic()
    changes = candidate_changes(state, r, n, missing)
    # The recruit closes the list and is always tried: it is the change that works when
    # nobody nearby can be stretched.
    changes = changes[:max(1, max_trials - 1)] + changes[-1:] if len(changes) > max_trials \
        else changes
    trials = []
    for change in changes:
        trial = try_change(state, r, n, change, time_limit_s=time_limit_s, seed=seed)
        trials.append(trial)
        if trial.accepted:
            break
    return ChangeSearch(trials, time.monotonic() - started)
