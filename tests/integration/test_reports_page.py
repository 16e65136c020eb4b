"""The /reports page over a real database: who may see what, the page's words, and its CSV downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from streams.core.settings import load_settings
from streams.web import reports
from streams.web.identity import IDENTITY, Identity
from tests.sales_factory import migrated
from tests.scorecard_factory import script_week

pytestmark = pytest.mark.integration
WEEK = "period=custom&from=2026-11-02&to=2026-11-08&tz=Asia/Tokyo"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def signed_in_as(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Stand in for the desk's sign-in (built elsewhere): the test names the user in a header."""
    who = request.headers.get("X-Test-User")
    if who:
        name, role = who.split(":")
        request[IDENTITY] = Identity(name=name, role=role)  # type: ignore[arg-type]
    return await handler(request)


@pytest.fixture
async def client(database_url: str, tmp_path: Path) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    engine = migrated(database_url)
    script_week(engine)
    engine.dispose()
    app = web.Application(middlewares=[signed_in_as])
    reports.setup(app, load_settings(database_url=database_url))
    async with TestClient(TestServer(app)) as client:
        yield client


async def _get(client: TestClient, path: str, user: str | None) -> tuple[int, str]:  # type: ignore[type-arg]
    resp = await client.get(path, headers={"X-Test-User": user} if user else {})
    return resp.status, await resp.text()


async def test_a_manager_sees_every_group_in_japanese(client: TestClient) -> None:  # type: ignore[type-arg]
    status, html = await _get(client, f"/reports?{WEEK}&lang=ja", "mori:manager")
    assert status == 200
    assert "マーケティング：供給したリード" in html and "初回接触までの時間" in html
    assert html.count("<svg") >= 4 and "<script" not in html and "style=" not in html
    assert "2026-11-02 – 2026-11-08 (Asia/Tokyo)" in html
    for group in ("google", "linkedin", "合計"):
        assert f"<td>{group}</td>" in html
    assert "<td>aki</td>" not in html  # grouped by source, not by rep


async def test_a_rep_sees_only_their_own_numbers(client: TestClient) -> None:  # type: ignore[type-arg]
    status, html = await _get(client, f"/reports?{WEEK}&by=rep&rep=aki&lang=en", "ben:rep")
    assert status == 200
    assert "<td>ben</td>" in html and "<td>aki</td>" not in html and "<td>cho</td>" not in html
    assert "Your numbers only: ben" in html
    status, body = await _get(client, f"/reports/marketing.csv?{WEEK}&by=rep&rep=aki", "ben:rep")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert status == 200 and [r[0] for r in rows[1:]] == ["ben", "合計"]
    status, html = await _get(client, f"/reports?{WEEK}&by=rep&lang=en", "mori:manager")
    assert all(f"<td>{rep}</td>" in html for rep in ("aki", "ben", "cho"))


async def test_without_identity_401_and_other_roles_403(client: TestClient) -> None:  # type: ignore[type-arg]
    assert (await _get(client, "/reports", None))[0] == 401
    assert (await _get(client, "/reports/sales.csv", None))[0] == 401
    assert (await _get(client, "/reports", "crm:integration"))[0] == 403


async def test_csv_is_utf8_with_bom_and_holds_the_table(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get(f"/reports/marketing.csv?{WEEK}&lang=ja", headers={"X-Test-User": "mori:manager"})
    body = await resp.read()
    assert resp.status == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["グループ", "問い合わせ", "処理不能"]
    assert rows[-1][:3] == ["合計", "11", "1"]
    assert (await client.get("/reports/nope.csv", headers={"X-Test-User": "mori:manager"})).status == 404
    status, text = await _get(client, "/reports?period=custom&from=2026-11-09&to=2026-11-02", "mori:manager")
    assert status == 400 and "swap from and to" in text
    css = await client.get("/reports/reports.css")
    assert css.status == 200 and "svg" in await css.text()
