"""A person fills the example form in headless Chromium; the lead lands in the sales queue.

Runs the real processes: `handoff serve`, `handoff worker` and `handoff sink` against the
session broker, with unique topics, a fresh SQLite file and a forms file.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sinks.models import QueueItem
from sinks.store import create_schema, make_engine
from streams.runtime.settings import Settings
from streams.runtime.supervisor import settings_env
from streams.runtime.topics import ensure_topics
from tests.topic_reader import read_topic

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FORMS_YAML = "forms:\n  demo-request:\n    allowed_origins: [self]\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                     for p in sorted(folder.glob("*.log")))


def _wait_for_health(base: str, serve: subprocess.Popen[bytes], logs: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=1):  # noqa: S310 - our own service
                return
        except OSError:
            assert serve.poll() is None and time.monotonic() < deadline, _logs(logs)
            time.sleep(0.1)


@pytest.fixture
def site(settings_for: Callable[..., Settings], tmp_path: Path) -> Iterator[tuple[str, Settings, Path]]:
    """Worker, sink and HTTP service as child processes; yields the base URL, settings, log folder."""
    forms = tmp_path / "forms.yaml"
    forms.write_text(FORMS_YAML, "utf-8")
    settings = settings_for(forms_file=forms)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    engine.dispose()
    ensure_topics(settings)
    logs = tmp_path / "logs"
    logs.mkdir()
    port = _free_port()
    env = {**os.environ, **settings_env(settings)}
    children: list[subprocess.Popen[bytes]] = []
    try:
        for role in (["worker"], ["sink"], ["serve", "--port", str(port)]):
            with open(logs / f"{role[0]}.log", "ab") as out:
                children.append(subprocess.Popen([sys.executable, "-m", "streams.runtime.cli", *role],
                                                 env=env, stdout=out, stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{port}"
        _wait_for_health(base, children[-1], logs)
        yield base, settings, logs
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _queued(settings: Settings, email: str, stack_logs: Path, timeout_s: float = 90) -> QueueItem:
    engine = make_engine(settings.database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with Session(engine) as session:
                row = session.scalars(select(QueueItem).where(QueueItem.email == email)).first()
            if row is not None:
                return row
            assert time.monotonic() < deadline, f"{email} not in sales_queue\n{_logs(stack_logs)}"
            time.sleep(0.2)
    finally:
        engine.dispose()


def _nurtured(settings: Settings, event_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        for _, value in read_topic(settings.kafka_bootstrap_servers, settings.topic_nurture):
            event = orjson.loads(value)
            if event["event_id"] == event_id:
                return dict(event)
        assert time.monotonic() < deadline, f"{event_id} not in {settings.topic_nurture}"
        time.sleep(0.3)


@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason=f"{CHROMIUM} is absent (.ci/run installs Debian's chromium)")
def test_a_person_fills_the_form_and_sales_gets_the_lead(site: tuple[str, Settings, Path]) -> None:
    from playwright.sync_api import sync_playwright

    base, settings, logs = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/form/example?utm_source=newsletter&utm_campaign=autumn")
            honeypot = page.locator("#website").bounding_box()
            assert honeypot is not None and honeypot["x"] + honeypot["width"] <= 0  # off-screen
            page.fill("#email", "ｈａｎａｋｏ．ｓａｔｏ＠ｍａｒｕｂｅｎｉ-ｔｅｃｈ．ｃｏ．ｊｐ")
            page.fill("#full_name", "佐藤 花子")
            page.fill("#company", "丸紅テック株式会社")
            page.fill("#job_title", "営業部長")
            page.fill("#phone", "０３－１２３４－５６７８")
            page.select_option("#employees", "250-999")
            page.select_option("#timeline", "this quarter")
            page.check("#consent_marketing")
            with page.expect_response("**/v1/leads") as answer:
                page.click("button[type=submit]")
            assert answer.value.status == 202, answer.value.text()
            event_id = answer.value.json()["event_id"]
            page.wait_for_selector("form[data-handoff-state=sent]")

            # A bot fills every input, the hidden one too: accepted quietly, never queued.
            page.fill("#email", "buyer@kougyou-shoji.co.jp")
            page.fill("#full_name", "Bot")
            page.fill("#website", "http://cheap-pills.example")
            with page.expect_response("**/v1/leads") as bot_answer:
                page.click("button[type=submit]")
            assert bot_answer.value.status == 202
            bot_event = bot_answer.value.json()["event_id"]
        finally:
            browser.close()

    row = _queued(settings, "hanako.sato@marubeni-tech.co.jp", logs)
    assert row.event_id == event_id and row.status == "open"
    assert (row.company, row.stage) == ("丸紅テック株式会社", "SQL")
    assert row.handoff["source"]["form_id"] == "demo-request"
    assert row.handoff["source"]["utm"]["source"] == "newsletter"
    assert row.handoff["source"]["page_url"].startswith(f"{base}/form/example")
    nurtured = _nurtured(settings, bot_event)
    assert nurtured["disposition"] == "disqualified"
    assert any(r["rule"] == "disqualify.honeypot" for r in nurtured["reasons"])
