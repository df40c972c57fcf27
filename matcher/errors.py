"""The one error type for user mistakes, carrying every problem found."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with the input, located as precisely as the input allows.

    Rendered like the format's example:
    `scenarios/x.yaml:41: resident R017: needs[0].windows[1]: 'Mon 25:00-26:00' is not ...`
    """

    file: str
    line: int | None
    entity: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [f"{self.file}:{self.line}" if self.line is not None else self.file]
        if self.entity:
            parts.append(self.entity)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class ScenarioError(Exception):
    """The input breaks the scenario format. `problems` lists everything found, in order."""

    def __init__(self, problems: list[InputProblem] | tuple[InputProblem, ...]):
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the input"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))
