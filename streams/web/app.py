"""Compose the HTTP service from its parts (each part is a module with ``setup(app, settings)``)."""

from __future__ import annotations

import logging.config
from collections.abc import Callable
from types import ModuleType

from aiohttp import web

from streams.core.logging import install_masking, logging_config
from streams.core.settings import Settings
from streams.web import health, intake, ops, pages, queue_api, site

# Each part adds its routes and startup/cleanup hooks to the aiohttp application.
PARTS: tuple[ModuleType, ...] = (health, intake, site, queue_api, pages, ops)

SETTINGS_KEY = web.AppKey("settings", Settings)


def build_web_app(settings: Settings, parts: tuple[ModuleType, ...] = PARTS) -> web.Application:
    """Build the aiohttp application with every configured part."""
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS_KEY] = settings
    for part in parts:
        part.setup(app, settings)
    return app


def run_web(
    settings: Settings,
    *,
    host: str,
    port: int,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM, logging like the workers (JSON, PII masked)."""
    install_masking()
    logging.config.dictConfig(logging_config(settings.log.level, settings.log.format))
    app = build_web_app(settings)
    web.run_app(
        app,
        host=host,
        port=port,
        handle_signals=True,
        print=(lambda _banner: on_ready(f"http://{host}:{port}")) if on_ready else None,
    )
