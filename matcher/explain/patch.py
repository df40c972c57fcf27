"""A whole roster folder for the changed scenario, from a trial's re-solve, so that the
independent checker (`matcher check`) can be run on what a suggested change would give."""

from __future__ import annotations

import os
import time
from pathlib import Path

from matcher.candidates import candidate_pairs
from matcher.explain.neighbourhood import Trial
from matcher.objective import evaluate
from matcher.options import visit_options
from matcher.output import roster_files, write_folder
from matcher.roster import build_roster
from matcher.unmet import unmet_needs


def write_trial_roster(trial: Trial, out_dir: str | os.PathLike, *, seed: int = 0) -> Path:
    """Write the roster after `trial`'s change (the rest of the roster as it was) to
    `out_dir`; its scenario is `trial.problem.scenario`."""
    started = time.monotonic()
    problem, solution = trial.problem, trial.solution
    candidates = candidate_pairs(problem)
    options = visit_options(problem, candidates)
    evaluation = evaluate(problem, solution)
    unmet = unmet_needs(problem, solution, candidates, options)
    roster = build_roster(problem, solution, evaluation, unmet, status="feasible", bound=None,
                          seconds=time.monotonic() - started + trial.seconds, seed=seed,
                          workers=1, candidate_count=len(candidates))
    return write_folder(out_dir, roster_files(roster))
