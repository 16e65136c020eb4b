"""`/metrics`, `/health` and `/ready` of a worker process, served on its own port from its event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

Probe = Callable[[], Awaitable[tuple[bool, str]]]


async def metrics_response(_request: web.Request) -> web.Response:
    """Render every registered metric in the Prometheus text format."""
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def probe_routes(app: web.Application, ready: Probe) -> None:
    """Add ``/ready``: 200 when ``ready`` says so, 503 with its reason otherwise."""

    async def _ready(_request: web.Request) -> web.Response:
        ok, detail = await ready()
        return web.json_response(
            {"status": "ready" if ok else "not ready", "detail": detail}, status=200 if ok else 503
        )

    app.router.add_get("/ready", _ready)


async def start_metrics_server(port: int, ready: Probe, *, host: str = "127.0.0.1") -> web.AppRunner:
    """Serve the endpoints until the returned runner is cleaned up."""

    async def _health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/metrics", metrics_response)
    app.router.add_get("/health", _health)
    probe_routes(app, ready)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
