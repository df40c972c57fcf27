"""YAML read safely into plain values that remember the line they came from.

PyYAML's `safe_load` drops line numbers, and the format promises messages that name the
line. So the text is composed into nodes with `yaml.SafeLoader` (no tags that run code, no
custom constructors) and each node becomes a plain value: mappings become `LocatedMap`,
sequences `LocatedList`, scalars the value `safe_load` would give. Duplicate keys, which
`safe_load` silently keeps the last of, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class LocatedMap(dict):
    """A dict with the 1-based line of the mapping and of each key."""

    line: int
    key_lines: dict[str, int]
    # The text of each plain scalar as written, so that `id: 007` stays "007" where a
    # string is expected, although YAML reads it as the number 7.
    raw: dict[str, str]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A list with the 1-based line of the sequence and of each item."""

    line: int
    item_lines: list[int]
    raw: list[str | None]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


@dataclass(frozen=True)
class YamlIssue:
    line: int | None
    message: str


def load_located(text: str) -> tuple[Any, list[YamlIssue]]:
    """Parse YAML text; returns the located value (or None) and the issues found."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        what = error.problem or error.context or "not valid YAML"
        return None, [YamlIssue(line, f"not valid YAML: {what}")]
    except yaml.YAMLError as error:
        return None, [YamlIssue(None, f"not valid YAML: {error}")]
    if node is None:
        return None, []
    issues: list[YamlIssue] = []
    constructor = yaml.SafeLoader("")
    try:
        value = _convert(node, constructor, issues)
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        return None, [YamlIssue(line, f"not valid YAML: {error.problem}")]
    return value, issues


_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in
                        ("str", "int", "float", "bool", "null", "timestamp", "map", "seq"))


def _convert(node: yaml.Node, constructor: yaml.SafeLoader, issues: list[YamlIssue]) -> Any:
    line = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        # Only plain data: no tags naming Python objects, sets or binary blobs.
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        issues.append(YamlIssue(line, f"not valid YAML here: tag '{tag}' is not allowed "
                                      "(plain values, lists and mappings only)"))
        return None
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)
        result = LocatedMap()
        result.line = line
        result.key_lines = {}
        result.raw = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, constructor, issues)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) or key is None:
                issues.append(YamlIssue(key_line, f"a mapping key must be a plain value, not {key!r}"))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                issues.append(YamlIssue(key_line, f"key '{key}' appears twice in one mapping"))
            result[key] = _convert(value_node, constructor, issues)
            result.key_lines[key] = key_line
            if isinstance(value_node, yaml.ScalarNode):
                result.raw[key] = value_node.value
        return result
    if isinstance(node, yaml.SequenceNode):
        result_list = LocatedList(_convert(item, constructor, issues) for item in node.value)
        result_list.line = line
        result_list.item_lines = [item.start_mark.line + 1 for item in node.value]
        result_list.raw = [
            item.value if isinstance(item, yaml.ScalarNode) else None for item in node.value
        ]
        return result_list
    try:
        return constructor.construct_object(node, deep=True)
    except ValueError:
        # A scalar that looks like a date but is none (2026-13-01): keep the text, so the
        # field's own check names it with what was expected.
        return node.value
