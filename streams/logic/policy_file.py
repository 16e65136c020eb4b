"""Reading a policy file: YAML with the line of every key, every error located, a content version."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas.errors import PolicyError
from streams.logic.policy import Policy
from streams.logic.policy_checks import cross_check
from streams.logic.yamlmarks import YamlSyntaxError, line_of, load_with_lines

DEFAULT_POLICY = "default_policy.yaml"


def _content_hash(data: Any) -> str:
    canonical = json.dumps(_text_keys(data), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _text_keys(value: Any) -> Any:
    """Make every mapping key text, so keys of mixed types still sort (YAML allows `1000:`)."""
    if isinstance(value, dict):
        return {str(k): _text_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_keys(v) for v in value]
    return value


def _fmt(origin: str, line: int | None, loc: tuple[str | int, ...], msg: str) -> str:
    where = f"{origin}:{line}" if line else origin
    # One error per line: a key or message with a line break in it is shown escaped.
    text = f"{where}: {'.'.join(str(p) for p in loc) or '(top)'}: {msg}"
    return text.replace("\r", "\\r").replace("\n", "\\n")


def parse_policy(text: str, *, origin: str = "<policy>") -> Policy:
    """Validate policy YAML; the version is the name plus a hash of the content."""
    try:
        data, lines, duplicates = load_with_lines(text)
    except YamlSyntaxError as exc:
        raise PolicyError(_fmt(origin, exc.line, (), f"not valid YAML: {exc}")) from None
    if not isinstance(data, dict):
        raise PolicyError(f"{origin}:1: (top): expected a mapping at the top level")
    data.pop("version", None)
    problems: list[tuple[int | None, tuple[str | int, ...], str]] = [
        (line, path, "duplicate key (YAML would silently keep only the last one)")
        for path, line in duplicates
    ]
    problems += [(line_of(loc, lines), loc, msg) for loc, msg in cross_check(data)]
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems += [
            (line_of(e["loc"], lines), _visible(e["loc"], lines), e["msg"].removeprefix("Value error, "))
            for e in exc.errors(include_url=False)
        ]
    if problems:
        problems.sort(key=lambda p: p[0] or 0)
        raise PolicyError("\n".join(_fmt(origin, line, loc, msg) for line, loc, msg in problems))
    return policy.model_copy(update={"version": f"{policy.name}@{_content_hash(data)}"})


def _visible(loc: tuple[str | int, ...], lines: dict[tuple[str, ...], int]) -> tuple[str | int, ...]:
    """Drop the location steps that are not keys in the file (validator internals)."""
    path: tuple[str, ...] = ()
    shown: list[str | int] = []
    for step in loc:
        if (*path, str(step)) in lines:
            path = (*path, str(step))
            shown.append(step)
        elif step not in ("fields", "[key]") and not str(step).startswith(("function-", "[")):
            shown.append(step)
    return tuple(shown)


def load_policy(path: Path | None = None) -> Policy:
    """Load the policy from a file, or the default policy shipped in the package."""
    if path is None:
        text = resources.files("streams.data").joinpath(DEFAULT_POLICY).read_text("utf-8")
        return parse_policy(text, origin=DEFAULT_POLICY)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_policy(text, origin=str(path))
