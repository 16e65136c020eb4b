"""The scorecard page as HTML: a filter form, then each chart with its table and a CSV link."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from html import escape
from urllib.parse import urlencode

from sinks.scorecard import GROUPINGS
from streams.desk.scorecard import Report
from streams.desk.scorecard_tables import Cell, Table, hours
from streams.logic.periods import PERIODS
from streams.web import charts

Translate = Callable[[str], str]
ZONES = ("Asia/Tokyo", "UTC", "America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London")


def _cell(value: Cell, t: Translate, first: bool) -> str:
    if value is None or value == "":
        return "–"
    return escape(t(str(value)) if first or value in ("yes", "no") else str(value))


def table_html(table: Table, t: Translate, query: Mapping[str, str]) -> str:
    """A table with translated headers, its total row marked, and its CSV download link."""
    head = "".join(f'<th scope="col">{escape(t(c))}</th>' for c in table.columns)
    rows = []
    for row in table.rows:
        cls = ' class="total"' if row and row[0] == "total" else ""
        cells = []
        for i, v in enumerate(row):
            mark = ' class="met"' if v == "yes" else ' class="unmet"' if v == "no" else ""
            cells.append(f"<td{mark}>{_cell(v, t, i == 0)}</td>")
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    csv = f"/reports/{table.name}.csv?{escape(urlencode(dict(query)))}"
    return (
        f'<div class="scroll"><table><caption class="note">{escape(t(table.title))}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f'<p><a class="csv" href="{csv}" download>{escape(t("Download CSV"))}</a></p>'
    )


def _select(name: str, label: str, options: Sequence[tuple[str, str]], chosen: str) -> str:
    opts = "".join(
        f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(text)}</option>'
        for v, text in options
    )
    return f'<label>{escape(label)}<select name="{name}">{opts}</select></label>'


def _date(name: str, label: str, query: Mapping[str, str]) -> str:
    value = escape(query.get(name, ""))
    return f'<label>{escape(label)}<input type="date" name="{name}" value="{value}"></label>'


def filters(t: Translate, query: Mapping[str, str], *, manager: bool) -> str:
    """The GET form that chooses period, grouping, dates, zone, language and (for managers) a rep."""
    parts = [
        _select("period", t("Period"), [(p, t(p)) for p in PERIODS], query.get("period", "this-month")),
        _date("from", t("From"), query),
        _date("to", t("To"), query),
        _select("by", t("Group by"), [(g, t(g)) for g in GROUPINGS], query.get("by", "source")),
        _select("tz", t("Times in"), [(z, z) for z in ZONES], query.get("tz", ZONES[0])),
        _select("lang", t("Language"), [("ja", "日本語"), ("en", "English")], query.get("lang", "ja")),
    ]
    if manager:
        rep = escape(query.get("rep", ""))
        parts.append(f'<label>{escape(t("rep"))}<input type="text" name="rep" value="{rep}"></label>')
    parts.append(f'<button type="submit">{escape(t("Show"))}</button>')
    return f'<form class="filters" method="get" action="/reports">{"".join(parts)}</form>'


def _section(title: str, chart: str, table: str) -> str:
    pair = f'<div class="pair"><div>{chart}</div><div>{table}</div></div>'
    return f"<section><h2>{escape(title)}</h2>{pair}</section>"


def page(report: Report, tables: Mapping[str, Table], t: Translate, query: Mapping[str, str], *, lang: str,
         manager: bool, rep: str | None) -> str:  # fmt: skip
    """The whole page."""
    card = report.card
    shown = {k: v for k, v in query.items() if k in ("period", "from", "to", "by", "tz", "lang", "rep")}
    last_day = (card.end.astimezone(report.tz) - timedelta(days=1)).date()
    period = f"{card.start.astimezone(report.tz):%Y-%m-%d} – {last_day} ({report.tz.key})"
    groups = card.groups[:10]
    labels = [t(g.key) for g in groups]
    mk_chart = charts.bars(
        t("Handed off and accepted per group"),
        labels,
        [(t("Handed off"), [g.handed_off for g in groups]), (t("Accepted"), [g.accepted for g in groups])],
    )
    dist = card.total.distribution()
    dist_chart = charts.columns(t("Leads by time to first touch"), [t(k) for k in dist], list(dist.values()))
    weeks = [w.start.strftime("%m/%d") for w in card.weeks]
    trend_chart = charts.line(
        t("Share of accepted leads, per week"),
        weeks,
        [w.numbers.accepted_pct for w in card.weeks],
        target=next((p.goal for p in report.progress if p.target == "Acceptance rate"), None),
    ) + charts.columns(t("Handed off per week"), weeks, [w.numbers.handed_off for w in card.weeks])
    goals = [p for p in report.progress if p.actual is not None]
    target_chart = charts.bars(
        t("Targets"),
        [t(p.target) + (f" {p.subject}" if p.subject else "") for p in goals],
        [(t("% of goal"), [min(p.pct_of_goal or 0, 200) for p in goals])],
        legend=False,
    )
    total = card.total
    median = hours(total.median_touch_s)
    figures = [
        (t("Submissions"), total.submissions),
        (t("Handed off"), total.handed_off),
        (t("Accepted %"), total.accepted_pct),
        (t("Median first touch (h)"), median),
    ]
    summary = " · ".join(f"{escape(name)} {'–' if v is None else v}" for name, v in figures)
    summary = f'<p class="note">{summary}</p>'
    mine = (
        f'<p class="note">{escape(t("Your numbers only"))}: {escape(rep)}</p>' if rep and not manager else ""
    )
    body = "".join(
        [
            _section(t("Targets"), target_chart, table_html(tables["targets"], t, shown)),
            _section(t("Marketing: leads delivered"), mk_chart, table_html(tables["marketing"], t, shown)),
            _section(t("Sales: speed and outcome"), dist_chart, table_html(tables["sales"], t, shown)
                     + table_html(tables["distribution"], t, shown)),
            _section(t("Weekly trend"), trend_chart, table_html(tables["trend"], t, shown)),
            f'<section><h2>{escape(t("Falling acceptance"))}</h2>'
            + (table_html(tables["falling"], t, shown) if card.falling else
               f'<p class="note">{escape(t("No group is falling"))}</p>') + "</section>",
        ]
    )  # fmt: skip
    title = t("Scorecard")
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/assets/reports.css"></head><body>'
        f"<header><h1>{escape(title)}</h1>{filters(t, query, manager=manager)}"
        f'<p class="note">{escape(t("Period"))}: {escape(period)}</p>{mine}{summary}</header>'
        f"<main>{body}</main></body></html>"
    )
