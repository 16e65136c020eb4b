"""The form snippet and an example form page, served from the package's static folder."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from streams.core.settings import Settings

STATIC_DIR = Path(__file__).with_name("static")
EXAMPLE_FORM = STATIC_DIR / "example-form.html"


async def _example_form(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(EXAMPLE_FORM, headers={"Content-Type": "text/html; charset=utf-8"})


def setup(app: web.Application, settings: Settings) -> None:
    """Add ``GET /form/example`` and ``GET /static/…`` (``handoff.js``)."""
    app.router.add_get("/form/example", _example_form)
    app.router.add_static("/static", STATIC_DIR, append_version=False)
