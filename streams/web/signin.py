"""Sign in with a token (``GET``/``POST /signin``), sign out, and the desk's static assets.

A token posted to ``/signin`` becomes a server-side session: the cookie carries a random
secret (``HttpOnly``, ``SameSite=Lax``, ``Secure`` over HTTPS) and expires with the
session. The sign-in form itself is protected by a double-submit token, since there is no
session yet; attempts are rate limited per address.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

from aiohttp import web
from sqlalchemy.orm import Session

from sinks.users import close_session, open_session, user_by_token
from streams.core.settings import Settings
from streams.web.desk_auth import CSRF_FIELD, LIMITER, SESSION_COOKIE, is_https, set_session_cookie
from streams.web.desk_html import hidden, page, viewer
from streams.web.identity import IDENTITY
from streams.web.queue_api import desk_of, in_thread

log = logging.getLogger(__name__)
PRE_CSRF_COOKIE = "handoff_signin"
ASSETS_DIR = Path(__file__).parent / "desk_static"


def _signin_page(request: web.Request, settings: Settings, *, error: str | None = None) -> web.Response:
    t = viewer(request, settings.desk.timezone)
    csrf = request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(24)
    note = f'<p class="err" role="alert">{escape(t(error))}</p>' if error else ""
    if settings.desk.auth == "proxy":
        note += f"<p>{escape(t('Sign in through your company sign-on, then reload this page.'))}</p>"
    body = (
        f'{note}<form method="post" action="/signin" class="stack">{hidden(csrf=csrf)}'
        f"<label>{escape(t('Access token'))}"
        '<input name="token" type="password" autocomplete="current-password" required></label>'
        f'<button type="submit">{escape(t("Sign in"))}</button></form>'
        f'<p class="hint">{escape(t("Ask your manager for a token (handoff users add NAME)."))}</p>'
    )
    response = page(request, t, t("Sign in"), body)
    if error:
        response.set_status(401 if error != "Too many attempts: wait a minute." else 429)
    response.set_cookie(
        PRE_CSRF_COOKIE, csrf, httponly=True, samesite="Lax", secure=is_https(request, settings), max_age=3600
    )
    return response


def _start(settings: Settings, engine: object, token: str) -> tuple[str, str] | None:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)  # noqa: S101
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        user = user_by_token(session=session, token=token)
        if user is None:
            return None
        ttl = timedelta(seconds=settings.desk.session_ttl_s)
        return user.name, open_session(session=session, user=user.name, now=now, ttl=ttl)[0]


def setup(app: web.Application, settings: Settings) -> None:
    """Add ``/signin``, ``/signout`` and ``/assets/``."""

    async def show(request: web.Request) -> web.Response:
        if request.get(IDENTITY) is not None:
            raise web.HTTPSeeOther("/")
        return _signin_page(request, settings)

    async def submit(request: web.Request) -> web.Response:
        form = await request.post()
        expected = request.cookies.get(PRE_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(str(form.get(CSRF_FIELD, "")), expected):
            return web.json_response(
                {"error": "csrf", "detail": "reload the sign-in page and try again"}, status=403
            )
        if request.app[LIMITER].take(request.remote or "?"):
            return _signin_page(request, settings, error="Too many attempts: wait a minute.")
        token = str(form.get("token", ""))
        started = await in_thread(
            request, _start, settings=settings, engine=desk_of(request).engine, token=token
        )
        if started is None:
            log.info("desk sign-in refused from %s", request.remote)
            return _signin_page(request, settings, error="That token is not valid (revoked or mistyped).")
        name, secret = started
        log.info("desk sign-in: %s", name)
        response = web.HTTPSeeOther("/")
        set_session_cookie(response, request, settings, secret)
        response.del_cookie(PRE_CSRF_COOKIE)
        raise response

    async def signout(request: web.Request) -> web.Response:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:

            def end() -> None:
                with Session(desk_of(request).engine) as session, session.begin():
                    close_session(session=session, secret=secret)

            await in_thread(request, end)
        response = web.HTTPSeeOther("/signin")
        response.del_cookie(SESSION_COOKIE, path="/")
        raise response

    app.router.add_get("/signin", show)
    app.router.add_post("/signin", submit)
    app.router.add_post("/signout", signout)
    app.router.add_static("/assets", ASSETS_DIR, append_version=False)
