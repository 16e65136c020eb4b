"""A rep claims and accepts a lead on the page in headless Chromium; the database and
``leads.feedback`` both show it."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from aiohttp import web
from sqlalchemy.orm import Session

from sinks.models import FeedbackRecord, QueueItem
from sinks.queue import record_handoffs
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from streams.web.app import build_web_app
from tests.conftest import Kafka
from tests.sales_factory import T0, handoff, migrated, read_topic

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed (see .ci/run)")
async def test_claim_then_accept_on_the_page(settings_for: Callable[..., Settings], kafka: Kafka) -> None:
    from playwright.async_api import async_playwright, expect

    settings = settings_for()
    ensure_topics(settings, [settings.topics.feedback], partitions=2)
    engine = migrated(settings.database.url)
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, now=T0, events=[handoff(7), handoff(8)])
    runner = web.AppRunner(build_web_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = await browser.new_page()
            await page.goto(f"http://127.0.0.1:{port}/queue")
            await page.fill("input[name=rep]", "tanaka.hiro")
            await page.fill("input[name=queue]", "inside-sales")
            await page.click("text=Open my queue")
            await expect(page.locator("body")).to_contain_text("No leads yet")
            await expect(page.locator("body")).to_contain_text("2 waiting in inside-sales")
            await page.click("button:has-text('Claim next')")
            row = page.locator("#h-h-0007")
            await expect(row.locator(".status")).to_have_text("claimed")
            await expect(row).to_contain_text("株式会社テスト7")
            await row.locator("button:has-text('Accept')").click()
            await expect(page.locator("#h-h-0007 .status")).to_have_text("accepted")
            await expect(page.locator(".msg")).to_contain_text("accepted")
            await expect(page.locator("body")).to_contain_text("1 waiting in inside-sales")
            # A reject without choosing a reason is stopped by the form itself.
            await page.click("button:has-text('Claim next')")
            await page.locator("#h-h-0008 button:has-text('Reject')").click()
            await expect(page.locator("#h-h-0008 .status")).to_have_text("claimed")
            await page.locator("#h-h-0008 select[name=reason]").select_option("duplicate")
            await page.locator("#h-h-0008 button:has-text('Reject')").click()
            await expect(page.locator(".msg")).to_contain_text("rejected")
            await expect(page.locator("#h-h-0008")).to_have_count(0)  # rejected leads leave my list
            await browser.close()
    finally:
        await runner.cleanup()

    with Session(engine) as session:
        stored = session.get_one(QueueItem, "h-0007")
        assert (stored.status, stored.owner) == ("accepted", "tanaka.hiro")
        assert session.get_one(QueueItem, "h-0008").reason == "duplicate"
        actions = {(f.handoff_id, f.action) for f in session.query(FeedbackRecord)}
    engine.dispose()
    assert actions == {
        ("h-0007", "claimed"),
        ("h-0007", "accepted"),
        ("h-0008", "claimed"),
        ("h-0008", "rejected"),
    }
    events = read_topic(kafka.bootstrap, settings.topics.feedback, until=4)
    assert sorted((k, e["action"], e["by"]) for k, e in events) == [
        ("h-0007", "accepted", "tanaka.hiro"),
        ("h-0007", "claimed", "tanaka.hiro"),
        ("h-0008", "claimed", "tanaka.hiro"),
        ("h-0008", "rejected", "tanaka.hiro"),
    ]
