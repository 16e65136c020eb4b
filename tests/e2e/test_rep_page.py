"""A rep signs in, claims and accepts a lead on the page in headless Chromium; the database and
``leads.feedback`` both show it. The Japanese page works at 390 px with Tokyo deadlines."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy.orm import Session

from sinks.models import FeedbackRecord, QueueItem
from sinks.queue import record_handoffs
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from streams.web.app import build_desk_app
from tests.conftest import Kafka
from tests.desk_support import new_token
from tests.sales_factory import T0, handoff, migrated, read_topic

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.path.exists("/usr/bin/chromium"), reason="Debian chromium not installed (.ci/run)"
    ),
]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REP = "tanaka.hiro"  # on the inside-sales roster of the shipped policy, in Asia/Tokyo


async def _serve(settings: Settings) -> AsyncIterator[str]:
    runner = web.AppRunner(build_desk_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def desk(settings_for: Callable[..., Settings]) -> AsyncIterator[tuple[str, Settings, str]]:
    settings = settings_for(desk_page_size=5)
    ensure_topics(settings, [settings.topics.feedback], partitions=2)
    engine = migrated(settings.database.url)
    with Session(engine) as session, session.begin():
        events = [handoff(7, message="見積もりをお願いします。来週お電話ください。"), handoff(8)]
        events += [handoff(n) for n in range(20, 27)]
        record_handoffs(session=session, now=T0, events=events)
    token = new_token(engine, REP)
    engine.dispose()
    async for base in _serve(settings):
        yield base, settings, token


async def test_sign_in_claim_then_accept_on_the_page(desk: tuple[str, Settings, str], kafka: Kafka) -> None:
    from playwright.async_api import async_playwright, expect

    base, settings, token = desk
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(locale="en-US")
        await page.goto(f"{base}/queue?queue=inside-sales")
        await expect(page).to_have_url(f"{base}/signin")
        await page.fill("input[name=token]", "hd_wrong_token")
        await page.click("button:has-text('Sign in')")
        await expect(page.locator(".err")).to_contain_text("not valid")
        await page.fill("input[name=token]", token)
        await page.click("button:has-text('Sign in')")
        # The landing page lists the rep's queues.
        await expect(page.locator(".queues")).to_contain_text("inside-sales")
        await expect(page.locator(".queues")).to_contain_text("9 waiting")
        await page.click("a:has-text('inside-sales')")
        await page.click("button:has-text('Claim next')")
        lead = page.locator("#h-h-0007")
        await expect(lead.locator(".status")).to_have_text("claimed")
        await expect(lead).to_contain_text("株式会社テスト7")
        await expect(lead.locator("a[href='tel:+81312345678']")).to_have_count(1)
        await expect(lead.locator(".message")).to_contain_text("見積もりをお願いします")
        await lead.locator("button:has-text('Accept')").click()
        await expect(page.locator("#h-h-0007 .status")).to_have_text("accepted")
        await expect(page.locator(".msg")).to_contain_text("Saved")
        # A reject without choosing a reason is stopped by the form itself.
        await page.locator("#h-h-0008 button:has-text('Reject')").click()
        await expect(page.locator("#h-h-0008 .status")).to_have_text("open")
        await page.locator("#h-h-0008 select[name=reason]").select_option("duplicate")
        await page.locator("#h-h-0008 button:has-text('Reject')").click()
        await expect(page.locator(".msg")).to_contain_text("Saved")
        await expect(page.locator("#h-h-0008")).to_have_count(0)  # rejected leads leave the working list
        # Paging: 8 working leads, 5 a page.
        await expect(page.locator(".pager")).to_contain_text("Page 1 of 2")
        await page.click(".pager a:has-text('Next')")
        await expect(page.locator("article.lead")).to_have_count(3)
        await browser.close()

    engine = migrated(settings.database.url)
    with Session(engine) as session:
        stored = session.get_one(QueueItem, "h-0007")
        assert (stored.status, stored.owner) == ("accepted", REP)
        assert session.get_one(QueueItem, "h-0008").reason == "duplicate"
        actions = {(f.handoff_id, f.action, f.by) for f in session.query(FeedbackRecord)}
    engine.dispose()
    assert actions == {("h-0007", "claimed", REP), ("h-0007", "accepted", REP), ("h-0008", "rejected", REP)}
    events = read_topic(kafka.bootstrap, settings.topics.feedback, until=3)
    assert sorted((k, e["action"], e["by"]) for k, e in events) == [
        ("h-0007", "accepted", REP),
        ("h-0007", "claimed", REP),
        ("h-0008", "rejected", REP),
    ]


async def test_the_japanese_page_fits_a_phone_with_tokyo_deadlines(
    desk: tuple[str, Settings, str], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    base, _, token = desk
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(
            viewport={"width": 390, "height": 844},
            locale="ja-JP",
            extra_http_headers={"Accept-Language": "ja"},
        )
        await page.goto(f"{base}/signin")
        await expect(page.locator("h1")).to_have_text("サインイン")
        await page.fill("input[name=token]", token)
        await page.click("button:has-text('サインイン')")
        await page.click("a:has-text('inside-sales')")
        lead = page.locator("#h-h-0007")
        # Due 09:07 UTC is 18:07 in Tokyo; long past, so overdue.
        await expect(lead).to_contain_text("2026/11/02 18:07:00 (Asia/Tokyo)")
        await expect(lead.locator(".overdue")).to_contain_text("超過")
        await expect(lead).to_contain_text("対応期限")
        await expect(page.locator("button:has-text('次のリードを担当する')")).to_be_visible()
        widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1] == 390  # no sideways scrolling
        accept = lead.locator("button:has-text('受け入れる')")
        box = await accept.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390 and box["height"] >= 44
        shot = tmp_path / "rep-page-ja-390.png"
        await page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("HANDOFF_SCREENSHOTS"):
            shutil.copy(shot, os.environ["HANDOFF_SCREENSHOTS"])
        # Switch to English: remembered for the next page.
        await page.click("a:has-text('English')")
        await expect(page.locator("button:has-text('Claim next')")).to_be_visible()
        await page.reload()
        await expect(page.locator("button:has-text('Claim next')")).to_be_visible()
        await browser.close()
