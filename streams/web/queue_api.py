"""The sales queue as a JSON API on the desk: the same operations as `handoff queue`, for sales tools.

Who is acting is the signed-in identity (``Authorization: Bearer``, a session, or the SSO
proxy), never a field of the body: a ``rep`` sees and works their own leads and the
unassigned ones of their queues; a ``manager`` and an ``integration`` user see every queue.
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
from streams.desk.access import may_see, queues_of
from streams.desk.sales_desk import SalesDesk
from streams.web.identity import Identity, require_role

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


def visibility(desk: SalesDesk, who: Identity) -> tuple[str, list[str]] | None:
    """The row filter for a rep (their name and queues); None for roles that see every queue."""
    return (who.name, queues_of(desk.policy, who.name, who.role)) if who.role == "rep" else None


def _forbidden(detail: str) -> web.Response:
    return _error(403, "forbidden", detail)


def _int(request: web.Request, name: str, default: int, top: int) -> int:
    try:
        value = int(request.query.get(name, str(default)))
    except ValueError:
        raise web.HTTPUnprocessableEntity(
            text=f'{{"error": "bad_{name}", "detail": "{name} must be a number"}}',
            content_type="application/json",
        ) from None
    return max(0, min(value, top))


async def list_queue(request: web.Request) -> web.Response:
    """GET /api/queue?queue=&owner=&status=&limit=&offset=: a page of leads and the total."""
    who = require_role(request, "rep", "manager", "integration")
    desk, q = desk_of(request), request.query
    seen = visibility(desk, who)
    queue = q.get("queue") or None
    if seen is not None and queue is not None and queue not in seen[1]:
        return _forbidden(f"{who.name} is not on the roster of {queue}")
    filters: dict[str, Any] = {
        "queue": queue,
        "owner": q.get("owner") or None,
        "status": q.getall("status", []) or None,
        "visible_to": seen,
    }
    limit, offset = _int(request, "limit", 100, 1000), _int(request, "offset", 0, 10**9)
    items = await in_thread(request, desk.items, limit=limit, offset=offset, **filters)
    total = await in_thread(request, desk.count, **filters)
    return web.json_response({"items": items, "total": total, "offset": offset, "limit": limit})


async def _visible(request: web.Request, who: Identity, handoff_id: str) -> dict[str, Any] | web.Response:
    desk = desk_of(request)
    try:
        item = await in_thread(request, desk.item, handoff_id=handoff_id)
    except QueueError as exc:
        return queue_error(exc)
    if not may_see(desk.policy, who.name, who.role, item):
        return _forbidden(f"handoff {handoff_id} is not yours or in one of your queues")
    return item


async def get_handoff(request: web.Request) -> web.Response:
    """GET /api/handoffs/{handoff_id}."""
    who = require_role(request, "rep", "manager", "integration")
    item = await _visible(request, who, request.match_info["handoff_id"])
    return item if isinstance(item, web.Response) else web.json_response(item)


async def claim_next(request: web.Request) -> web.Response:
    """POST /api/queue/{queue}/next: the claimed lead, or null when none is waiting."""
    who = require_role(request, "rep", "manager")
    desk, queue = desk_of(request), request.match_info["queue"]
    if queue not in queues_of(desk.policy, who.name, who.role):
        return _forbidden(f"{who.name} is not on the roster of {queue}")
    done = await in_thread(request, desk.claim_next, queue=queue, rep=who.name)
    if done is None:
        return web.json_response({"item": None, "published": None})
    return web.json_response({"item": done.item, "published": done.published})


async def act(request: web.Request) -> web.Response:
    """POST /api/handoffs/{handoff_id}/{claim|accept|reject|contacted|won|lost} {"reason"}."""
    who = require_role(request, "rep", "manager", "integration")
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        return _error(404, "unknown_action", f"use one of {', '.join(ACTIONS)}")
    body = await _body(request)
    seen = await _visible(request, who, request.match_info["handoff_id"])
    if isinstance(seen, web.Response):
        return seen
    reason = body.get("reason")
    try:
        done = await in_thread(
            request,
            desk_of(request).act,
            handoff_id=request.match_info["handoff_id"],
            action=action,
            rep=who.name,
            reason=reason if isinstance(reason, str) else None,
        )
    except QueueError as exc:
        return queue_error(exc)
    return web.json_response({"item": done.item, "published": done.published})


async def assign(request: web.Request) -> web.Response:
    """POST /api/handoffs/{handoff_id}/assign {"owner": REP}: a manager moves a lead to a rep of its queue."""
    require_role(request, "manager")
    desk, owner = desk_of(request), (await _body(request)).get("owner")
    handoff_id = request.match_info["handoff_id"]
    try:
        item = await in_thread(request, desk.item, handoff_id=handoff_id)
        roster = desk.policy.queues.get(item["queue"])
        if not isinstance(owner, str) or roster is None or owner not in roster.reps:
            return _error(422, "bad_owner", f"owner must be a rep on the roster of {item['queue']}")
        moved = await in_thread(request, desk.reassign, handoff_id=handoff_id, owner=owner)
    except QueueError as exc:
        return queue_error(exc)
    return web.json_response({"item": moved})


async def reasons(request: web.Request) -> web.Response:
    """GET /api/reasons: the codes reject and lost accept."""
    require_role(request, "rep", "manager", "integration")
    settings = desk_of(request).settings
    return web.json_response(
        {"reject": list(settings.desk.reject_reasons), "lost": list(settings.desk.lost_reasons)}
    )


async def funnel(request: web.Request) -> web.Response:
    """GET /api/report/funnel?by=rule|form|source|campaign|queue (managers and tools)."""
    require_role(request, "manager", "integration")
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
    app.router.add_post("/api/handoffs/{handoff_id}/assign", assign)
    app.router.add_post("/api/handoffs/{handoff_id}/{action}", act)
    app.router.add_get("/api/reasons", reasons)
    app.router.add_get("/api/report/funnel", funnel)
