"""Ops endpoints of the HTTP service: `/metrics` with consumer-lag gauges, `/ready`.

A background task samples consumer lag every ``lag_interval_s`` and keeps a sliding window
per partition, so the gauges carry Burrow-style statuses and interpolated time lag (named
as kafka-lag-exporter names them, so its dashboards and alerts apply).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import text

from streams.core.settings import Settings

log = logging.getLogger(__name__)
LAG_WINDOWS = web.AppKey("lag_windows", object)


def _sample_lag(settings: Settings, windows: object) -> None:
    from streams.lag.collect import collect_lag
    from streams.lag.metrics import publish_lag
    from streams.lag.window import LagWindows

    if not isinstance(windows, LagWindows):
        raise TypeError("expected LagWindows")
    groups = [settings.worker.group, settings.worker.route_group_id, settings.sink.group]
    windows.add(collect_lag(settings.kafka.bootstrap_servers, groups=groups, timeout_s=5.0), time.time())
    publish_lag(windows.report())


def _check_ready(settings: Settings) -> tuple[bool, str]:
    from kafka import KafkaAdminClient

    from sinks.store import make_engine

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=settings.kafka.servers,
            request_timeout_ms=3000,
            bootstrap_timeout_ms=3000,
            client_id="handoff-ready",
        )
        try:
            admin.list_topics()
        finally:
            admin.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said plainly
        return False, f"Kafka unreachable: {type(exc).__name__}"
    engine = make_engine(settings.database.url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        return False, f"database unreachable: {type(exc).__name__}"
    finally:
        engine.dispose()
    return True, "Kafka and the database answer"


def setup(app: web.Application, settings: Settings) -> None:
    """Add ``GET /metrics`` and ``GET /ready`` and the lag sampler."""
    from streams.core.metrics_http import metrics_response, own_families, probe_routes
    from streams.lag.metrics import LAG_FAMILIES
    from streams.lag.window import LagWindows

    own_families(LAG_FAMILIES)

    windows = LagWindows(10)

    async def ready() -> tuple[bool, str]:
        return await asyncio.get_running_loop().run_in_executor(None, _check_ready, settings)

    async def sampler(_app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                try:
                    await asyncio.get_running_loop().run_in_executor(None, _sample_lag, settings, windows)
                except Exception as exc:  # noqa: BLE001 - keep sampling; the gauges just age
                    log.warning("lag sample failed: %s: %s", type(exc).__name__, exc)
                await asyncio.sleep(settings.ops.lag_interval_s)

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app[LAG_WINDOWS] = windows
    app.router.add_get("/metrics", metrics_response)
    probe_routes(app, ready)
    app.cleanup_ctx.append(sampler)
