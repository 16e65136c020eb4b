"""One aligned plain-text table of lag rows, with a line totalling each group."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar


class _Grouped(Protocol):
    @property
    def group(self) -> str: ...


Row = TypeVar("Row", bound=_Grouped)
EMPTY = "no committed consumer-group offsets"


def render_grouped(
    rows: Sequence[Row],
    header: tuple[str, ...],
    numeric: tuple[bool, ...],
    cells: Callable[[Row], tuple[str, ...]],
    total: Callable[[str, list[Row]], tuple[str, ...]],
) -> str:
    """Rows in their given order, each group followed by its total line; names left, numbers right."""
    if not rows:
        return EMPTY
    lines: list[tuple[str, ...]] = [header]
    for index, row in enumerate(rows):
        lines.append(cells(row))
        if index + 1 == len(rows) or rows[index + 1].group != row.group:
            lines.append(total(row.group, [r for r in rows if r.group == row.group]))
    widths = [max(len(line[col]) for line in lines) for col in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.rjust(width) if is_num else cell.ljust(width)
            for cell, width, is_num in zip(line, widths, numeric, strict=True)
        ).rstrip()
        for line in lines
    )
