"""Cross-checks of a policy that single fields cannot make: unknown queues and reps, duplicates.

They work on the raw mapping, so their errors are reported together with field errors.
"""

from __future__ import annotations

from typing import Any

from streams.logic.conditions import FIELDS, PLACEHOLDER

Problem = tuple[tuple[str | int, ...], str]


def _items(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key)
    return [(i, x) for i, x in enumerate(value) if isinstance(x, dict)] if isinstance(value, list) else []


def cross_check(data: dict[str, Any]) -> list[Problem]:
    """Find what single fields cannot check (unknown queues and reps, duplicates), on the raw data."""
    errors: list[Problem] = []
    queues: dict[str, Any] = data["queues"] if isinstance(data.get("queues"), dict) else {}
    reps: dict[str, Any] = data["reps"] if isinstance(data.get("reps"), dict) else {}
    routing = _items(data, "routing")
    for i, route in routing:
        if route.get("queue") is None and not route.get("account_owner"):
            errors.append((("routing", i), "a routing line needs a queue (or account_owner: true)"))
        # Values of the wrong type are reported by field validation; only names are checked here.
        if isinstance(route.get("queue"), str) and route["queue"] not in queues:
            errors.append((("routing", i, "queue"), f"no queue {route['queue']!r} under 'queues'"))
    if routing:
        i, last = routing[-1]
        if last.get("when") is not None or last.get("queue") is None:
            errors.append(
                (("routing", i), "the last routing line must be a catch-all: a queue and no condition")
            )
    for name, queue in queues.items():
        names = queue.get("reps") if isinstance(queue, dict) else None
        for i, rep in enumerate(names if isinstance(names, list) else []):
            if isinstance(rep, str) and rep not in reps:
                errors.append((("queues", name, "reps", i), f"rep {rep!r} is not listed under 'reps'"))
    scorecard = data.get("scorecard")
    targets = scorecard.get("sql_per_month") if isinstance(scorecard, dict) else None
    for name in targets if isinstance(targets, dict) else {}:
        if name not in queues:
            errors.append((("scorecard", "sql_per_month", name), f"no queue {name!r} under 'queues'"))
    for section in ("disqualify", "rules", "stages", "routing"):
        seen: set[Any] = set()
        for i, item in _items(data, section):
            rule = item.get("rule")
            if isinstance(rule, str) and rule in seen:
                errors.append(((section, i, "rule"), f"duplicate rule name {rule!r}"))
            seen.add(rule if isinstance(rule, str) else None)
    for section in ("disqualify", "rules", "stages"):
        for i, item in _items(data, section):
            detail = item.get("detail")
            for name in PLACEHOLDER.findall(detail) if isinstance(detail, str) else []:
                if name not in FIELDS:
                    errors.append(((section, i, "detail"), f"unknown field {{{name}}} in the detail text"))
    for i, rule in _items(data, "rules"):
        per = rule.get("per")
        if isinstance(per, str) and per in FIELDS and FIELDS[per] not in ("int", "bool"):
            errors.append((("rules", i, "per"), f"per needs a count field; {per} is not one"))
    return errors
