"""Unmet reasons sorted into a few kinds: the solve summary counts them, and two rosters are
compared kind by kind.

A reason in unmet.csv is a sentence with counts and ids ("1 of 2 visits not scheduled: the
3 eligible volunteers are taken: V000012 4.0/4.0 h, ..."); the kind is read from the fixed
words of each sentence the roster writer uses. A row may give two reasons, one for missing
visits and one for a short team, and then counts under both kinds. A sentence none of the
known words match keeps its own words (counts and ids masked) as its kind, so a new
wording shows up as itself rather than vanishing into "other".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# The team reason is appended after "; ". Window lists and other clauses inside a reason
# use "; " too, so the split is made only where the team sentence starts.
_TEAM_PART = re.compile(r";\s*(?=team has \d+ of \d+ members)")

# (words in the reason, kind), first match wins; most specific first.
_KINDS: tuple[tuple[str, str], ...] = (
    ("no volunteer lives within reach", "nobody within reach"),
    ("there are no volunteers", "nobody within reach"),
    ("valid safeguarding check", "no valid safeguarding check within reach"),
    ("every volunteer within reach is excluded", "everyone within reach excluded"),
    ("meets the required gender", "required gender not within reach"),
    ("speaks a required language", "required language not within reach"),
    ("meets the hard rules", "nobody within reach meets the hard rules"),
    ("no volunteer within reach has skill", "skill missing within reach"),
    ("is free for", "nobody free during the windows"),
    ("free on only", "too few distinct days free"),
    ("volunteers together but only", "too few volunteers for a joint visit"),
    ("one-to-one care", "their one volunteer cannot do this need"),
    ("cannot do this need", "full team cannot do this need"),
    ("other eligible volunteers", "team short: other eligible volunteers busy or full"),
    ("volunteers are taken", "eligible volunteers taken"),
    ("volunteer is taken", "eligible volunteers taken"),
    ("volunteers are eligible", "team short: too few eligible"),
    ("volunteer is eligible", "team short: too few eligible"),
)
KNOWN_KINDS = frozenset(kind for _, kind in _KINDS)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def reason_kinds(reason: str) -> tuple[str, ...]:
    """The kinds of one unmet row's reason, visits first, then the team (if either)."""
    return tuple(_kind(part) for part in _TEAM_PART.split(reason.strip(), maxsplit=1)
                 if part.strip())


def kind_counts(reasons: Iterable[str]) -> Counter:
    """Rows of unmet.csv by kind: each row counts once under each kind its reason gives."""
    return Counter(kind for reason in reasons for kind in reason_kinds(reason))


def _kind(part: str) -> str:
    # The head ("1 of 2 visits not scheduled: " / "team has 1 of 2 members: ") says only
    # what is missing; the kind is in the words after it.
    _, _, body = part.partition(": ")
    body = body or part
    for words, kind in _KINDS:
        if words in body:
            return kind
    clause = re.split(r"[:;(]", body, maxsplit=1)[0].strip()
    return _NUMBER.sub("N", clause) or "unknown"
