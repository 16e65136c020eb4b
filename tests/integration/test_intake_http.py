"""POST /v1/leads against the real broker: every status, and what reaches the topic."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest

from schemas import LeadSubmitted
from streams.client import signed_headers
from tests.integration.intake_support import KEY, SECRET, SITE, MakeClient, lead
from tests.topic_reader import read_topic

pytestmark = pytest.mark.integration


async def test_json_lead_is_acknowledged_once_the_broker_has_it(make_client: MakeClient) -> None:
    client, settings = await make_client()
    full_width = "ＨＡＮＡＫＯ＠ｍａｒｕｂｅｎｉ-ｔｅｃｈ．ｃｏ．ｊｐ"
    resp = await client.post(
        "/v1/leads", json=lead(event_id="ev-json-1", email=full_width), headers={"X-Handoff-Key": KEY}
    )
    assert resp.status == 202, await resp.text()
    assert await resp.json() == {"event_id": "ev-json-1", "status": "accepted"}
    records = await asyncio.to_thread(read_topic, settings.kafka.bootstrap_servers, settings.topics.submitted)
    assert [key for key, _ in records] == [b"ev-json-1"]
    sent = LeadSubmitted.model_validate_json(records[0][1])
    assert sent.email.lower() == "hanako@marubeni-tech.co.jp" and sent.company == "丸紅テック株式会社"


async def test_browser_form_post_nests_fields_and_gets_an_event_id(make_client: MakeClient) -> None:
    client, settings = await make_client()
    fields = [
        ("form_id", "newsletter"),
        ("email", "taro@kougyou.co.jp"),
        ("utm_source", "linkedin"),
        ("utm[campaign]", "spring"),
        ("consent[marketing]", "true"),
        ("activity_page_views", "4"),
        ("honeypot", ""),
    ]
    resp = await client.post(
        "/v1/leads",
        data=urlencode(fields),
        headers={"Origin": SITE, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 202, await resp.text()
    assert resp.headers["Access-Control-Allow-Origin"] == SITE
    event_id = (await resp.json())["event_id"]
    records = await asyncio.to_thread(read_topic, settings.kafka.bootstrap_servers, settings.topics.submitted)
    assert [key for key, _ in records] == [event_id.encode()]
    sent = LeadSubmitted.model_validate_json(records[0][1])
    assert (sent.utm.source, sent.utm.campaign, sent.consent.marketing, sent.activity.page_views) == (
        "linkedin",
        "spring",
        True,
        4,
    )


async def test_signed_server_post_is_accepted(make_client: MakeClient) -> None:
    client, _ = await make_client()
    body = json.dumps(lead(event_id="ev-signed")).encode()
    headers = {"Content-Type": "application/json", **signed_headers(SECRET.encode(), body)}
    resp = await client.post("/v1/leads", data=body, headers=headers)
    assert resp.status == 202, await resp.text()


async def test_a_repeated_event_id_is_acknowledged_but_produced_once(make_client: MakeClient) -> None:
    client, settings = await make_client()
    answers = []
    for _ in range(3):
        resp = await client.post("/v1/leads", json=lead(event_id="ev-again"), headers={"X-Handoff-Key": KEY})
        answers.append((resp.status, await resp.json()))
    assert [status for status, _ in answers] == [202, 202, 202]
    assert {body["event_id"] for _, body in answers} == {"ev-again"}
    assert [body["status"] for _, body in answers] == ["accepted", "duplicate", "duplicate"]
    records = await asyncio.to_thread(read_topic, settings.kafka.bootstrap_servers, settings.topics.submitted)
    assert len(records) == 1


# Oversize but otherwise valid leads (JSON whitespace), so only the size check can stop them.
def padded(event_id: str) -> bytes:
    return json.dumps(lead(event_id=event_id)).encode() + b" " * 70_000


async def _oversize_chunks() -> AsyncIterator[bytes]:
    body = padded("ev-padded-chunked")
    for start in range(0, len(body), 4096):
        yield body[start : start + 4096]


async def test_refused_requests_never_reach_the_topic(make_client: MakeClient) -> None:
    client, settings = await make_client()
    ok_body = json.dumps(lead(event_id="ev-refused")).encode()
    json_type = {"Content-Type": "application/json"}
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("no credentials", {"data": ok_body, "headers": json_type}, 401, "unauthenticated"),
        (
            "wrong key",
            {"data": ok_body, "headers": {**json_type, "X-Handoff-Key": "guess"}},
            401,
            "bad_api_key",
        ),
        (
            "forged signature",
            {"data": ok_body, "headers": {**json_type, **signed_headers(b"not-the-secret", ok_body)}},
            401,
            "bad_signature",
        ),
        (
            "replayed signature",
            {
                "data": ok_body,
                "headers": {**json_type, **signed_headers(SECRET.encode(), ok_body, now=time.time() - 3600)},
            },
            401,
            "stale_signature",
        ),
        (
            "foreign origin",
            {"data": ok_body, "headers": {**json_type, "Origin": "https://evil.example"}},
            403,
            "origin_not_allowed",
        ),
        (
            "unknown form",
            {"json": lead(form_id="pricing"), "headers": {"X-Handoff-Key": KEY}},
            403,
            "unknown_form",
        ),
        (
            "oversize, declared",
            {"data": padded("ev-padded"), "headers": {**json_type, "X-Handoff-Key": KEY}},
            413,
            "too_large",
        ),
        (
            "oversize, 100-continue",
            {
                "data": padded("ev-padded-expect"),
                "expect100": True,
                "headers": {**json_type, "X-Handoff-Key": KEY},
            },
            413,
            "too_large",
        ),
        (
            "oversize, chunked",
            {"data": _oversize_chunks(), "headers": {**json_type, "X-Handoff-Key": KEY}},
            413,
            "too_large",
        ),
        (
            "multipart",
            {
                "data": b"--x--",
                "headers": {"Content-Type": "multipart/form-data; boundary=x", "X-Handoff-Key": KEY},
            },
            415,
            "unsupported_media_type",
        ),
        ("not JSON", {"data": b"{nope", "headers": {**json_type, "X-Handoff-Key": KEY}}, 400, "not_json"),
        (
            "invalid lead",
            {"json": lead(email="nope"), "headers": {"X-Handoff-Key": KEY}},
            422,
            "invalid_lead",
        ),
    ]
    wrong = []
    for name, request, status, code in cases:
        resp = await client.post("/v1/leads", **request)
        body = await resp.json()
        if (resp.status, body.get("error")) != (status, code):
            wrong.append(f"{name}: {resp.status} {body}")
    assert not wrong, wrong
    sentinel = await client.post(
        "/v1/leads", json=lead(event_id="ev-sentinel"), headers={"X-Handoff-Key": KEY}
    )
    assert sentinel.status == 202
    records = await asyncio.to_thread(read_topic, settings.kafka.bootstrap_servers, settings.topics.submitted)
    assert [key for key, _ in records] == [b"ev-sentinel"]


async def test_invalid_fields_are_named_without_their_values(make_client: MakeClient) -> None:
    client, _ = await make_client()
    resp = await client.post(
        "/v1/leads",
        headers={"X-Handoff-Key": KEY},
        json=lead(email="hanako.private@@mail", phone="0" * 90, activity={"page_views": -1}),
    )
    assert resp.status == 422
    text = await resp.text()
    assert "hanako.private" not in text and "0000" not in text
    fields = {f["path"]: f["code"] for f in json.loads(text)["fields"]}
    assert fields.keys() == {"email", "phone", "activity.page_views"}
    assert fields["phone"] == "string_too_long"


async def test_missing_form_id_is_a_field_error(make_client: MakeClient) -> None:
    client, _ = await make_client()
    resp = await client.post("/v1/leads", json={"email": "a@b.co"}, headers={"X-Handoff-Key": KEY})
    assert resp.status == 422
    assert (await resp.json())["fields"] == [{"path": "form_id", "code": "missing"}]
    resp = await client.post(
        "/v1/leads", json={"form_id": 7, "email": "a@b.co"}, headers={"X-Handoff-Key": KEY}
    )
    assert resp.status == 422
    assert (await resp.json())["fields"] == [{"path": "form_id", "code": "string_type"}]
