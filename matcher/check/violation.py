"""One broken rule, and the plain-text report a coordinator reads."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The short title printed after the rule code, taken from section 5 of the format.
RULE_TITLES: dict[str, str] = {
    "H1": "distance",
    "H2": "team",
    "H3": "visits",
    "H4": "skills",
    "H5": "clash",
    "H6": "hours",
    "H7": "load",
    "H8": "wishes",
    "H9": "ids",
    "H10": "safeguarding",
}

# Output-contract problems come first: a broken file explains why later checks were skipped.
RULE_ORDER: tuple[str, ...] = ("OUTPUT", *RULE_TITLES)


@dataclass(frozen=True)
class Violation:
    """A hard rule (`H1`..`H10`) or the output contract (`OUTPUT`) broken, in plain words."""

    rule: str
    message: str


def rule_violation(rule: str, text: str) -> Violation:
    """A violation of a hard rule, its message starting like `H1 distance: `."""
    return Violation(rule, f"{rule} {RULE_TITLES[rule]}: {text}")


def output_violation(where: str, text: str) -> Violation:
    """A violation of the output contract; `where` names the file and, if known, the row."""
    return Violation("OUTPUT", f"OUTPUT {where}: {text}")


def sort_violations(violations: list[Violation]) -> list[Violation]:
    """Rule order first, then the message read naturally (row 9 before row 10, R3 before R12)."""
    return sorted(violations, key=lambda v: (_rule_rank(v.rule), _natural(v.message)))


def format_report(violations: list[Violation]) -> str:
    """Every violation on its own line, then a one-line verdict."""
    lines = [violation.message for violation in violations]
    if not violations:
        lines.append("valid: the roster keeps every hard rule (H1-H10) and the output contract")
    else:
        rules = sorted({v.rule for v in violations}, key=_rule_rank)
        count = len(violations)
        lines.append(f"invalid: {count} violation{'s' if count != 1 else ''} ({', '.join(rules)})")
    return "\n".join(lines) + "\n"


def _rule_rank(rule: str) -> int:
    return RULE_ORDER.index(rule) if rule in RULE_ORDER else len(RULE_ORDER)


def _natural(text: str) -> tuple:
    # re.split with a capturing group alternates text and digits, so positions always hold
    # the same type in any two keys and the tuples compare without a TypeError.
    parts = re.split(r"(\d+)", text)
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts))
