"""The sales queue as a JSON API: the same operations as `handoff queue`, for sales tools.

Who is acting comes from the ``rep`` field (or the ``X-Handoff-Rep`` header set by
an authenticating proxy); this service does no authentication of its own.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from schemas import FeedbackAction
from sinks.transitions import BadReason, InvalidTransition, NotFound, NotYours, QueueError
from streams.core.settings import Settings
from streams.desk.sales_desk import SalesDesk

DESK_KEY = web.AppKey("sales_desk", SalesDesk)
T = TypeVar("T")

ACTIONS = {
    "claim": FeedbackAction.CLAIMED,
    "accept": FeedbackAction.ACCEPTED,
    "reject": FeedbackAction.REJECTED,
    "contacted": FeedbackAction.CONTACTED,
    "won": FeedbackAction.WON,
    "lost": FeedbackAction.LOST,
}
_STATUS = {NotFound: 404, NotYours: 403, InvalidTransition: 409, BadReason: 422}


async def in_thread(request: web.Request, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a blocking desk call (database, broker) off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, **kwargs))


def desk_of(request: web.Request) -> SalesDesk:
    """The app's sales desk."""
    return request.app[DESK_KEY]


def _error(status: int, code: str, detail: str) -> web.Response:
    return web.json_response({"error": code, "detail": detail}, status=status)


def queue_error(exc: QueueError) -> web.Response:
    """A refused operation as a JSON error with a fitting status."""
    status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 409)
    return _error(status, type(exc).__name__, str(exc))


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(
            text='{"error": "bad_json", "detail": "body is not JSON"}', content_type="application/json"
        ) from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text='{"error": "bad_json", "detail": "expected a JSON object"}', content_type="application/json"
        )
    return body


def _rep(request: web.Request, body: dict[str, Any]) -> str:
    rep = request.headers.get("X-Handoff-Rep") or body.get("rep")
    if not isinstance(rep, str) or not rep.strip():
        raise web.HTTPUnprocessableEntity(
            text='{"error": "rep_required", "detail": "say who is acting: rep or X-Handoff-Rep"}',
            content_type="application/json",
        )
    return rep.strip()


async def list_queue(request: web.Request) -> web.Response:
    """GET /api/queue?queue=&owner=&status=&limit=."""
    q = request.query
    try:
        limit = min(int(q.get("limit", "100")), 1000)
    except ValueError:
        return _error(422, "bad_limit", "limit must be a number")
    items = await in_thread(
        request,
        desk_of(request).items,
        queue=q.get("queue") or None,
        owner=q.get("owner") or None,
        status=q.getall("status", []) or None,
        limit=limit,
    )
    return web.json_response({"items": items})


async def get_handoff(request: web.Request) -> web.Response:
    """GET /api/handoffs/{handoff_id}."""
    try:
        item = await in_thread(request, desk_of(request).item, handoff_id=request.match_info["handoff_id"])
    except QueueError as exc:
        return queue_error(exc)
    return web.json_response(item)


async def claim_next(request: web.Request) -> web.Response:
    """POST /api/queue/{queue}/next {"rep": ...}: the claimed lead, or null when none is waiting."""
    rep = _rep(request, await _body(request))
    done = await in_thread(request, desk_of(request).claim_next, queue=request.match_info["queue"], rep=rep)
    if done is None:
        return web.json_response({"item": None, "published": None})
    return web.json_response({"item": done.item, "published": done.published})


async def act(request: web.Request) -> web.Response:
    """POST /api/handoffs/{handoff_id}/{claim|accept|reject|contacted|won|lost} {"rep", "reason"}."""
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        return _error(404, "unknown_action", f"use one of {', '.join(ACTIONS)}")
    body = await _body(request)
    rep = _rep(request, body)
    reason = body.get("reason")
    try:
        done = await in_thread(
            request,
            desk_of(request).act,
            handoff_id=request.match_info["handoff_id"],
            action=action,
            rep=rep,
            reason=reason if isinstance(reason, str) else None,
        )
    except QueueError as exc:
        return queue_error(exc)
    return web.json_response({"item": done.item, "published": done.published})


async def reasons(request: web.Request) -> web.Response:
    """GET /api/reasons: the codes reject and lost accept."""
    settings = desk_of(request).settings
    return web.json_response(
        {"reject": list(settings.desk.reject_reasons), "lost": list(settings.desk.lost_reasons)}
    )


async def funnel(request: web.Request) -> web.Response:
    """GET /api/report/funnel?by=rule|form|source|campaign|queue."""
    by = request.query.get("by", "rule")
    try:
        rows = await in_thread(request, desk_of(request).funnel, by=by)
    except ValueError as exc:
        return _error(422, "bad_dimension", str(exc))
    return web.json_response({"by": by, "rows": [r.as_dict() for r in rows]})


def ensure_desk(app: web.Application, settings: Settings) -> None:
    """Give the app one sales desk (shared by the API and the pages), closed on cleanup."""
    if DESK_KEY in app:
        return
    app[DESK_KEY] = SalesDesk(settings)

    async def _close(app: web.Application) -> None:
        await asyncio.get_running_loop().run_in_executor(None, app[DESK_KEY].close)

    app.on_cleanup.append(_close)


def setup(app: web.Application, settings: Settings) -> None:
    """Add the queue API."""
    ensure_desk(app, settings)
    app.router.add_get("/api/queue", list_queue)
    app.router.add_post("/api/queue/{queue}/next", claim_next)
    app.router.add_get("/api/handoffs/{handoff_id}", get_handoff)
    app.router.add_post("/api/handoffs/{handoff_id}/{action}", act)
    app.router.add_get("/api/reasons", reasons)
    app.router.add_get("/api/report/funnel", funnel)
