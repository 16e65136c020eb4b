"""Local stand-ins for the SaaS targets: they check requests as each vendor documents them.

Each records what it stored by idempotency key, lists every request that broke the
vendor's rules in ``violations`` (a test asserts it stays empty), and answers like the
vendor: its success shape, 401, 429 with Retry-After, 5xx, per-record errors. ``forced``
queues whole answers to give next; ``refuse`` names values (emails, keys) to refuse for good.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter
from typing import Any

from aiohttp import web

WEBHOOK_SECRET = "whsec-test-0123456789"  # noqa: S105 - the stand-ins' test credentials
SF_CLIENT_ID, SF_CLIENT_SECRET = "3MVG9-test-client", "sf-secret-abcdef"
HUBSPOT_TOKEN = "pat-na1-test-token"  # noqa: S105
KINTONE_TOKEN = "kintone-api-token-test"  # noqa: S105
KINTONE_APP = 7
SLACK_PATH = "/services/T0001/B0001/abcdefghijklmnop"
TEAMS_PATH = "/workflows/teams-hook/triggers/manual/paths/invoke"


class StandIn:
    """One vendor's API on 127.0.0.1, with what it stored and what it found wrong."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.seen: Counter[str] = Counter()
        self.violations: list[str] = []
        self.forced: list[tuple[int, dict[str, str], str]] = []
        self.refuse: set[str] = set()
        self.requests = 0
        self.batch_sizes: list[int] = []
        self.app = web.Application()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0
        self.is_down = False
        self.app.middlewares.append(self._drop_when_down)

    @web.middleware
    async def _drop_when_down(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """A kept-alive connection of a target that went down is cut, not answered."""
        if self.is_down and request.transport is not None:
            request.transport.abort()
            raise ConnectionResetError("the stand-in is down")
        response: web.StreamResponse = await handler(request)
        return response

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen (on the same port again after ``down``)."""
        self.is_down = False
        if self._runner is None:
            self._runner = web.AppRunner(self.app)
            await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await self._site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def down(self) -> None:
        """Stop listening and drop open connections: the target is gone until ``start``."""
        assert self._site is not None
        self.is_down = True
        await self._site.stop()

    async def close(self) -> None:
        """Stop for good."""
        if self._runner is not None:
            await self._runner.cleanup()

    def violation(self, text: str) -> web.Response:
        """Note a broken rule; answer 400 as the vendor would."""
        self.violations.append(text)
        return web.json_response([{"message": text, "errorCode": "JSON_PARSER_ERROR"}], status=400)

    def take_forced(self) -> web.Response | None:
        """The next scripted answer, if any."""
        self.requests += 1
        if not self.forced:
            return None
        status, headers, body = self.forced.pop(0)
        return web.Response(status=status, headers=headers, text=body, content_type="application/json")


def verify_signature(secret: str, header: str, body: bytes, tolerance_s: int = 300) -> bool:
    """Check X-Handoff-Signature the way a receiver does (independent of Handoff's code)."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(parts["t"])) <= tolerance_s
    return fresh and hmac.compare_digest(expected, parts["v1"])


def webhook() -> StandIn:
    """A receiver of signed webhooks: checks headers and signature, stores by Idempotency-Key."""
    s = StandIn()

    async def receive(request: web.Request) -> web.Response:
        forced = s.take_forced()
        if forced is not None:
            return forced
        body = await request.read()
        if request.content_type != "application/json":
            return s.violation(f"content type {request.content_type}")
        if request.headers.get("X-Handoff-Event") not in ("handoff", "sla", "feedback"):
            return s.violation("X-Handoff-Event missing")
        key = request.headers.get("Idempotency-Key", "")
        if not key or not verify_signature(
            WEBHOOK_SECRET, request.headers.get("X-Handoff-Signature", ""), body
        ):
            return s.violation("bad signature or no key")
        event = json.loads(body)
        if key in s.refuse:
            return web.json_response({"error": "unknown queue"}, status=400)
        s.seen[key] += 1
        s.stored[key] = event
        return web.json_response({"received": True})

    s.app.router.add_post("/handoff", receive)
    return s


def slack() -> StandIn:
    """An incoming webhook: JSON with text and valid blocks; answers ``ok`` as text."""
    s = StandIn()

    async def post(request: web.Request) -> web.Response:
        forced = s.take_forced()
        if forced is not None:
            return forced
        msg = await request.json()
        if not isinstance(msg.get("text"), str) or not isinstance(msg.get("blocks"), list):
            return web.Response(status=400, text="invalid_payload")
        for block in msg["blocks"]:
            if block["type"] not in ("header", "section", "actions", "context", "divider"):
                return web.Response(status=400, text="invalid_blocks")
            if block["type"] == "section" and len(block.get("fields", [])) > 10:
                return web.Response(status=400, text="invalid_blocks")
            if block["type"] == "header" and len(block["text"]["text"]) > 150:
                return web.Response(status=400, text="invalid_blocks")
        s.seen[msg["text"]] += 1
        s.stored[msg["text"]] = msg
        return web.Response(text="ok", content_type="text/plain")

    s.app.router.add_post(SLACK_PATH, post)
    return s


def teams() -> StandIn:
    """A Workflows webhook: a message with an Adaptive Card attachment; answers 202."""
    s = StandIn()

    async def post(request: web.Request) -> web.Response:
        forced = s.take_forced()
        if forced is not None:
            return forced
        msg = await request.json()
        attachments = msg.get("attachments") or [{}]
        card = attachments[0].get("content", {})
        if (
            msg.get("type") != "message"
            or attachments[0].get("contentType") != "application/vnd.microsoft.card.adaptive"
            or card.get("type") != "AdaptiveCard"
            or "version" not in card
        ):
            return s.violation("not an Adaptive Card message")
        title = card["body"][0]["text"]
        s.seen[title] += 1
        s.stored[title] = card
        return web.Response(status=202)

    s.app.router.add_post(TEAMS_PATH, post)
    return s
