"""A person fills the example form in headless Chromium; the lead lands in the sales queue.

Runs the real processes: `handoff serve`, `handoff worker` and `handoff sink` against the
session broker, with unique topics, a fresh SQLite file and a forms file.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sinks.models import QueueItem
from sinks.store import create_schema, make_engine
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from streams.web.site import EXAMPLE_FORM
from tests.topic_reader import read_topic

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# The service's own pages, and a partner site on another origin (another port).
FORMS_YAML = "forms:\n  demo-request:\n    allowed_origins: [self, 'http://127.0.0.1:{partner}']\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _logs(folder: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(folder.glob("*.log"))
    )


@dataclass(frozen=True)
class Site:
    base: str
    partner: str
    settings: Settings
    logs: Path


@contextlib.contextmanager
def _partner_site(port: int, html: str) -> Iterator[str]:
    """Another website (another origin) whose contact page embeds the snippet."""
    body = html.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/contact"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


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
def site(settings_for: Callable[..., Settings], tmp_path: Path) -> Iterator[Site]:
    """Worker, sink and HTTP service as child processes, and a partner site on another origin."""
    port, partner = _free_port(), _free_port()
    forms = tmp_path / "forms.yaml"
    forms.write_text(FORMS_YAML.format(partner=partner), "utf-8")
    settings = settings_for(forms_file=forms)
    engine = make_engine(settings.database.url)
    create_schema(engine)
    engine.dispose()
    ensure_topics(settings)
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {**os.environ, **settings.to_env()}
    children: list[subprocess.Popen[bytes]] = []
    try:
        for role in (["worker"], ["sink"], ["serve", "--only", "intake", "--port", str(port)]):
            with open(logs / f"{role[0]}.log", "ab") as out:
                children.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "streams.cli", *role],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        base = f"http://127.0.0.1:{port}"
        _wait_for_health(base, children[-1], logs)
        html = (
            EXAMPLE_FORM.read_text("utf-8")
            .replace('data-handoff-endpoint="/v1/leads"', f'data-handoff-endpoint="{base}/v1/leads"')
            .replace('src="/static/handoff.js"', f'src="{base}/static/handoff.js"')
        )
        with _partner_site(partner, html) as partner_url:
            yield Site(base, partner_url, settings, logs)
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
    engine = make_engine(settings.database.url)
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
        for _, value in read_topic(settings.kafka.bootstrap_servers, settings.topics.nurture):
            event = orjson.loads(value)
            if event["event_id"] == event_id:
                return dict(event)
        assert time.monotonic() < deadline, f"{event_id} not in {settings.topics.nurture}"
        time.sleep(0.3)


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (.ci/run installs Debian's chromium)"
)
def test_a_person_fills_the_form_and_sales_gets_the_lead(site: Site) -> None:
    from playwright.sync_api import sync_playwright

    base, settings, logs = site.base, site.settings, site.logs
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

            # A partner site on another origin embeds the snippet: CORS preflight, then the post.
            page.goto(site.partner)
            page.fill("#email", "kenji.ito@nishinihon-denki.co.jp")
            page.fill("#full_name", "伊藤 健二")
            page.fill("#company", "西日本電機株式会社")
            page.fill("#job_title", "情報システム部長")
            with page.expect_response(f"{base}/v1/leads") as partner_answer:
                page.click("button[type=submit]")
            assert partner_answer.value.status == 202
            partner_origin = site.partner.rsplit("/", 1)[0]
            assert partner_answer.value.headers["access-control-allow-origin"] == partner_origin
            page.wait_for_selector("form[data-handoff-state=sent]")
        finally:
            browser.close()

    row = _queued(settings, "hanako.sato@marubeni-tech.co.jp", logs)
    assert row.event_id == event_id and row.status == "open"
    assert (row.company, row.stage) == ("丸紅テック株式会社", "SQL")
    assert row.handoff["source"]["form_id"] == "demo-request"
    assert row.handoff["source"]["utm"]["source"] == "newsletter"
    assert row.handoff["source"]["page_url"].startswith(f"{base}/form/example")
    assert _queued(settings, "kenji.ito@nishinihon-denki.co.jp", logs).company == "西日本電機株式会社"
    nurtured = _nurtured(settings, bot_event)
    assert nurtured["disposition"] == "disqualified"
    assert any(r["rule"] == "disqualify.honeypot" for r in nurtured["reasons"])
