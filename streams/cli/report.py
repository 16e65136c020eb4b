"""`handoff report`: what sales did with what marketing sent."""

from __future__ import annotations

import json
from typing import Any

import click

from streams.cli.options import JSON, open_desk
from streams.cli.scorecard import scorecard_cmd


@click.group("report")
def report() -> None:
    """Reports for marketing and sales."""


def render_funnel(rows: list[Any], by: str) -> str:
    """Funnel rows as a fixed-width table."""
    if not rows:
        return "no handoffs yet"
    lines = [
        f"{by.upper():<34}{'HANDED':>7}{'ACCEPT':>7}{'ACC%':>6}{'REJECT':>7}{'WON':>5}{'LOST':>5}"
        f"{'TOUCH(h)':>9}  TOP REJECT REASONS"
    ]
    for r in rows:
        rate = f"{100 * r.accepted / r.handed_off:.0f}" if r.handed_off else "-"
        touch = "-" if r.median_first_touch_s is None else f"{r.median_first_touch_s / 3600:.1f}"
        reasons = ", ".join(f"{k} {n}" for k, n in r.rejected_by_reason.most_common(3))
        lines.append(
            f"{r.key[:33]:<34}{r.handed_off:>7}{r.accepted:>7}{rate:>6}{r.rejected:>7}"
            f"{r.won:>5}{r.lost:>5}{touch:>9}  {reasons}"
        )
    return "\n".join(lines)


@report.command("funnel")
@click.option(
    "--by",
    default="rule",
    show_default=True,
    type=click.Choice(["rule", "form", "source", "campaign", "queue"]),
)
@JSON
def funnel_cmd(by: str, as_json: bool) -> None:
    """What sales did with the leads each rule, form, source, campaign or queue produced."""
    with open_desk() as desk:
        rows = desk.funnel(by)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
    else:
        click.echo(render_funnel(rows, by))


report.add_command(scorecard_cmd)
