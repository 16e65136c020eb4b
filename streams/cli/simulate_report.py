"""Plain-text and JSON reports of a policy simulation and of a shadow comparison."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from streams.logic.simulate import Change, Row, Summary

_BAR = 40


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: wide (CJK, full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(title: str, rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> list[str]:
    """Numbers right-aligned, text left-aligned, padded by display width so columns line up."""
    cells = [tuple(str(c) for c in r) for r in (header, *rows)]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(header))]
    numeric = [
        all(r[i].lstrip("-").isdigit() for r in cells[1:]) and len(cells) > 1 for i in range(len(header))
    ]

    def line(row: tuple[str, ...]) -> str:
        parts = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            last = i == len(row) - 1
            parts.append(pad + cell if numeric[i] else cell + ("" if last else pad))
        return "  " + "  ".join(parts)

    return [title, *(line(r) for r in cells), ""]


def render_summary(s: Summary, version: str) -> str:
    """Counts per outcome, queue/stage and owner, rule hits and a score histogram."""
    out = [f"policy {version}: {s.total} messages", ""]
    out += _table("outcomes", [(k, str(v)) for k, v in s.outcomes.most_common()], ("outcome", "leads"))
    out += _table(
        "queues", [(q, st, str(v)) for (q, st), v in sorted(s.queues.items())], ("queue", "stage", "leads")
    )
    out += _table(
        "owners", [(q, o, str(v)) for (q, o), v in sorted(s.owners.items())], ("queue", "owner", "leads")
    )
    out += _table(
        "rules",
        [(r, str(n), str(s.rule_points[r])) for r, n in s.rule_hits.most_common()],
        ("rule", "hits", "points"),
    )
    peak = max(s.histogram.values(), default=1)
    out.append("score histogram")
    for start in range(0, 100, 10):
        n = s.histogram.get(start, 0)
        label = f"{start:>3}-{start + 9 if start < 90 else 100:<3}"
        out.append(f"  {label} {n:>7}  {'#' * round(n / peak * _BAR)}")
    return "\n".join(out)


def _show(row: Row) -> str:
    if row.outcome != "handoff":
        return row.outcome
    return f"{row.queue}/{row.stage}/{row.owner or '-'}"


def render_diff(
    changes: Sequence[Change], total: int, before: str, after: str, *, limit: int, rotation: bool = False
) -> str:
    """Which leads would change queue, stage or owner, and why."""
    kinds: Counter[str] = Counter()
    for c in changes:
        b, a = c.before, c.after
        if b.outcome != a.outcome:
            kinds[f"outcome {b.outcome} -> {a.outcome}"] += 1
        if b.queue != a.queue and b.queue and a.queue:
            kinds[f"queue {b.queue} -> {a.queue}"] += 1
        if b.stage != a.stage and b.stage and a.stage:
            kinds[f"stage {b.stage} -> {a.stage}"] += 1
        if c.rotation_only:
            kinds["owner only (rotation shifted)"] += 1
        elif b.owner != a.owner and (b.outcome, b.queue, b.stage) == (a.outcome, a.queue, a.stage):
            kinds["owner only (score changed, same decision)"] += 1
    out = [
        f"shadow: {before} (current) vs {after} (candidate): {len(changes)} of {total} leads would change",
        "",
    ]
    out += _table("changes", [(k, str(v)) for k, v in kinds.most_common()], ("change", "leads"))
    listed = [c for c in changes if rotation or not c.rotation_only]
    shown = listed[:limit]
    out += _table(
        f"leads (first {len(shown)})",
        [(c.key, _show(c.before), _show(c.after), c.why) for c in shown],
        ("lead", "current", "candidate", "why"),
    )
    hidden = len(changes) - len(listed)
    if hidden:
        out.append(
            f"({hidden} leads whose only change is a rotation shift not listed; --show-rotation lists them)"
        )
    return "\n".join(out).rstrip()


def summary_json(s: Summary, version: str) -> dict[str, Any]:
    """The summary as JSON-ready data."""
    return {
        "rules_version": version,
        "total": s.total,
        "outcomes": dict(s.outcomes),
        "queues": [{"queue": q, "stage": st, "leads": n} for (q, st), n in sorted(s.queues.items())],
        "owners": [{"queue": q, "owner": o, "leads": n} for (q, o), n in sorted(s.owners.items())],
        "rules": {r: {"hits": n, "points": s.rule_points[r]} for r, n in s.rule_hits.most_common()},
        "histogram": {str(k): s.histogram.get(k, 0) for k in range(0, 100, 10)},
    }


def changes_json(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """The changed leads as JSON-ready data."""

    def side(row: Any) -> dict[str, Any]:
        return {
            "outcome": row.outcome,
            "queue": row.queue,
            "stage": row.stage,
            "owner": row.owner,
            "score": row.score,
        }

    return [
        {
            "lead": c.key,
            "current": side(c.before),
            "candidate": side(c.after),
            "why": c.why,
            "rotation_only": c.rotation_only,
        }
        for c in changes
    ]
