"""The /reports page over a real database: who may see what, the page's words, and its CSV downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from streams.core.settings import Settings
from streams.web.app import build_desk_app
from tests.desk_support import bearer, new_token
from tests.sales_factory import migrated
from tests.scorecard_factory import script_week

pytestmark = pytest.mark.integration
WEEK = "period=custom&from=2026-11-02&to=2026-11-08&tz=Asia/Tokyo"


class SignedClient:
    """A client of the real desk app; ``X-Test-User: name:role`` becomes that user's desk token."""

    def __init__(self, client: TestClient, database_url: str) -> None:  # type: ignore[type-arg]
        self.client, self.database_url = client, database_url
        self.tokens: dict[str, str] = {}

    def _sign_in(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            name, role = user.split(":")
            engine = migrated(self.database_url)
            self.tokens[user] = new_token(engine, name, role=role)
            engine.dispose()
        return bearer(self.tokens[user])

    async def get(self, path: str, headers: dict[str, str] | None = None) -> ClientResponse:
        user = (headers or {}).get("X-Test-User")
        signed = self._sign_in(user) if user else {}
        return await self.client.get(path, headers=signed, allow_redirects=False)


@pytest.fixture
async def client(database_url: str, settings_for: Callable[..., Settings]) -> AsyncIterator[SignedClient]:
    engine = migrated(database_url)
    script_week(engine)
    engine.dispose()
    async with TestClient(TestServer(build_desk_app(settings_for(database_url=database_url)))) as client:
        yield SignedClient(client, database_url)


async def _get(client: SignedClient, path: str, user: str | None) -> tuple[int, str]:
    resp = await client.get(path, headers={"X-Test-User": user} if user else {})
    return resp.status, await resp.text()


async def test_a_manager_sees_every_group_in_japanese(client: SignedClient) -> None:
    status, html = await _get(client, f"/reports?{WEEK}&lang=ja", "mori:manager")
    assert status == 200
    assert "マーケティング：供給したリード" in html and "初回接触までの時間" in html
    assert html.count("<svg") >= 4 and "<script" not in html and "style=" not in html
    assert "2026-11-02 – 2026-11-08 (Asia/Tokyo)" in html
    for group in ("google", "linkedin", "合計"):
        assert f"<td>{group}</td>" in html
    assert "<td>aki</td>" not in html  # grouped by source, not by rep


async def test_a_rep_sees_only_their_own_numbers(client: SignedClient) -> None:
    status, html = await _get(client, f"/reports?{WEEK}&by=rep&rep=aki&lang=en", "ben:rep")
    assert status == 200
    assert "<td>ben</td>" in html and "<td>aki</td>" not in html and "<td>cho</td>" not in html
    assert "Your numbers only: ben" in html
    status, body = await _get(client, f"/reports/marketing.csv?{WEEK}&by=rep&rep=aki&lang=ja", "ben:rep")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert status == 200 and [r[0] for r in rows[1:]] == ["ben", "合計"]
    status, html = await _get(client, f"/reports?{WEEK}&by=rep&lang=en", "mori:manager")
    assert all(f"<td>{rep}</td>" in html for rep in ("aki", "ben", "cho"))


async def test_without_identity_401_and_other_roles_403(client: SignedClient) -> None:
    # Signed out, the page sends the browser to the sign-in form; nothing of the report is shown.
    for path in ("/reports", "/reports/sales.csv"):
        resp = await client.get(path)
        assert resp.status == 303 and resp.headers["Location"].startswith("/signin")
    assert (await _get(client, "/reports", "crm:integration"))[0] == 403


async def test_csv_is_utf8_with_bom_and_holds_the_table(client: SignedClient) -> None:
    resp = await client.get(f"/reports/marketing.csv?{WEEK}&lang=ja", headers={"X-Test-User": "mori:manager"})
    body = await resp.read()
    assert resp.status == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["グループ", "送信回数", "処理不能"]
    assert rows[-1][:3] == ["合計", "11", "1"]
    assert (await client.get("/reports/nope.csv", headers={"X-Test-User": "mori:manager"})).status == 404
    status, text = await _get(client, "/reports?period=custom&from=2026-11-09&to=2026-11-02", "mori:manager")
    assert status == 400 and "swap from and to" in text
    css = await client.get("/assets/reports.css")
    assert css.status == 200 and "svg" in await css.text()
