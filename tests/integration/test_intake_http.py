"""POST /v1/leads against the real broker: every status, and what reaches the topic."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from schemas import LeadSubmitted
from streams.client import signed_headers
from streams.core.settings import Settings
from streams.embedded.broker import EmbeddedBroker
from streams.kafka.topics import ensure_topics
from streams.web.app import build_web_app
from tests.topic_reader import read_topic

pytestmark = pytest.mark.integration

SITE = "https://www.example.co.jp"
KEY, SECRET = "demo-key-1", "demo-hmac-1"
FORMS = {"forms": {
    "demo-request": {"api_key_envs": ["TEST_DEMO_KEY"], "hmac_secret_envs": ["TEST_DEMO_HMAC"],
                     "allowed_origins": [SITE]},
    "newsletter": {"allowed_origins": [SITE]},
}}
Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[tuple[Client, Settings]]]


def lead(**fields: Any) -> dict[str, Any]:
    return {"form_id": "demo-request", "email": "hanako.sato@marubeni-tech.co.jp",
            "full_name": "佐藤 花子", "company": "丸紅テック株式会社", **fields}


@pytest.fixture
async def make_client(settings_for: Callable[..., Settings], tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MakeClient]:
    monkeypatch.setenv("TEST_DEMO_KEY", KEY)
    monkeypatch.setenv("TEST_DEMO_HMAC", SECRET)
    forms = tmp_path / "forms.yaml"
    forms.write_text(yaml.safe_dump(FORMS))
    clients: list[Client] = []

    async def make(create_topic: bool = True, **overrides: Any) -> tuple[Client, Settings]:
        settings = settings_for(**{"forms_file": forms, "intake_rate_burst": 1000, **overrides})
        if create_topic:
            await asyncio.to_thread(ensure_topics, settings, [settings.topics.submitted], partitions=2)
        client: Client = TestClient(TestServer(build_web_app(settings)))
        await client.start_server()
        clients.append(client)
        return client, settings

    yield make
    for client in clients:
        await client.close()


async def test_json_lead_is_acknowledged_once_the_broker_has_it(make_client: MakeClient) -> None:
    client, settings = await make_client()
    full_width = "ＨＡＮＡＫＯ＠ｍａｒｕｂｅｎｉ-ｔｅｃｈ．ｃｏ．ｊｐ"
    resp = await client.post("/v1/leads", json=lead(event_id="ev-json-1", email=full_width),
                             headers={"X-Handoff-Key": KEY})
    assert resp.status == 202, await resp.text()
    assert await resp.json() == {"event_id": "ev-json-1", "status": "accepted"}
    records = await asyncio.to_thread(read_topic, settings.kafka.bootstrap_servers, settings.topics.submitted)
    assert [key for key, _ in records] == [b"ev-json-1"]
    sent = LeadSubmitted.model_validate_json(records[0][1])
    assert sent.email.lower() == "hanako@marubeni-tech.co.jp" and sent.company == "丸紅テック株式会社"


async def test_browser_form_post_nests_fields_and_gets_an_event_id(make_client: MakeClient) -> None:
    client, settings = await make_client()
    fields = [("form_id", "newsletter"), ("email", "taro@kougyou.co.jp"), ("utm_source", "linkedin"),
              ("utm[campaign]", "spring"), ("consent[marketing]", "true"), ("activity_page_views", "4"),
              ("honeypot", "")]
    resp = await client.post("/v1/leads", data=urlencode(fields), headers={
        "Origin": SITE, "Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 202, await resp.text()
    assert resp.headers["Access-Control-Allow-Origin"] == SITE
    event_id = (await resp.json())["event_id"]
    records = await asyncio.to_thread(read_topic, settings.kafka.bootstrap_servers, settings.topics.submitted)
    assert [key for key, _ in records] == [event_id.encode()]
    sent = LeadSubmitted.model_validate_json(records[0][1])
    assert (sent.utm.source, sent.utm.campaign, sent.consent.marketing, sent.activity.page_views) == (
        "linkedin", "spring", True, 4)


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
        yield body[start:start + 4096]


async def test_refused_requests_never_reach_the_topic(make_client: MakeClient) -> None:
    client, settings = await make_client()
    ok_body = json.dumps(lead(event_id="ev-refused")).encode()
    json_type = {"Content-Type": "application/json"}
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("no credentials", {"data": ok_body, "headers": json_type}, 401, "unauthenticated"),
        ("wrong key", {"data": ok_body, "headers": {**json_type, "X-Handoff-Key": "guess"}},
         401, "bad_api_key"),
        ("forged signature", {"data": ok_body, "headers": {
            **json_type, **signed_headers(b"not-the-secret", ok_body)}}, 401, "bad_signature"),
        ("replayed signature", {"data": ok_body, "headers": {
            **json_type, **signed_headers(SECRET.encode(), ok_body, now=time.time() - 3600)}},
         401, "stale_signature"),
        ("foreign origin", {"data": ok_body, "headers": {**json_type, "Origin": "https://evil.example"}},
         403, "origin_not_allowed"),
        ("unknown form", {"json": lead(form_id="pricing"), "headers": {"X-Handoff-Key": KEY}},
         403, "unknown_form"),
        ("oversize, declared", {"data": padded("ev-padded"), "headers": {**json_type, "X-Handoff-Key": KEY}},
         413, "too_large"),
        ("oversize, 100-continue", {"data": padded("ev-padded-expect"), "expect100": True, "headers": {
            **json_type, "X-Handoff-Key": KEY}}, 413, "too_large"),
        ("oversize, chunked", {"data": _oversize_chunks(), "headers": {**json_type, "X-Handoff-Key": KEY}},
         413, "too_large"),
        ("multipart", {"data": b"--x--", "headers": {
            "Content-Type": "multipart/form-data; boundary=x", "X-Handoff-Key": KEY}},
         415, "unsupported_media_type"),
        ("not JSON", {"data": b"{nope", "headers": {**json_type, "X-Handoff-Key": KEY}}, 400, "not_json"),
        ("invalid lead", {"json": lead(email="nope"), "headers": {"X-Handoff-Key": KEY}},
         422, "invalid_lead"),
    ]
    wrong = []
    for name, request, status, code in cases:
        resp = await client.post("/v1/leads", **request)
        body = await resp.json()
        if (resp.status, body.get("error")) != (status, code):
            wrong.append(f"{name}: {resp.status} {body}")
    assert not wrong, wrong
    sentinel = await client.post("/v1/leads", json=lead(event_id="ev-sentinel"),
                                 headers={"X-Handoff-Key": KEY})
    assert sentinel.status == 202
    records = await asyncio.to_thread(read_topic, settings.kafka.bootstrap_servers, settings.topics.submitted)
    assert [key for key, _ in records] == [b"ev-sentinel"]


async def test_invalid_fields_are_named_without_their_values(make_client: MakeClient) -> None:
    client, _ = await make_client()
    resp = await client.post("/v1/leads", headers={"X-Handoff-Key": KEY}, json=lead(
        email="hanako.private@@mail", phone="0" * 90, activity={"page_views": -1}))
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
    resp = await client.post("/v1/leads", json={"form_id": 7, "email": "a@b.co"},
                             headers={"X-Handoff-Key": KEY})
    assert resp.status == 422
    assert (await resp.json())["fields"] == [{"path": "form_id", "code": "string_type"}]


async def test_a_flood_of_browser_posts_gets_429_with_retry_after(make_client: MakeClient) -> None:
    client, _ = await make_client(intake_rate_burst=2, intake_rate_per_s=0.01)
    statuses = []
    for index in range(3):
        resp = await client.post("/v1/leads", json=lead(form_id="newsletter", event_id=f"ev-flood-{index}"),
                                 headers={"Origin": SITE})
        statuses.append(resp.status)
    assert statuses == [202, 202, 429]
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["Access-Control-Allow-Origin"] == SITE  # the page's script can read it


async def test_behind_a_proxy_the_address_it_recorded_is_limited(make_client: MakeClient) -> None:
    client, _ = await make_client(intake_rate_burst=1, intake_rate_per_s=0.01,
                                  intake_trust_forwarded_for=True)
    statuses = []
    for index, forwarded in enumerate(["198.51.100.7, 203.0.113.1", "198.51.100.7, 203.0.113.2",
                                       "192.0.2.99, 203.0.113.1"]):  # a spoofed first entry
        resp = await client.post("/v1/leads", json=lead(form_id="newsletter", event_id=f"ev-xff-{index}"),
                                 headers={"Origin": SITE, "X-Forwarded-For": forwarded})
        statuses.append(resp.status)
    assert statuses == [202, 202, 429]


async def test_a_backend_with_a_key_is_limited_only_when_refused(make_client: MakeClient) -> None:
    client, _ = await make_client(intake_rate_burst=2, intake_rate_per_s=0.01)
    relayed = [await client.post("/v1/leads", json=lead(event_id=f"ev-relay-{i}"),
                                 headers={"X-Handoff-Key": KEY}) for i in range(4)]
    assert [r.status for r in relayed] == [202, 202, 202, 202]
    guesses = [await client.post("/v1/leads", json=lead(), headers={"X-Handoff-Key": f"guess-{i}"})
               for i in range(3)]
    assert [r.status for r in guesses] == [401, 401, 429]


async def test_preflight_allows_only_configured_origins(make_client: MakeClient) -> None:
    client, _ = await make_client(create_topic=False)
    resp = await client.options("/v1/leads", headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == SITE
    assert "Content-Type" in resp.headers["Access-Control-Allow-Headers"]
    resp = await client.options("/v1/leads", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert resp.status == 403 and "Access-Control-Allow-Origin" not in resp.headers


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_broker_outage_is_503_and_nothing_is_acknowledged(make_client: MakeClient) -> None:
    client, _ = await make_client(create_topic=False, intake_send_timeout_s=1.0,
                                  kafka_bootstrap_servers=f"127.0.0.1:{_closed_port()}")
    for _ in range(2):  # a failed lead is not remembered as seen: the retry is tried again
        resp = await client.post("/v1/leads", json=lead(event_id="ev-outage"), headers={"X-Handoff-Key": KEY})
        body = await resp.json()
        assert resp.status == 503, body
        assert body["error"] == "broker_unavailable" and body["event_id"] == "ev-outage"
        assert "retry" in body["detail"]


async def test_snippet_and_example_form_are_served(make_client: MakeClient) -> None:
    client, _ = await make_client(create_topic=False)
    page = await client.get("/form/example")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert 'name="honeypot"' in html and "/static/handoff.js" in html
    script = await client.get("/static/handoff.js")
    assert script.status == 200 and "javascript" in script.content_type
    assert "data-handoff-form" in await script.text()


async def test_a_client_that_waits_for_100_continue_gets_its_lead_accepted(make_client: MakeClient) -> None:
    client, settings = await make_client()
    resp = await client.post("/v1/leads", json=lead(event_id="ev-expect"), expect100=True,
                             headers={"X-Handoff-Key": KEY})
    assert resp.status == 202, await resp.text()
    records = await asyncio.to_thread(read_topic, settings.kafka.bootstrap_servers, settings.topics.submitted)
    assert [key for key, _ in records] == [b"ev-expect"]


async def test_a_broker_that_goes_down_turns_acknowledgements_into_503(make_client: MakeClient) -> None:
    broker = await asyncio.to_thread(EmbeddedBroker().start)
    try:
        client, _ = await make_client(kafka_bootstrap_servers=broker.bootstrap, intake_send_timeout_s=1.0)
        resp = await client.post("/v1/leads", json=lead(event_id="ev-before"), headers={"X-Handoff-Key": KEY})
        assert resp.status == 202
    finally:
        await asyncio.to_thread(broker.stop, timeout_s=2.0)
    resp = await client.post("/v1/leads", json=lead(event_id="ev-during"), headers={"X-Handoff-Key": KEY})
    body = await resp.json()
    assert resp.status == 503 and body["error"] == "broker_unavailable", body
