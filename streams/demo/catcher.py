"""A local catcher for `handoff demo --catch`: it stands where Slack, Teams and a webhook receiver would.

It takes every POST, checks the webhook signature, and keeps what arrived, so the demo can
show the notifications the sinks sent without any outside service.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

HOOK_SECRET_ENV, SLACK_URL_ENV, TEAMS_URL_ENV = (
    "HANDOFF_DEMO_HOOK_SECRET",
    "HANDOFF_DEMO_SLACK_URL",
    "HANDOFF_DEMO_TEAMS_URL",
)


class Catcher:
    """An HTTP server on 127.0.0.1 in its own thread, counting what each path received."""

    def __init__(self) -> None:
        self.secret = secrets.token_hex(16)
        self.counts: Counter[str] = Counter()
        self.bad_signatures = 0
        self.sample_slack: str | None = None
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="handoff-demo-catcher"
        )

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        path = request.path.strip("/")
        if path == "hook":
            fields = dict(
                p.split("=", 1) for p in request.headers.get("X-Handoff-Signature", "t=0,v1=").split(",")
            )
            mac = hmac.new(
                self.secret.encode(), f"{fields.get('t')}.".encode() + body, hashlib.sha256
            ).hexdigest()
            if not hmac.compare_digest(mac, fields.get("v1", "")):
                self.bad_signatures += 1
        if path == "slack" and self.sample_slack is None:
            self.sample_slack = str(json.loads(body).get("text", ""))
        self.counts[path] += 1
        return web.Response(text="ok")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def start(self) -> None:
        """Listen on a free port."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        """Stop the server and its thread."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def env(self) -> dict[str, str]:
        """The secrets the demo's sinks file names."""
        base = f"http://127.0.0.1:{self.port}"
        return {HOOK_SECRET_ENV: self.secret, SLACK_URL_ENV: f"{base}/slack", TEAMS_URL_ENV: f"{base}/teams"}

    def sinks_file(self, folder: Path) -> Path:
        """A sinks file sending every handoff to the catcher as a webhook, a Slack and a Teams message."""
        path = folder / "demo-sinks.yaml"
        sinks: list[dict[str, Any]] = [
            {
                "name": "demo-webhook",
                "type": "webhook",
                "url": f"http://127.0.0.1:{self.port}/hook",
                "secret_env": HOOK_SECRET_ENV,
            },
            {"name": "demo-slack", "type": "slack", "webhook_url_env": SLACK_URL_ENV, "locale": "ja"},
            {"name": "demo-teams", "type": "teams", "webhook_url_env": TEAMS_URL_ENV},
        ]
        path.write_text(json.dumps({"sinks": sinks}, ensure_ascii=False, indent=1), encoding="utf-8")
        return path


def show_catch(catcher: Catcher, within_s: float = 20.0) -> Callable[[int], None]:
    """Wait until each demo sink delivered every handoff (or time runs out), then print what arrived."""

    def show(handoffs: int) -> None:
        deadline = time.monotonic() + within_s
        while (
            time.monotonic() < deadline
            and min(catcher.counts[p] for p in ("hook", "slack", "teams")) < handoffs
        ):
            time.sleep(0.1)
        print("\nSinks (local catcher):")
        for path, name in (("hook", "demo-webhook"), ("slack", "demo-slack"), ("teams", "demo-teams")):
            print(f"  {name:<13} {catcher.counts[path]:>6} of {handoffs} handoffs")
        print(f"  webhook signatures that failed to verify: {catcher.bad_signatures}")
        if catcher.sample_slack:
            print("  a Slack message as sent:\n    " + catcher.sample_slack.replace("\n", "\n    "))

    return show
