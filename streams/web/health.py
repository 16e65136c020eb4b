"""Liveness of the HTTP service."""

from __future__ import annotations

from aiohttp import web

from streams.core.settings import Settings


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def setup(app: web.Application, settings: Settings) -> None:
    """Add ``GET /health``."""
    app.router.add_get("/health", _health)
