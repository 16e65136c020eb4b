"""`/reports` on the desk: the marketing–sales scorecard for managers, and each rep's own numbers.

``setup(app, settings)`` adds the page, one CSV download per table and the page's stylesheet.
The desk's sign-in sets the identity; a rep's view is always narrowed to that rep.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Engine

from schemas.errors import DeskError, HandoffError
from sinks.scorecard import GROUPINGS
from sinks.store import make_engine
from streams.core.settings import Settings
from streams.desk.scorecard import Report, build_report
from streams.desk.scorecard_tables import TABLES, all_tables
from streams.logic.periods import PERIODS, resolve_period, viewer_zone
from streams.logic.policy import Policy
from streams.logic.policy_file import load_policy
from streams.web.i18n import LANG_COOKIE
from streams.web.identity import require_role
from streams.web.reports_html import page
from streams.web.scorecard_csv import to_csv
from streams.web.scorecard_text import pick_language, translate

ENGINE = web.AppKey("reports_engine", Engine)
POLICY = web.AppKey("reports_policy", Policy)


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DeskError(f"{name}: {value!r} is not a date; use YYYY-MM-DD") from None


def _choice(value: str | None, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


async def _report(request: web.Request) -> tuple[Report, dict[str, str], str, bool, str | None]:
    """Read the query, apply the viewer's role, and compute the report off the event loop."""
    who = require_role(request, "manager", "rep")
    policy = request.app[POLICY]
    query = dict(request.query)
    manager = who.role == "manager"
    # A rep sees only their own numbers, whatever the query asks for.
    rep = (query.get("rep") or None) if manager else who.name
    query["rep"] = rep or ""
    query["period"] = _choice(query.get("period"), PERIODS, "this-month")
    query["by"] = _choice(query.get("by"), GROUPINGS, "source")
    lang = pick_language(
        query.get("lang"), request.headers.get("Accept-Language"), request.cookies.get(LANG_COOKIE)
    )
    query["lang"] = lang
    tz = viewer_zone(query.get("tz"), policy.default_calendar.timezone)
    query["tz"] = tz.key
    try:
        first, last = _day(query.get("from"), "from"), _day(query.get("to"), "to")
        start, end = resolve_period(query["period"], now=datetime.now(UTC), tz=tz, first=first, last=last)
        call = functools.partial(
            build_report, engine=request.app[ENGINE], policy=policy, start=start, end=end, by=query["by"],
            tz=tz, rep=rep,
        )  # fmt: skip
        report = await asyncio.get_running_loop().run_in_executor(None, call)
    except HandoffError as exc:
        # The page's dates are its from/to fields, the command's --from/--to options.
        raise web.HTTPBadRequest(
            text=f"{str(exc).replace('--from', 'from').replace('--to', 'to')}\n"
        ) from None
    return report, query, lang, manager, rep


async def _page(request: web.Request) -> web.Response:
    report, query, lang, manager, rep = await _report(request)
    tables = all_tables(report.card, report.progress)
    html = page(report, tables, lambda m: translate(lang, m), query, lang=lang, manager=manager, rep=rep)
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


async def _csv(request: web.Request) -> web.Response:
    name = request.match_info["table"]
    if name not in TABLES:
        raise web.HTTPNotFound(text=f"no table {name!r}: use one of {', '.join(TABLES)}\n")
    report, _query, lang, _manager, _rep = await _report(request)
    table = all_tables(report.card, report.progress)[name]
    filename = f"scorecard-{name}-{report.card.start.astimezone(report.tz):%Y%m%d}.csv"
    return web.Response(
        body=to_csv(table, lang).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def setup(app: web.Application, settings: Settings) -> None:
    """Add ``GET /reports`` and ``GET /reports/{table}.csv`` (the stylesheet is a desk asset)."""
    app[POLICY] = load_policy(settings.policy.rules_file)
    app[ENGINE] = make_engine(settings.database.url)

    async def _dispose(app: web.Application) -> Any:
        app[ENGINE].dispose()

    app.on_cleanup.append(_dispose)
    app.router.add_get("/reports", _page)
    app.router.add_get("/reports/{table}.csv", _csv)
