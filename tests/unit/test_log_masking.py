"""PII masking of log lines: emails and phone numbers, half- and full-width."""

from __future__ import annotations

import json
import logging
import re

import pytest

from streams.core.logging import JsonFormatter, install_masking, mask_pii

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("handoff to taro.yamada@example.co.jp now", "handoff to t***@example.co.jp now"),
        ("ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏ．ｊｐ", "ｔ***@ＥＸＡＭＰＬＥ．ｃｏ．ｊｐ"),
        ("call 03-1234-5678 today", "call ***78 today"),
        ("call ０３－１２３４－５６７８", "call ***７８"),
        ("+81 90 1234 5678", "***78"),
        ("(555) 010-4477 x", "***77 x"),
        ("(541)785-8369x492", "***92"),
        # Not phone numbers: offsets, counts, dates, times, topic positions.
        ("dead letter at leads.submitted/3/132", "dead letter at leads.submitted/3/132"),
        ("wrote 500 handoffs in 12 ms", "wrote 500 handoffs in 12 ms"),
        ("2026-11-28 07:34:07", "2026-11-28 07:34:07"),
        ("no personal data here", "no personal data here"),
    ],
)
def test_mask_pii(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


def test_every_record_is_masked_and_formatted_as_json() -> None:
    install_masking()
    install_masking()  # idempotent
    record = logging.getLogger("handoff.test").makeRecord(
        "handoff.test",
        logging.WARNING,
        __file__,
        1,
        "lead %s phone %s",
        ("a.b@corp.example", "03-1234-5678"),
        None,
    )
    assert record.getMessage() == "lead a***@corp.example phone ***78"
    try:
        raise ValueError("bad email hanako@example.jp")
    except ValueError:
        import sys

        failing = logging.getLogger("handoff.test").makeRecord(
            "handoff.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    doc = json.loads(JsonFormatter().format(failing))
    assert doc["level"] == "error" and doc["msg"] == "failed"
    assert "hanako@" not in doc["error"] and "h***@example.jp" in doc["error"]


async def test_access_log_status_and_size_are_left_alone() -> None:
    """A real aiohttp access log line for a 1,000+ byte answer keeps its status and size."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    install_masking()
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    async def big(_request: web.Request) -> web.Response:
        return web.Response(text="x" * 1234 + " call 03-1234-5678")

    app = web.Application()
    app.router.add_get("/metrics", big)
    access = logging.getLogger("aiohttp.access")
    handler, level = Keep(), access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/metrics", headers={"Referer": "tel:03-1234-5678"})
            assert len(await response.read()) > 1000
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    msg = json.loads(lines[-1])["msg"]
    # The size aiohttp logs counts the headers too: a four-digit number, unmasked.
    assert re.search(r'"GET /metrics HTTP/1\.1" 200 1\d{3} "', msg), msg
    assert "1234-5678" not in msg  # the phone number in the Referer is still masked
