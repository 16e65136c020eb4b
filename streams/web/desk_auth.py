"""The desk's front door: who is asking (token, session, SSO proxy), CSRF, and security headers.

Every desk request passes here. It denies by default: a request without an identity gets
401 (API) or a redirect to ``/signin`` (pages), except the sign-in pages and static assets.
State-changing requests from a browser session need the session's CSRF token, and a
cross-site ``Origin`` is refused whatever the credentials.
"""

from __future__ import annotations

import getpass
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware
from sqlalchemy.orm import Session

from sinks.users import DeskUserView, open_session, session_user, user_by_name_or_email, user_by_token
from streams.core.settings import Settings
from streams.desk.sales_desk import SalesDesk
from streams.web.guard import RateLimiter
from streams.web.identity import IDENTITY, ROLES, Identity, Role
from streams.web.queue_api import desk_of, ensure_desk, in_thread

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SESSION_COOKIE = "handoff_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
# Where the middleware leaves the session's CSRF token for the pages' forms.
CSRF = web.RequestKey("handoff.csrf", str)
OPEN_PATHS = ("/signin", "/signout")
ASSETS = "/assets/"
LIMITER = web.AppKey("signin_limiter", RateLimiter)
_SAFE = ("GET", "HEAD", "OPTIONS")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def _identity(user: DeskUserView) -> Identity:
    role: Role = next(r for r in ROLES if r == user.role)
    return Identity(user.name, role, user.email)


def trusted(settings: Settings, remote: str | None) -> bool:
    """Whether a peer address is one of HANDOFF_DESK_TRUSTED_PROXIES."""
    if not remote:
        return False
    try:
        addr = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(n, strict=False) for n in settings.desk.trusted_proxies)


def is_https(request: web.Request, settings: Settings) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a trusted proxy)."""
    if request.scheme == "https":
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return forwarded == "https" and trusted(settings, request.remote)


@dataclass(frozen=True)
class Found:
    """Who a request is, the CSRF token of their session, and a session cookie to set (proxy mode)."""

    identity: Identity
    csrf: str | None = None
    new_cookie: str | None = None


def _proxy_session(settings: Settings, session: Session, user: DeskUserView, cookie: str) -> Found:
    # Pages behind the SSO proxy get a desk session too, so their forms carry a CSRF token.
    now = datetime.now(UTC)
    found = session_user(session=session, secret=cookie, now=now) if cookie else None
    if found is not None and found[0].name == user.name:
        return Found(_identity(user), found[1])
    ttl = timedelta(seconds=settings.desk.session_ttl_s)
    secret, csrf = open_session(session=session, user=user.name, now=now, ttl=ttl)
    session.commit()
    return Found(_identity(user), csrf, secret)


def _lookup(settings: Settings, request: web.Request) -> Callable[[Session], Found | None]:
    bearer = request.headers.get("Authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE, "")
    proxied = request.headers.get(settings.desk.proxy_header, "").strip()
    from_proxy = settings.desk.auth == "proxy" and bool(proxied) and trusted(settings, request.remote)

    def find(session: Session) -> Found | None:
        if bearer.lower().startswith("bearer "):
            user = user_by_token(session=session, token=bearer[7:])
            return Found(_identity(user)) if user else None
        if from_proxy:
            user = user_by_name_or_email(session=session, who=proxied)
            return _proxy_session(settings, session, user, cookie) if user else None
        if cookie:
            found = session_user(session=session, secret=cookie, now=datetime.now(UTC))
            return Found(_identity(found[0]), found[1]) if found else None
        return None

    return find


def _deny(request: web.Request) -> web.StreamResponse:
    if request.path.startswith("/api/") or request.method not in _SAFE:
        return web.json_response({"error": "unauthenticated", "detail": "sign in first"}, status=401)
    raise web.HTTPSeeOther("/signin")


def _cross_site(request: web.Request) -> bool:
    origin = request.headers.get("Origin", "null")
    if origin != "null":
        # Host only: behind a TLS-terminating proxy the browser says https, we see http.
        return urlsplit(origin).netloc.lower() != request.host.lower()
    # With Referrer-Policy: no-referrer, browsers post forms with "Origin: null"; their
    # Sec-Fetch-Site still says where the form came from. Non-browser clients send neither.
    return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")


def _forbidden(code: str, detail: str) -> web.Response:
    return web.json_response({"error": code, "detail": detail}, status=403)


async def _csrf_ok(request: web.Request, expected: str) -> bool:
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        given = str((await request.post()).get(CSRF_FIELD, ""))
    return bool(given) and hmac.compare_digest(given, expected)


def is_loopback(host: str) -> bool:
    """Whether an address only reaches this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _local_identity(request: web.Request) -> Identity | None:
    return Identity(getpass.getuser(), "manager") if is_loopback(request.remote or "") else None


def _middleware(settings: Settings) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in _SAFE and _cross_site(request):
            return _forbidden("cross_site", "this form may only be posted from the desk's own pages")
        open_path = request.path in OPEN_PATHS or request.path.startswith(ASSETS)
        found: Found | None
        if settings.desk.auth == "none":
            who = _local_identity(request)
            found = Found(who) if who else None
        else:
            found = await in_thread(
                request, _run_lookup, desk=desk_of(request), find=_lookup(settings, request)
            )
        if found is None:
            if request.headers.get("Authorization"):
                wait = request.app[LIMITER].take(request.remote or "?")
                if wait:
                    return web.json_response({"error": "rate_limited"}, status=429)
            if not open_path:
                return _deny(request)
            return await handler(request)
        request[IDENTITY] = found.identity
        if found.csrf is not None:
            request[CSRF] = found.csrf
            if request.method not in _SAFE and not await _csrf_ok(request, found.csrf):
                return _forbidden("csrf", "the form's CSRF token is missing or stale: reload the page")
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # a redirect still carries the new session
            if found.new_cookie:
                set_session_cookie(exc, request, settings, found.new_cookie)
            raise
        if found.new_cookie:
            set_session_cookie(response, request, settings, found.new_cookie)
        return response

    return guard


def set_session_cookie(
    response: web.StreamResponse, request: web.Request, settings: Settings, secret: str
) -> None:
    """Set the session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, expiring with the session."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(settings.desk.session_ttl_s),
        httponly=True,
        samesite="Lax",
        secure=is_https(request, settings),
        path="/",
    )


def _run_lookup(*, desk: SalesDesk, find: Callable[[Session], Found | None]) -> Found | None:
    with Session(desk.engine) as session:
        return find(session)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Send the desk's security headers on every answer, errors included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


def setup(app: web.Application, settings: Settings) -> None:
    """Guard the desk application: security headers outermost, then identity and CSRF."""
    ensure_desk(app, settings)
    app[LIMITER] = RateLimiter(rate_per_s=settings.desk.signin_rate_per_s, burst=settings.desk.signin_burst)
    app.middlewares.append(security_headers)
    app.middlewares.append(_middleware(settings))
