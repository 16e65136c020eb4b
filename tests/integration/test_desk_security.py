"""What the desk answers to people who have not signed in, forge identities, or post cross-site."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session

from schemas.errors import ConfigError
from sinks.queue import record_handoffs
from sinks.users import revoke
from streams.core.settings import Settings
from streams.web.app import build_desk_app, build_web_app, check_desk_binding
from tests.desk_support import bearer, new_token
from tests.sales_factory import T0, handoff, migrated

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]
DESK_PATHS = [
    ("GET", "/"),
    ("GET", "/queue?queue=inside-sales"),
    ("POST", "/queue/claim"),
    ("POST", "/queue/act"),
    ("GET", "/api/queue"),
    ("GET", "/api/handoffs/h-0001"),
    ("POST", "/api/queue/inside-sales/next"),
    ("POST", "/api/handoffs/h-0001/accept"),
    ("GET", "/api/reasons"),
    ("GET", "/api/report/funnel"),
    ("GET", "/metrics"),
    ("GET", "/ready"),
    ("GET", "/signin"),
]


@pytest.fixture
def desk(
    settings_for: Callable[..., Settings], tmp_path: Any
) -> Callable[..., tuple[Settings, dict[str, str]]]:
    made = iter(range(100))

    def make(**overrides: Any) -> tuple[Settings, dict[str, str]]:
        settings = settings_for(database_url=f"sqlite:///{tmp_path}/desk{next(made)}.db", **overrides)
        engine = migrated(settings.database.url)
        with Session(engine) as session, session.begin():
            record_handoffs(session=session, now=T0, events=[handoff(1), handoff(2, owner="takahashi.mei")])
        tokens = {
            "tanaka.hiro": new_token(engine, "tanaka.hiro", email="tanaka@example.jp"),
            "takahashi.mei": new_token(engine, "takahashi.mei"),
        }
        engine.dispose()
        return settings, tokens

    return make


@pytest.fixture
async def clients() -> AsyncIterator[Callable[[Settings, bool], Any]]:
    made: list[Client] = []

    async def make(settings: Settings, desk_app: bool = True) -> Client:
        client = TestClient(TestServer(build_desk_app(settings) if desk_app else build_web_app(settings)))
        await client.start_server()
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def _sign_in(client: Client, token: str) -> str:
    """Sign in through the form; return the page's CSRF token."""
    form = await (await client.get("/signin")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf
    resp = await client.post("/signin", data={"token": token, "csrf": csrf.group(1)}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = await (await client.get("/queue", params={"queue": "inside-sales"})).text()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


async def test_without_sign_in_the_api_is_401_and_pages_go_to_signin(desk: Any, clients: Any) -> None:
    settings, _ = desk()
    client = await clients(settings)
    for method, path in DESK_PATHS:
        resp = await client.request(method, path, allow_redirects=False)
        if path == "/signin":
            assert resp.status == 200
        elif path.startswith("/api/") or method == "POST":
            assert resp.status == 401, path
            assert (await resp.json())["error"] == "unauthenticated"
        else:
            assert (resp.status, resp.headers.get("Location")) == (303, "/signin"), path
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["Cache-Control"] == "no-store"
    bad = await client.get("/api/queue", headers=bearer("hd_0000_guess"))
    assert bad.status == 401


async def test_every_desk_path_is_404_on_the_public_listener(desk: Any, clients: Any) -> None:
    settings, tokens = desk()
    public = await clients(settings, False)
    for method, path in DESK_PATHS:
        resp = await public.request(method, path, headers=bearer(tokens["tanaka.hiro"]))
        assert resp.status in (404, 405) and resp.status == 404, (path, resp.status)
    assert (await public.get("/health")).status == 200


async def test_forms_need_the_session_csrf_token_and_a_same_site_origin(desk: Any, clients: Any) -> None:
    settings, tokens = desk()
    client = await clients(settings)
    csrf = await _sign_in(client, tokens["tanaka.hiro"])
    resp = await client.post("/queue/claim", data={"queue": "inside-sales"}, allow_redirects=False)
    assert resp.status == 403 and (await resp.json())["error"] == "csrf"
    evil = {"Origin": "https://evil.example"}
    resp = await client.post("/queue/claim", data={"queue": "inside-sales", "csrf": csrf}, headers=evil)
    assert resp.status == 403 and (await resp.json())["error"] == "cross_site"
    own = {"Origin": f"http://{client.host}:{client.port}"}
    resp = await client.post(
        "/queue/claim", data={"queue": "inside-sales", "csrf": csrf}, headers=own, allow_redirects=False
    )
    assert resp.status == 303 and "note=claimed" in resp.headers["Location"]
    # A rep posting on another rep's lead is refused on the page too.
    resp = await client.post(
        "/queue/act",
        data={"handoff_id": "h-0002", "action": "accept", "csrf": csrf, "back": "/"},
        allow_redirects=False,
    )
    assert "error=NotYours" in resp.headers["Location"]
    # A queue that does not exist, or whose roster lacks the rep, says so instead of an empty page.
    nosuch = await client.get("/queue", params={"queue": "nosuch"})
    assert nosuch.status == 404 and "There is no queue nosuch." in await nosuch.text()
    assert (await client.get("/queue", params={"queue": "enterprise"})).status == 403
    # Signed out, the session cookie is worth nothing.
    await client.post("/signout", data={"csrf": csrf})
    resp = await client.get("/queue", params={"queue": "inside-sales"}, allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (303, "/signin")


async def test_a_revoked_token_and_its_sessions_stop_working(
    desk: Any, clients: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings, tokens = desk()
    client = await clients(settings)
    await _sign_in(client, tokens["tanaka.hiro"])
    api = await clients(settings)
    assert (await api.get("/api/queue", headers=bearer(tokens["tanaka.hiro"]))).status == 200
    engine = migrated(settings.database.url)
    with Session(engine) as session, session.begin():
        revoke(session=session, name="tanaka.hiro", now=T0)
    engine.dispose()
    assert (await api.get("/api/queue", headers=bearer(tokens["tanaka.hiro"]))).status == 401
    resp = await client.get("/", allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (303, "/signin")
    # Signing in and calling the API logged something, but never the token.
    assert "desk sign-in: tanaka.hiro" in caplog.text
    # The secret is everything after "hd_<id>_" (it may itself hold "_").
    secret = tokens["tanaka.hiro"].split("_", 2)[2]
    assert len(secret) >= 40 and secret not in caplog.text and tokens["tanaka.hiro"] not in caplog.text


async def test_sign_in_attempts_are_rate_limited_per_address(desk: Any, clients: Any) -> None:
    settings, _ = desk(desk_signin_burst=2)
    client = await clients(settings)
    form = await (await client.get("/signin")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf
    statuses = [
        (await client.post("/signin", data={"token": f"hd_x_{n}", "csrf": csrf.group(1)})).status
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]


async def test_proxy_identity_is_trusted_only_from_the_trusted_proxies(desk: Any, clients: Any) -> None:
    sso = {"X-Forwarded-Email": "tanaka@example.jp"}
    trusted, _ = desk(desk_auth="proxy", desk_trusted_proxies="127.0.0.1/32")
    client = await clients(trusted)
    resp = await client.get("/api/queue", headers=sso)
    assert resp.status == 200
    assert [i["handoff_id"] for i in (await resp.json())["items"]] == ["h-0001"]
    assert (await client.get("/api/queue", headers={"X-Forwarded-Email": "nobody@example.jp"})).status == 401
    # The pages behind the proxy get a desk session, so their forms still carry a CSRF token.
    page = await (await client.get("/queue", headers=sso, params={"queue": "inside-sales"})).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    claim = {"queue": "inside-sales"}
    assert (await client.post("/queue/claim", headers=sso, data=claim)).status == 403
    resp = await client.post(
        "/queue/claim", headers=sso, data={**claim, "csrf": csrf.group(1)}, allow_redirects=False
    )
    assert resp.status == 303 and "note=claimed" in resp.headers["Location"]

    untrusted, _ = desk(desk_auth="proxy", desk_trusted_proxies="10.0.0.0/8")
    client = await clients(untrusted)
    assert (await client.get("/api/queue", headers=sso)).status == 401


def test_no_sign_in_is_refused_off_loopback(settings_for: Callable[..., Settings]) -> None:
    settings = settings_for(desk_auth="none")
    with pytest.raises(ConfigError, match="HANDOFF_DESK_AUTH=none"):
        check_desk_binding(settings, "0.0.0.0")  # noqa: S104 - the address being refused
    check_desk_binding(settings, "127.0.0.1")


async def test_a_manager_reassigns_on_the_page_and_a_rep_cannot(desk: Any, clients: Any) -> None:
    settings, tokens = desk()
    engine = migrated(settings.database.url)
    boss = new_token(engine, "boss", "manager")
    engine.dispose()
    client = await clients(settings)
    csrf = await _sign_in(client, boss)
    page = await (await client.get("/queue", params={"queue": "inside-sales"})).text()
    assert 'action="/queue/assign"' in page and "h-0002" in page  # a manager sees every lead
    moved = {
        "handoff_id": "h-0002",
        "owner": "tanaka.hiro",
        "csrf": csrf,
        "back": "/queue?queue=inside-sales",
    }
    resp = await client.post("/queue/assign", data=moved, allow_redirects=False)
    assert "note=done" in resp.headers["Location"]
    off_roster = {**moved, "owner": "sato.kenji"}
    resp = await client.post("/queue/assign", data=off_roster, allow_redirects=False)
    assert "error=forbidden" in resp.headers["Location"]
    api = await client.get("/api/handoffs/h-0002", headers=bearer(tokens["tanaka.hiro"]))
    assert (await api.json())["owner"] == "tanaka.hiro"

    rep = await clients(settings)
    rep_csrf = await _sign_in(rep, tokens["takahashi.mei"])
    resp = await rep.post("/queue/assign", data={**moved, "csrf": rep_csrf}, allow_redirects=False)
    assert resp.status == 403
