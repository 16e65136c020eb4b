"""Compose the HTTP service from its parts (each part is a module with ``setup(app, settings)``)."""

from __future__ import annotations

import importlib

from aiohttp import web

from streams.runtime.settings import Settings

# Each module adds its routes and startup/cleanup hooks to the aiohttp application.
PARTS: tuple[str, ...] = (
    "streams.web.health", "streams.web.intake", "streams.web.site",
    "streams.web.queue_api", "streams.web.pages", "streams.web.ops",
)

SETTINGS_KEY = web.AppKey("settings", Settings)


def build_web_app(settings: Settings, parts: tuple[str, ...] = PARTS) -> web.Application:
    """Build the aiohttp application with every configured part."""
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS_KEY] = settings
    for name in parts:
        importlib.import_module(name).setup(app, settings)
    return app


def run_web(settings: Settings, *, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM."""
    web.run_app(build_web_app(settings), host=host, port=port, print=None, handle_signals=True)
