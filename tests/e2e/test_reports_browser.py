"""The scorecard page in headless Chromium, in Japanese, after demo-like data and scripted rep work."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from streams.core.settings import Settings
from streams.web.app import build_desk_app
from tests.desk_support import new_token
from tests.sales_factory import migrated
from tests.scorecard_demo import load_demo

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
# Set to a folder to keep the screenshots (the README's picture comes from here).
SHOTS = os.environ.get("HANDOFF_SCREENSHOTS")


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed (see .ci/run)")
async def test_the_scorecard_in_japanese_on_a_desktop_and_a_phone(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    from playwright.async_api import async_playwright, expect

    url = f"sqlite:///{tmp_path}/demo.db"
    engine = migrated(url)
    assert load_demo(engine, now=datetime.now(UTC)) > 300
    token = new_token(engine, "mori", role="manager")
    engine.dispose()
    runner = web.AppRunner(build_desk_app(settings_for(database_url=url)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    shots = Path(SHOTS) if SHOTS else tmp_path
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
            page = await context.new_page()
            # Signed in as a manager through the desk's own sign-in form.
            await page.goto(f"http://127.0.0.1:{port}/reports")
            await page.fill("input[name=token]", token)
            await page.click("button[type=submit]")
            failed: list[str] = []
            page.on(
                "response",
                lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None,
            )
            await page.goto(f"http://127.0.0.1:{port}/reports?period=this-quarter&by=source")
            await expect(page.locator("h1")).to_have_text("マーケティング・営業スコアカード")
            await expect(page.locator("section").nth(1)).to_contain_text("合計")
            await expect(page.locator("body")).to_contain_text("受入率が低下しているグループ")
            # The scripted reps turned down most event leads lately.
            await expect(page.locator("section").last).to_contain_text("event")
            assert await page.locator("svg.chart").count() >= 5
            await page.screenshot(path=str(shots / "scorecard.png"), full_page=True)
            await page.select_option("select[name=by]", "rep")
            await page.click("button[type=submit]")
            await expect(page.locator("body")).to_contain_text("tanaka.hiro")
            phone = await context.new_page()
            await phone.set_viewport_size({"width": 390, "height": 844})
            await phone.goto(f"http://127.0.0.1:{port}/reports?period=this-quarter")
            width = await phone.evaluate("document.documentElement.scrollWidth")
            await phone.screenshot(path=str(shots / "scorecard-390.png"), full_page=False)
            await browser.close()
        assert width <= 390, f"the page is {width} px wide on a 390 px phone"
        assert failed == []
    finally:
        await runner.cleanup()
