"""`handoff report scorecard`: the marketing–sales scorecard in the terminal, as JSON or as CSV."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import click

from sinks.preflight import require_store
from sinks.scorecard import GROUPINGS
from sinks.store import make_engine
from streams.cli.options import policy_at
from streams.core.settings import load_settings
from streams.desk.scorecard import build_report
from streams.desk.scorecard_tables import TABLES, Cell, Table, all_tables
from streams.logic.periods import PERIODS, resolve_period, viewer_zone
from streams.web.scorecard_csv import to_csv
from streams.web.scorecard_text import translate


def _cell(value: Cell) -> str:
    return "-" if value is None or value == "" else str(value)


def render_table(table: Table) -> str:
    """A table in fixed-width columns under its English title."""
    head = [translate("en", c) for c in table.columns]
    body = [[translate("en", _cell(v)) if i == 0 else _cell(v) for i, v in enumerate(r)] for r in table.rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = [translate("en", table.title), "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(line.rstrip() for line in lines)


@click.command("scorecard")
@click.option("--period", type=click.Choice(PERIODS), default="this-month", show_default=True)
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day of a custom period.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day of a custom period.")
@click.option("--by", type=click.Choice(GROUPINGS), default="source", show_default=True)
@click.option("--rep", help="Only the numbers of this rep.")
@click.option("--tz", "tz_name", help="Time zone of the period (default: the policy's default calendar).")
@click.option("--weeks", default=12, show_default=True, type=click.IntRange(0, 104), help="Weeks of trend.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "table", type=click.Choice(TABLES), help="Print this table as CSV (UTF-8 with BOM).")
def scorecard_cmd(
    period: str,
    first: datetime | None,
    last: datetime | None,
    by: str,
    rep: str | None,
    tz_name: str | None,
    weeks: int,
    as_json: bool,
    table: str | None,
) -> None:
    """Both sides' numbers for a period: marketing's leads, sales's speed and outcome, trend and targets."""
    if as_json and table:
        raise click.UsageError("choose one of --json and --csv")
    settings = load_settings()
    policy = policy_at(settings.policy.rules_file)
    tz = viewer_zone(tz_name, policy.default_calendar.timezone)
    day: tuple[date | None, date | None] = (first.date() if first else None, last.date() if last else None)
    start, end = resolve_period(period, now=datetime.now(UTC), tz=tz, first=day[0], last=day[1])
    require_store(settings.database.url)  # missing or unmigrated: one line with the fix, nothing created
    engine = make_engine(settings.database.url)
    try:
        report = build_report(
            engine=engine, policy=policy, start=start, end=end, by=by, tz=tz, rep=rep, weeks=weeks
        )
    finally:
        engine.dispose()
    tables = all_tables(report.card, report.progress)
    if as_json:
        out = report.card.as_dict() | {"targets": [p.as_dict() for p in report.progress], "tz": tz.key}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    elif table:
        click.echo(to_csv(tables[table], "en"), nl=False)
    else:
        click.echo(f"{start.date()} .. {end.date()} ({tz.key}), by {by}" + (f", rep {rep}" if rep else ""))
        click.echo("\n\n".join(render_table(t) for t in tables.values()))
