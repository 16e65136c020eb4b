"""``POST /api/feedback``: what reps did in their CRM, back into the funnel.

An integration user's request (role ``integration``) posts Feedback JSON to
``/api/feedback``, or what its CRM sends to ``/api/feedback/salesforce|hubspot|kintone``,
mapped by the status names of the sinks file's ``feedback`` section. The event is
published to ``leads.feedback`` keyed by handoff id, as the desk's own actions are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web
from pydantic import ValidationError

from schemas import Feedback
from schemas.errors import HandoffError, IntakeError
from sinks.config import load_sinks_file
from sinks.crm_feedback import FeedbackMapping, feedback_from
from streams.core.settings import Settings
from streams.kafka.publish import EventPublisher
from streams.web.identity import require_role

Publish = Callable[[Feedback], None]
PUBLISH_KEY: web.AppKey[Publish] = web.AppKey("feedback_publish")
MAPPINGS_KEY: web.AppKey[dict[str, FeedbackMapping]] = web.AppKey("feedback_mappings")
MAX_BODY = 256 * 1024


def _error(status: int, code: str, detail: str) -> web.Response:
    return web.json_response({"error": code, "detail": detail}, status=status)


async def _publish(request: web.Request, event: Feedback) -> web.Response:
    publish = request.app[PUBLISH_KEY]
    try:
        await asyncio.get_running_loop().run_in_executor(None, publish, event)
    except HandoffError as exc:
        return _error(503, "not_published", f"the broker did not confirm; send again ({exc})")
    return web.json_response(
        {"handoff_id": event.handoff_id, "action": event.action.value, "published": True}, status=202
    )


async def post_feedback(request: web.Request) -> web.Response:
    """POST /api/feedback: a Feedback event as JSON."""
    require_role(request, "integration")
    body = await request.read()
    try:
        event = Feedback.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(s) for s in first["loc"]) or "body"
        return _error(422, "invalid", f"{where}: {first['msg']}")
    return await _publish(request, event)


async def post_crm_feedback(request: web.Request) -> web.Response:
    """POST /api/feedback/{source}: what a CRM's flow, workflow or webhook sends."""
    require_role(request, "integration")
    source = request.match_info["source"]
    mapping = request.app[MAPPINGS_KEY].get(source)
    if mapping is None:
        return _error(404, "no_mapping", f"no feedback mapping for {source!r} in the sinks file")
    try:
        payload = await request.json()
        event = feedback_from(payload, mapping)
    except ValueError:
        return _error(400, "not_json", "the body is not JSON")
    except (IntakeError, ValidationError) as exc:
        return _error(422, "invalid", str(exc).splitlines()[0])
    if event is None:
        return web.json_response({"ignored": "status not mapped to a feedback action"}, status=200)
    return await _publish(request, event)


def setup(app: web.Application, settings: Settings) -> None:
    """Add the feedback routes, publishing to ``leads.feedback``."""
    publisher = EventPublisher(settings)

    def publish(event: Feedback) -> None:
        publisher.send(settings.topics.feedback, [(event.handoff_id, event.model_dump_json().encode())])

    async def _close(_: web.Application) -> None:
        publisher.close()

    app.on_cleanup.append(_close)
    app[PUBLISH_KEY] = publish
    mappings: dict[str, FeedbackMapping] = {m.source: m for m in load_sinks_file(settings.sink.file).feedback}
    app[MAPPINGS_KEY] = mappings
    app.router.add_post("/api/feedback", post_feedback)
    app.router.add_post("/api/feedback/{source}", post_crm_feedback)
