"""Compose the HTTP service from its parts (each part is a module with ``setup(app, settings)``).

Two applications, two listeners: the public intake (website forms, nothing readable) and
the desk (queue API, rep pages, reports, ops), which denies every request without a
signed-in identity.
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
from collections.abc import Callable
from types import ModuleType

from aiohttp import web

from schemas.errors import ConfigError
from streams.core.logging import install_masking, logging_config
from streams.core.settings import Settings
from streams.web import (
    desk_auth,
    erasure_api,
    feedback_api,
    health,
    intake,
    ops,
    pages,
    queue_api,
    reports,
    signin,
    site,
)
from streams.web.desk_auth import is_loopback

log = logging.getLogger(__name__)

# Each part adds its routes and startup/cleanup hooks to the aiohttp application.
INTAKE_PARTS: tuple[ModuleType, ...] = (health, intake, site)
# desk_auth first: its middlewares (identity, CSRF, security headers) guard every later part.
DESK_PARTS: tuple[ModuleType, ...] = (
    desk_auth,
    signin,
    queue_api,
    pages,
    ops,
    feedback_api,
    reports,
    erasure_api,
)
# Kept for callers that name the intake's parts by the old name.
PARTS = INTAKE_PARTS

SETTINGS_KEY = web.AppKey("settings", Settings)


def build_web_app(settings: Settings, parts: tuple[ModuleType, ...] = INTAKE_PARTS) -> web.Application:
    """Build an aiohttp application with the given parts (the public intake by default)."""
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS_KEY] = settings
    for part in parts:
        part.setup(app, settings)
    return app


def build_desk_app(settings: Settings, parts: tuple[ModuleType, ...] = DESK_PARTS) -> web.Application:
    """Build the desk application: sign-in first, then every desk part."""
    return build_web_app(settings, parts)


def check_desk_binding(settings: Settings, desk_host: str) -> None:
    """Refuse ``HANDOFF_DESK_AUTH=none`` on an address other machines can reach."""
    if settings.desk.auth == "none" and not is_loopback(desk_host):
        raise ConfigError(
            f"HANDOFF_DESK_AUTH=none lets anyone who reaches {desk_host} read and work every lead: "
            "bind the desk to 127.0.0.1 (--desk-host) or use HANDOFF_DESK_AUTH=token or proxy"
        )
    if settings.desk.auth == "none":
        log.warning("desk sign-in is off (HANDOFF_DESK_AUTH=none): anyone on this machine acts as a manager")
    if settings.desk.auth == "proxy" and not settings.desk.trusted_proxies:
        raise ConfigError(
            "HANDOFF_DESK_AUTH=proxy needs HANDOFF_DESK_TRUSTED_PROXIES (the SSO proxy's addresses or CIDRs)"
        )


async def _serve(
    sites: list[tuple[web.Application, str, int]], on_ready: Callable[[str], None] | None
) -> None:
    runners = []
    try:
        for app, host, port in sites:
            runner = web.AppRunner(app, handle_signals=False)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, host, port).start()
            if on_ready:
                on_ready(f"http://{host}:{port}")
        await asyncio.Event().wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def run_web(
    settings: Settings,
    *,
    host: str,
    port: int,
    desk_host: str = "127.0.0.1",
    desk_port: int = 8081,
    only: str | None = None,
    on_ready: Callable[[str, str], None] | None = None,
) -> None:
    """Serve the public intake and the desk until SIGINT/SIGTERM, logging like the workers."""
    install_masking()
    logging.config.dictConfig(logging_config(settings.log.level, settings.log.format))
    if only in (None, "desk"):
        check_desk_binding(settings, desk_host)
    sites: list[tuple[web.Application, str, int, str]] = []
    if only in (None, "intake"):
        sites.append((build_web_app(settings), host, port, "intake"))
    if only in (None, "desk"):
        sites.append((build_desk_app(settings), desk_host, desk_port, "desk"))
    names = iter([name for *_, name in sites])

    def ready(url: str) -> None:
        if on_ready:
            on_ready(next(names), url)

    import signal

    loop = asyncio.new_event_loop()
    main = loop.create_task(_serve([(a, h, p) for a, h, p, _ in sites], ready))
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, main.cancel)
    try:
        loop.run_until_complete(main)
    except asyncio.CancelledError:
        pass
    finally:
        loop.close()
