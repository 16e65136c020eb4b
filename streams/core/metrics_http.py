"""`/metrics`, `/health` and `/ready` of a worker process, served on its own port from its event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

Probe = Callable[[], Awaitable[tuple[bool, str]]]
# Our families start so; the client library's process and runtime families are always shown.
_OURS = ("handoff_", "kafka_")
_owned: set[str] = set()


def own_families(names: Iterable[str]) -> None:
    """Declare metric families this process fills; our other families stay out of its /metrics.

    Every module registers its metrics on import, so a process that imports the intake
    would otherwise show empty sink and outcome families that belong to other processes.
    """
    _owned.update(names)


class _Owned(Collector):
    def collect(self) -> Iterator[Metric]:
        for metric in REGISTRY.collect():
            if not metric.name.startswith(_OURS) or metric.name in _owned:
                yield metric


async def metrics_response(_request: web.Request) -> web.Response:
    """Render this process's metric families in the Prometheus text format."""
    body = generate_latest(_Owned())
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
