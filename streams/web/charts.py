"""Charts as SVG text, drawn on the server: pure functions of labels and numbers, no script.

Colours come from classes (the page's stylesheet), so a strict CSP holds; every chart
carries a title and description for screen readers, and its table stands beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 360  # drawn in a viewBox: the chart scales to its box, down to a 390 px phone


def _svg(title: str, height: float, body: str, desc: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _text(cls: str, x: float, y: float, content: str, anchor: str = "middle") -> str:
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(content)}</text>'


def _fmt(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _text_width(text: str) -> float:
    """Rough width at 10 px: wide (CJK) characters take a full em, others about half."""
    return sum(10 if ord(ch) > 0x2E7F else 6 for ch in text)


def _clip(label: str, room: float = 100) -> str:
    """The label, cut with an ellipsis where it would not fit ``room`` pixels."""
    if _text_width(label) <= room:
        return label
    while label and _text_width(label) > room - 10:
        label = label[:-1]
    return label + "…"


def bars(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, legend: bool = True
) -> str:
    """Horizontal bars, one row per label and one bar per series (``s0``, ``s1``… classes)."""
    row_h, bar_h, left, top = 10 + 12 * len(series), 10, 110, 22 if legend else 6
    height = top + row_h * max(len(labels), 1) + 4
    peak = max((v for _, values in series for v in values), default=0) or 1
    parts: list[str] = []
    if legend:
        x: float = left
        for k, (name, _) in enumerate(series):
            parts.append(f'<rect class="s{k}" x="{x}" y="4" width="10" height="10"/>')
            parts.append(f'<text class="legend" x="{x + 14}" y="13">{escape(name)}</text>')
            x += 26 + _text_width(name)
    for i, label in enumerate(labels):
        y = top + i * row_h
        parts.append(
            f'<text class="label" x="{left - 6}" y="{y + 12}" text-anchor="end">{escape(_clip(label))}</text>'
        )
        for k, (_, values) in enumerate(series):
            value = values[i]
            w = (WIDTH - left - 40) * value / peak
            by = y + 2 + k * (bar_h + 2)
            parts.append(f'<rect class="s{k}" x="{left}" y="{by}" width="{w:.1f}" height="{bar_h}"/>')
            parts.append(f'<text class="value" x="{left + w + 3:.1f}" y="{by + 9}">{_fmt(value)}</text>')
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{name} {_fmt(values[i])}" for name, values in series)
        for i, label in enumerate(labels)
    )
    return _svg(title, height, "".join(parts), desc)


def columns(title: str, labels: Sequence[str], values: Sequence[float]) -> str:
    """Vertical columns with their value on top and the label below."""
    height, base, top = 170, 140, 18
    slot = (WIDTH - 10) / max(len(labels), 1)
    peak = max(values, default=0) or 1
    parts: list[str] = [f'<line class="axis" x1="5" y1="{base}" x2="{WIDTH - 5}" y2="{base}"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = (base - top) * value / peak
        x, mid = 5 + i * slot, 5 + (i + 0.5) * slot
        parts += [
            f'<rect class="s0" x="{x + slot * 0.15:.1f}" y="{base - h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}"/>',
            _text("value", mid, base - h - 3, _fmt(value)),
            # Every other label when they would crowd each other.
            _text("tick", mid, base + 14, _clip(label, slot)) if len(labels) <= 8 or i % 2 == 0 else "",
        ]
    desc = "; ".join(f"{label}: {_fmt(v)}" for label, v in zip(labels, values, strict=True))
    return _svg(title, height, "".join(parts), desc)


def line(
    title: str, labels: Sequence[str], values: Sequence[float | None], *, target: float | None = None
) -> str:
    """A percent line (0–100) over the labels; gaps where there is no value; an optional target line."""
    height, base, top, left = 170, 140, 12, 30
    step = (WIDTH - left - 10) / max(len(labels) - 1, 1)

    def y(v: float) -> float:
        return base - (base - top) * v / 100

    parts: list[str] = []
    for tick in (0, 50, 100):
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y(tick):.1f}" x2="{WIDTH - 10}" y2="{y(tick):.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{left - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}%</text>'
        )
    if target is not None:
        parts.append(
            f'<line class="target" x1="{left}" y1="{y(target):.1f}" x2="{WIDTH - 10}" y2="{y(target):.1f}"/>'
        )
    run: list[str] = []
    for i, value in enumerate([*values, None]):
        if value is None:
            if len(run) > 1:
                parts.append(f'<polyline class="line" points="{" ".join(run)}"/>')
            run = []
            continue
        px, py = left + i * step, y(value)
        run.append(f"{px:.1f},{py:.1f}")
        parts.append(f'<circle class="dot" cx="{px:.1f}" cy="{py:.1f}" r="2.5"/>')
    every = max(1, len(labels) // 6)
    for i, label in enumerate(labels):
        if i % every == 0:
            x = left + i * step
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{base + 14}" text-anchor="middle">{escape(label)}</text>'
            )
    desc = "; ".join(
        f"{label}: {'-' if v is None else _fmt(v) + '%'}" for label, v in zip(labels, values, strict=True)
    )
    return _svg(title, height, "".join(parts), desc)
