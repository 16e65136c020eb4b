"""POST /v1/leads limits and edges against the real broker: rates, preflight, outages, 100-continue."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp.test_utils import TestClient, TestServer

from streams.embedded.broker import EmbeddedBroker
from streams.web.app import build_desk_app
from tests.integration.intake_support import KEY, SITE, Client, MakeClient, lead
from tests.topic_reader import read_topic

pytestmark = pytest.mark.integration


async def test_a_flood_of_browser_posts_gets_429_with_retry_after(make_client: MakeClient) -> None:
    client, _ = await make_client(intake_rate_burst=2, intake_rate_per_s=0.01)
    statuses = []
    for index in range(3):
        resp = await client.post(
            "/v1/leads",
            json=lead(form_id="newsletter", event_id=f"ev-flood-{index}"),
            headers={"Origin": SITE},
        )
        statuses.append(resp.status)
    assert statuses == [202, 202, 429]
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["Access-Control-Allow-Origin"] == SITE  # the page's script can read it


async def test_behind_a_proxy_the_address_it_recorded_is_limited(make_client: MakeClient) -> None:
    client, _ = await make_client(
        intake_rate_burst=1, intake_rate_per_s=0.01, intake_trust_forwarded_for=True
    )
    statuses = []
    for index, forwarded in enumerate(
        ["198.51.100.7, 203.0.113.1", "198.51.100.7, 203.0.113.2", "192.0.2.99, 203.0.113.1"]
    ):  # a spoofed first entry
        resp = await client.post(
            "/v1/leads",
            json=lead(form_id="newsletter", event_id=f"ev-xff-{index}"),
            headers={"Origin": SITE, "X-Forwarded-For": forwarded},
        )
        statuses.append(resp.status)
    assert statuses == [202, 202, 429]


async def test_a_backend_with_a_key_is_limited_only_when_refused(make_client: MakeClient) -> None:
    client, _ = await make_client(intake_rate_burst=2, intake_rate_per_s=0.01)
    relayed = [
        await client.post("/v1/leads", json=lead(event_id=f"ev-relay-{i}"), headers={"X-Handoff-Key": KEY})
        for i in range(4)
    ]
    assert [r.status for r in relayed] == [202, 202, 202, 202]
    guesses = [
        await client.post("/v1/leads", json=lead(), headers={"X-Handoff-Key": f"guess-{i}"}) for i in range(3)
    ]
    assert [r.status for r in guesses] == [401, 401, 429]


async def test_a_key_is_not_throttled_by_the_address_browsers_emptied(make_client: MakeClient) -> None:
    client, _ = await make_client(intake_rate_burst=2, intake_rate_per_s=0.01)
    browser = [
        await client.post(
            "/v1/leads", json=lead(form_id="newsletter", event_id=f"ev-mix-{i}"), headers={"Origin": SITE}
        )
        for i in range(3)
    ]
    assert [r.status for r in browser] == [202, 202, 429]  # the address's browser bucket is empty
    keyed = await client.post("/v1/leads", json=lead(event_id="ev-mix-key"), headers={"X-Handoff-Key": KEY})
    assert keyed.status == 202


async def test_metrics_count_intake_requests_by_form_and_status(make_client: MakeClient) -> None:
    client, settings = await make_client()
    # /metrics is on the desk listener of the same process.
    desk: Client = TestClient(TestServer(build_desk_app(settings.replace(desk_auth="none"))))
    await desk.start_server()
    try:
        await _count_intake(client, desk)
    finally:
        await desk.close()


async def _count_intake(client: Client, desk: Client) -> None:
    before = _intake_count(await (await desk.get("/metrics")).text(), "demo-request", "202")
    for i in range(2):
        sent = await client.post("/v1/leads", json=lead(event_id=f"ev-m-{i}"), headers={"X-Handoff-Key": KEY})
        assert sent.status == 202
    bad = await client.post("/v1/leads", json=lead(employees=[1]), headers={"X-Handoff-Key": KEY})
    assert bad.status == 422
    text = await (await desk.get("/metrics")).text()
    assert _intake_count(text, "demo-request", "202") == before + 2
    assert _intake_count(text, "demo-request", "422") >= 1
    assert "handoff_intake_request_seconds_bucket" in text
    # The sink's and the stream workers' families belong to those processes.
    assert "handoff_sink_handoffs_total" not in text and "handoff_outcomes_total" not in text


def _intake_count(text: str, form: str, status: str) -> float:
    for line in text.splitlines():
        if line.startswith(f'handoff_intake_requests_total{{form="{form}",status="{status}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_preflight_allows_only_configured_origins(make_client: MakeClient) -> None:
    client, _ = await make_client(create_topic=False)
    resp = await client.options(
        "/v1/leads",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == SITE
    assert "Content-Type" in resp.headers["Access-Control-Allow-Headers"]
    resp = await client.options(
        "/v1/leads", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert resp.status == 403 and "Access-Control-Allow-Origin" not in resp.headers


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_broker_outage_is_503_and_nothing_is_acknowledged(make_client: MakeClient) -> None:
    client, _ = await make_client(
        create_topic=False, intake_send_timeout_s=1.0, kafka_bootstrap_servers=f"127.0.0.1:{_closed_port()}"
    )
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
    resp = await client.post(
        "/v1/leads", json=lead(event_id="ev-expect"), expect100=True, headers={"X-Handoff-Key": KEY}
    )
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
