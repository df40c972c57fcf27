"""A roster kept by resident and by volunteer, for a search that changes it piece by piece.

An exact model of a few residents needs, of the rest of the roster, only what their
volunteers already do: their pairs (places taken) and the visits they attend (hours, and
the times and places travel is measured from). On a city, building that rest as a whole
roster at every step (and merging each change back) cost most of a step; here a step
sees only the residents who share a volunteer with it, and the whole roster is built once,
at the end.
"""

from __future__ import annotations

from collections import defaultdict

from matcher.problem import Problem
from matcher.solution import Solution, Visit


class RosterIndex:
    def __init__(self, problem: Problem, solution: Solution):
        self._need_resident = problem.need_resident
        self._pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self._visits: dict[int, list[Visit]] = defaultdict(list)
        self._residents_of: dict[int, set[int]] = defaultdict(set)
        self._add(solution)

    def _add(self, solution: Solution) -> None:
        for pair in solution.pairs:
            self._pairs[pair[0]].append(pair)
            self._residents_of[pair[1]].add(pair[0])
        for visit in solution.visits:
            r = int(self._need_resident[visit.need])
            self._visits[r].append(visit)
            for v in visit.volunteers:
                # A visit's attendees are paired with its resident; counted here as well
                # so that the index never depends on it.
                self._residents_of[v].add(r)

    def piece(self, residents) -> Solution:
        """The pairs and visits of these residents."""
        return Solution(tuple(sorted(p for r in residents for p in self._pairs.get(r, ()))),
                        tuple(sorted(v for r in residents for v in self._visits.get(r, ()))))

    def around(self, volunteers, residents) -> Solution:
        """The pairs and visits of every other resident that any of these volunteers serves:
        all of the rest of the roster an exact model of `residents` over `volunteers` can
        see."""
        freed = set(residents)
        others = sorted({r for v in volunteers for r in self._residents_of.get(v, ())} - freed)
        return self.piece(others)

    def replace(self, residents, new: Solution) -> None:
        """These residents' pairs and visits become `new` (which holds only theirs)."""
        for r in residents:
            for _, v in self._pairs.pop(r, ()):
                self._residents_of[v].discard(r)
            for visit in self._visits.pop(r, ()):
                for v in visit.volunteers:
                    self._residents_of[v].discard(r)
        self._add(new)

    def team_of(self, r: int) -> set[int]:
        return {v for _, v in self._pairs.get(r, ())}

    def solution(self) -> Solution:
        return Solution.of([p for pairs in self._pairs.values() for p in pairs],
                           [v for visits in self._visits.values() for v in visits])
