"""Load YAML and remember the line of every key and list item, for error messages."""

from __future__ import annotations

from typing import Any

import yaml

from schemas.errors import PolicyError

Path = tuple[str, ...]


class YamlSyntaxError(PolicyError):
    """The text is not valid YAML; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int], dups: list[tuple[Path, int]]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            child = (*path, str(key.value))
            if child[-1] in seen:
                # YAML silently keeps the last value; a policy must not hide a line that way.
                dups.append((child, key.start_mark.line + 1))
            seen.add(child[-1])
            lines.setdefault(child, key.start_mark.line + 1)
            _walk(value, child, lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, str(index))
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, dups)


def load_with_lines(text: str) -> tuple[Any, dict[Path, int], list[tuple[Path, int]]]:
    """Parse YAML; return the data, a map from key path to 1-based line, and duplicate keys."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(f"{exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None
    lines: dict[Path, int] = {}
    dups: list[tuple[Path, int]] = []
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _walk(node, (), lines, dups)
    return data, lines, dups


def line_of(loc: tuple[int | str, ...], lines: dict[Path, int]) -> int | None:
    """Return the line of the deepest known key on a pydantic error location."""
    # Validator-made steps ("fields", "function-after[...]") are not keys in the file: skip them.
    path: Path = ()
    for step in loc:
        if (*path, str(step)) in lines:
            path = (*path, str(step))
    return lines.get(path)
