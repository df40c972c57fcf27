"""A roster in integer indices, as solvers produce it and the objective reads it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Visit:
    """One scheduled occurrence of need `need` on `day` (0 = Mon) from `start` (minutes)."""

    need: int
    day: int
    start: int
    volunteers: tuple[int, ...]


@dataclass(frozen=True)
class Solution:
    """Pairs (resident, volunteer) and visits. Both sorted, so equal rosters compare equal."""

    pairs: tuple[tuple[int, int], ...] = ()
    visits: tuple[Visit, ...] = ()

    @staticmethod
    def of(pairs, visits) -> Solution:
        return Solution(tuple(sorted(set(pairs))), tuple(sorted(visits)))

    def restricted_to(self, residents: set[int], need_resident) -> Solution:
        """The part of this roster that concerns the given residents."""
        return Solution(
            tuple(p for p in self.pairs if p[0] in residents),
            tuple(v for v in self.visits if int(need_resident[v.need]) in residents),
        )

    def without(self, residents: set[int], need_resident) -> Solution:
        """This roster with the given residents' pairs and visits removed."""
        return Solution(
            tuple(p for p in self.pairs if p[0] not in residents),
            tuple(v for v in self.visits if int(need_resident[v.need]) not in residents),
        )

    def merged(self, other: Solution) -> Solution:
        return Solution.of(self.pairs + other.pairs, self.visits + other.visits)
