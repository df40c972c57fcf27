"""Step budgets: a part's time shared out as counted steps, and the time estimates they rest on.

Budgets are counted in steps, not seconds, so that the same inputs give the same roster.
Each part's budget is its share of the configured limit by size; the work not counted in
steps (candidate pairs and visit options, the greedy passes, the candidate teams and a large
part's alone bound) is estimated from the counts, never measured, and the steps fill what
that estimate leaves, less a margin. The time the bounds take is estimated here too, so
that it can be kept off a part's clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from matcher.solvers.cpsat import WORK_PER_SECOND
from matcher.solvers.teams import BLOCK, BLOCK_WORK

CONTESTED_BOUND_PAIRS = 50_000  # candidate pairs up to which the linear bound is built
INTEGER_BOUND_PAIRS = 10_000  # ... and up to which it is solved with whole pairs
INTEGER_BOUND_SECONDS = 5.0
BOUND_SHARE = 0.1  # of a part's time, kept for its contested bound
# The alone bound's cost, kept from a large part's time; most of it is the teams' (city
# preset, 2.04 M pairs, one core: 3.4-4.2 s for the one-to-one residents and 7.3-9.2 s for
# the teams over several runs, 5.2-6.6e-6 s per pair). Counting fairness made it about a
# fifth dearer (on a faster machine, 3.7 s became 4.5 s), and the visit caps another
# second for the one-to-one residents (1.4-1.6 s became 2.4-2.8 s, faster machine); the
# margins of the other estimates, which overstate their work, absorb that.
ALONE_BOUND_SECONDS_PER_PAIR = 5.5e-6
PRICED_STEPS = 100  # subgradient steps of the priced bound of a part above the contested size
# Where the time left beside a city's repairs holds fewer steps, this share of it is given
# to as many as fit, if at least the least (30,000 residents at 90 s, with the machine
# loaded: the steps did not fit, and the alone bound left a gap of 18.3 % against 14.7 %).
SHORT_BOUND_SHARE, LEAST_PRICED_STEPS = 0.8, 10
PRICED_SECONDS_PER_PAIR_STEP = 4e-8  # district preset: 0.55 s for 100 steps (222,277 pairs)
# Pricing the teams once at the end, per candidate pair of a resident with a team (one
# core: city preset 5.0-6.2 s for 498,382 pairs, district 0.5 s for 54,177; the rest is
# margin for a slower machine).
TEAM_PRICING_SECONDS_PER_PAIR = 1.4e-5
# Repairs (residents re-solved alone, see `search`) take this share of a part's counted
# steps, out of the search's, at a nominal cost each (about 0.03 s on a district or a city,
# now that a step sees only the roster around it). Generated districts, seeds 1-3: 692,852 /
# 655,279 / 714,310 against 705,823 / 671,102 / 717,304 for the search alone, in about the
# same time (0.25 of the steps: within 10 of those, up to 3.6 s slower). On the city, where
# the search's share goes to blocks, repairs in place of blocks came out even (seed 1:
# 13,516,410 with 0.05 of the steps, 13,529,265 with 0.25, against 13,518,476), so only its
# two search steps' worth; and, with 2 workers, as many more as fit in the estimated time of
# its priced bound's steps, worked out meanwhile on another process.
REPAIR_SHARE, SECONDS_PER_REPAIR = 0.15, 0.08
# Shares of the counted steps' seconds, and the nominal cost of one step of each kind.
BLOCK_SHARE, SECONDS_PER_BLOCK = 0.45, 0.5  # team choice by blocks of residents
# Where the blocks' budget does not reach every block once (a city's), each block gets this
# share of its work and of its nominal cost, so twice as many blocks are re-chosen. City
# preset, seed 1: 140 blocks at half the work gave 14,384,082 against 14,449,453 for 70
# at the whole, 2 s later (the other half-work block costs less than its share). Where a
# pass does reach every block (a district), the whole work does better (bundled district
# 742,681 against 745,687 at half).
BROAD_BLOCK_SHARE = 0.5
SEARCH_SHARE, SECONDS_PER_ROUND = 0.25, 1.3  # neighbourhood search
SCHEDULE_SHARE = 0.2  # setting the visits of fixed teams, as CP-SAT work
# Work not counted in steps (candidate pairs and visit options, the greedy passes, the
# candidate teams and a large part's alone bound) is estimated from the counts, never
# measured, so the roster does not depend on the machine. The steps fill what it leaves of
# the budget, less a margin for the machine being slower than these figures.
PREPARE_SECONDS_PER_PAIR = 6e-6  # candidate pairs and visit options
GREEDY_SECONDS_PER_RESIDENT = 0.55e-3  # the first greedy pass
# Candidate teams, on one worker: 0.8 ms are measured on the city; the rest is margin, for
# with 1.0e-3 the one-worker city's larger block budget ran into the clock.
PLAN_SECONDS_PER_RESIDENT = 1.7e-3
FINISH_SECONDS_PER_RESIDENT = 0.15e-3  # the greedy pass of the chosen teams, and filling them
START_SECONDS_PER_RESIDENT = 0.15e-3  # the team choice's priced start (city: 2.0 s)
STEPS_MARGIN = 0.03  # of the budget
UNCOUNTED_MARGIN = 0.08  # of the uncounted work's estimate, which is the less certain
# Blocks on workers: each starts once the blocks before it that share a volunteer with it
# are done, so the workers stay busy, and w of them take this times 1/w of one block each.
# City preset, seed 1: 140 blocks took 12.5 s on 2 workers (17.7 s of solving in all, with
# the alone bound on them at first); solved in pairs, each pair waiting for its slower
# block, they took 14.7 s, and a pair was costed 1.2 blocks.
SIDE_BY_SIDE_COST = 1.0


@dataclass(frozen=True)
class Steps:
    blocks: int  # block models in the team choice
    schedule_work: float  # CP-SAT work for setting the visits of the chosen teams
    rounds: int  # neighbourhood search steps
    block_work: float = BLOCK_WORK  # CP-SAT work of one block model
    repairs: int = 0  # residents re-solved alone before the neighbourhood search
    repairs_beside: int = 0  # ... more of them, in the time of a bound worked out meanwhile


def steps_for(budget: float, residents: int, pairs: int, workers: int,
              alone_early: bool, beside_s: float = 0.0) -> Steps:
    """A part's step budgets for `budget` seconds: what the uncounted work's estimate and
    the margin leave, shared out, and never more than the budget itself; and repairs for
    `beside_s`, the estimated time of a bound worked out on another process meanwhile,
    unless the budget cannot even hold the least steps (the clock will then be short)."""
    uncounted = (PREPARE_SECONDS_PER_PAIR * pairs
                 + (FINISH_SECONDS_PER_RESIDENT + START_SECONDS_PER_RESIDENT) * residents
                 + (GREEDY_SECONDS_PER_RESIDENT + PLAN_SECONDS_PER_RESIDENT) * residents / workers)
    if alone_early:
        uncounted += ALONE_BOUND_SECONDS_PER_PAIR * pairs / workers
    shares = BLOCK_SHARE + SEARCH_SHARE + SCHEDULE_SHARE
    counted = max(0.0, min(budget, (budget * (1 - STEPS_MARGIN)
                                    - uncounted * (1 + UNCOUNTED_MARGIN)) / shares))
    block_cost = SECONDS_PER_BLOCK * (SIDE_BY_SIDE_COST / workers if workers > 1 else 1.0)
    blocks = int(BLOCK_SHARE * counted / block_cost)
    rounds = int(SEARCH_SHARE * counted / SECONDS_PER_ROUND)
    if blocks * BLOCK < residents:
        # Not even one pass of blocks: most residents would keep their first team. A block
        # re-chooses 48 teams at once where a search step re-solves 12 residents, so the
        # search's time goes to blocks (on the city preset: 0.1 % from 12 search steps),
        # and blocks are made cheaper so that more of them are re-chosen. Two search steps'
        # worth is kept for repairs of the residents most short (city preset, seed 1: the
        # two steps found nothing, 32 repairs 17,932 in 1.3 s).
        blocks = int((BLOCK_SHARE * counted + SEARCH_SHARE * counted
                      - 2 * SECONDS_PER_ROUND) / (BROAD_BLOCK_SHARE * block_cost))
        return Steps(max(4, blocks), SCHEDULE_SHARE * WORK_PER_SECOND * counted, 0,
                      BROAD_BLOCK_SHARE * BLOCK_WORK,
                      int(2 * SECONDS_PER_ROUND / SECONDS_PER_REPAIR),
                      _repairs_beside(beside_s, blocks))
    repairs = int(REPAIR_SHARE * counted / SECONDS_PER_REPAIR)
    rounds = int((SEARCH_SHARE - REPAIR_SHARE) * counted / SECONDS_PER_ROUND)
    return Steps(max(4, blocks), SCHEDULE_SHARE * WORK_PER_SECOND * counted, max(2, rounds),
                  BLOCK_WORK, repairs, _repairs_beside(beside_s, blocks))


def _repairs_beside(beside_s: float, blocks: int) -> int:
    """Repairs in `beside_s`, or none where the budget leaves fewer than the least blocks."""
    return int(beside_s / SECONDS_PER_REPAIR) if blocks >= 4 else 0


def bound_seconds(pairs: int, budget: float) -> float:
    """Time to keep out of a part's `budget` for the bound of its `pairs` candidate pairs."""
    if pairs > CONTESTED_BOUND_PAIRS:
        return ALONE_BOUND_SECONDS_PER_PAIR * pairs
    return min(INTEGER_BOUND_SECONDS, BOUND_SHARE * budget)


def kept_after_search(pairs: int, budget: float, alone_early: bool, team_pairs: int) -> float:
    """Seconds kept off a part's search clock (of `budget` seconds) for the bounds worked
    out after its search: the contested relaxation of a part up to that size, and the
    priced bound of a larger part in one process. The priced bound's time comes off the
    clock only, not off the step budget, so the roster is what it was without it. A part on
    the workers (a city) keeps none: its budgets fill the limit more tightly, and its
    priced bound runs only if time is left. A larger part's alone bound is worked out
    before the search, on its clock, whose step budget leaves room for it (kept off the
    clock as well, it left the one-worker city at 60 s a search clock that ended before
    its alone bound did, and a `time limit` 16 s early)."""
    if alone_early:
        return 0.0
    if pairs <= CONTESTED_BOUND_PAIRS:
        return bound_seconds(pairs, budget)
    return priced_seconds(pairs, team_pairs)


def priced_seconds(pairs: int, team_pairs: int = 0) -> float:
    """Time the priced (Lagrangian) bound of a part too large for the contested relaxation
    takes, with `team_pairs` its teams priced too: kept off the clock of a part solved in
    one process (a district), and what a part on the workers (a city) must have left after
    its search to run it."""
    if pairs <= CONTESTED_BOUND_PAIRS:
        return 0.0
    return (PRICED_SECONDS_PER_PAIR_STEP * PRICED_STEPS * pairs
            + TEAM_PRICING_SECONDS_PER_PAIR * team_pairs)


def priced_steps(left: float, seconds: float) -> int:
    """Subgradient steps of a priced bound estimated to take `seconds` for all of them,
    with `left` seconds to go: all if they fit, else as many as fit in a share of the time,
    or none if fewer than the least worth taking."""
    if seconds < left:
        return PRICED_STEPS
    steps = int(PRICED_STEPS * SHORT_BOUND_SHARE * left / seconds)
    return steps if steps >= LEAST_PRICED_STEPS else 0
