"""POST /api/erasure: another tool (a CRM, the marketing platform) erases a person here.

Only ``integration`` users and managers may; the answer names the person's anonymous id and
how many handoffs were erased, never the address itself.
"""

from __future__ import annotations

from aiohttp import web

from schemas.errors import BrokerError
from streams.core.settings import Settings
from streams.logic.normalise import InvalidEmail
from streams.web.identity import require_role
from streams.web.queue_api import desk_of, ensure_desk, in_thread


async def erase(request: web.Request) -> web.Response:
    """Erase the person with ``{"email": …}`` and announce it on the erasure topic."""
    require_role(request, "integration", "manager")
    try:
        body = await request.json()
    except ValueError:
        body = None
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str) or not email.strip():
        return web.json_response(
            {"error": "bad_request", "detail": 'send {"email": "…"} as JSON'}, status=400
        )
    try:
        result, event = await in_thread(request, desk_of(request).erase, email=email)
    except InvalidEmail:
        return web.json_response({"error": "invalid_email", "detail": "not an email address"}, status=422)
    except BrokerError:
        # The store is erased; the announcement can be sent again by repeating the request.
        return web.json_response(
            {"error": "broker_unavailable", "detail": "erased here, not yet announced; repeat the request"},
            status=503,
        )
    return web.json_response(
        {"lead_id": event.lead_id, "handoffs": result.queue_rows, "announced": True}, status=200
    )


def setup(app: web.Application, settings: Settings) -> None:
    """Add ``POST /api/erasure``."""
    ensure_desk(app, settings)
    app.router.add_post("/api/erasure", erase)
