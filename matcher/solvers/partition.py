"""Independent parts of the candidate graph, and which of them are joined for the workers.

Residents who share no candidate volunteer, directly or through others, can be solved
apart: the candidate graph splits into independent parts (connected components), and
residents with no candidate at all are parts of their own. With several workers, parts
that together reach `PARALLEL_RESIDENTS` are joined into one (see `joined_for_workers`).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matcher.candidates import Candidates
from matcher.problem import Problem

SMALL_PART = 8  # residents: solved as one exact model
# A part this large on its own has its candidate teams found and its blocks chosen on the
# workers. Blocks of a smaller part (a district of 1,000) nearly all share volunteers, so
# they could not run side by side: there the workers changed the roster (objective within
# 0.7 % either way) without making it better.
PARALLEL_RESIDENTS = 2_000


def joined_for_workers(parts: list[list[int]]) -> list[list[int]]:
    """The parts of more than `SMALL_PART` residents joined into one (first, residents in
    order) where together they reach `PARALLEL_RESIDENTS`; the small ones, solved exactly,
    as they were.

    Side by side, each part has one worker and a share of the limit, and pays its fixed
    costs (its first models, its least steps) out of that share; joined, they share the
    workers step by step as one part of a city does. Measured at 90 s with 2 workers
    (objectives, side by side against joined, `benchmarks/solve_city.py`): a city of
    5,000 residents in 12 parts, 4,320,583 against 4,318,082 (51 s where side by side took
    58); the city preset's residents beside 300,000 volunteers, 33 parts, 8,451,776
    against 8,032,969; beside a registry of 1.47 million, 90 parts, 16,260,338 against
    6,578,219, where most parts
    side by side never began and kept the greedy roster. Below that size a joined part
    runs on one worker: a city of 1,000 residents in 14 parts is 798,403 side by side,
    805,244 joined."""
    large = [part for part in parts if len(part) > SMALL_PART]
    if len(large) < 2 or sum(len(part) for part in large) < PARALLEL_RESIDENTS:
        return parts
    return [sorted(r for part in large for r in part)] + [
        part for part in parts if len(part) <= SMALL_PART]


def independent_parts(problem: Problem, candidates: Candidates) -> list[list[int]]:
    """Residents grouped by connected component of the candidate graph, in input order.

    Components of the sparse resident-volunteer graph come from scipy: building a networkx
    graph of a city's two million candidate pairs took seconds by itself.
    """
    n = problem.n_residents + problem.n_volunteers
    graph = coo_matrix((np.ones(len(candidates), dtype=np.int8),
                        (candidates.resident, candidates.volunteer + problem.n_residents)),
                       shape=(n, n))
    _, label = connected_components(graph, directed=False)
    resident_label = label[:problem.n_residents]
    order = np.argsort(resident_label, kind="stable")
    bounds = np.flatnonzero(np.diff(resident_label[order])) + 1
    parts = [group.tolist() for group in np.split(order, bounds) if group.size]
    return sorted(parts, key=lambda part: part[0])
