"""POST /api/feedback: an integration user's Feedback and CRM payloads reach leads.feedback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from schemas import Feedback, FeedbackAction
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from streams.web.app import build_desk_app
from streams.web.identity import Identity
from tests.desk_support import bearer, new_token
from tests.sales_factory import migrated
from tests.topic_reader import read_topic

SINKS = """feedback:
  - {source: kintone, id_field: handoff_id, statuses: {商談中: contacted, 受注: won}}
  - {source: salesforce, id_field: Handoff_Id__c, by_field: OwnerId,
     statuses: {"Closed - Not Converted": lost}}
"""


@pytest.fixture
def settings(settings_for: Callable[..., Settings], tmp_path: Path) -> Settings:
    (tmp_path / "sinks.yaml").write_text(SINKS, encoding="utf-8")
    made = settings_for(sinks_file=str(tmp_path / "sinks.yaml"), database_url=f"sqlite:///{tmp_path}/desk.db")
    ensure_topics(made, [made.topics.feedback])
    return made


@pytest.fixture
async def client_as(settings: Settings) -> AsyncIterator[Callable[[Identity | None], Any]]:
    """A client of the real desk app that signs in as ``who`` with a fresh token (None: no token)."""
    engine = migrated(settings.database.url)
    clients: list[TestClient] = []  # type: ignore[type-arg]

    async def make(who: Identity | None) -> TestClient:  # type: ignore[type-arg]
        headers = {}
        if who is not None:
            headers = bearer(new_token(engine, who.name, role=who.role))
        client: TestClient = TestClient(  # type: ignore[type-arg]
            TestServer(build_desk_app(settings)), headers=headers
        )
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for c in clients:
        await c.close()
    engine.dispose()


INTEGRATION = Identity("crm-sync", "integration")


async def test_feedback_and_crm_payloads_are_published_for_the_integration_user(
    settings: Settings, client_as: Callable[[Identity | None], Any]
) -> None:
    client = await client_as(INTEGRATION)
    direct = {"handoff_id": "h-1", "action": "accepted", "by": "sato", "at": "2026-11-02T09:00:00+00:00"}
    resp = await client.post("/api/feedback", json=direct)
    assert resp.status == 202, await resp.text()
    kintone = {
        "type": "UPDATE_STATUS",
        "record": {"handoff_id": {"type": "SINGLE_LINE_TEXT", "value": "h-2"}},
        "nextStatus": {"type": "STATUS", "value": "受注"},
    }
    assert (await client.post("/api/feedback/kintone", json=kintone)).status == 202
    sf = {"Handoff_Id__c": "h-3", "Status": "Closed - Not Converted", "OwnerId": "005A"}
    assert (await client.post("/api/feedback/salesforce", json=sf)).status == 202
    ignored = await client.post("/api/feedback/salesforce", json={"Handoff_Id__c": "h-3", "Status": "Open"})
    assert ignored.status == 200 and "ignored" in await ignored.json()
    assert (await client.post("/api/feedback/hubspot", json={})).status == 404
    bad = await client.post("/api/feedback", json={"handoff_id": "h-1", "action": "maybe"})
    assert bad.status == 422 and (await bad.json())["detail"].startswith("action:")
    published = [
        (key, Feedback.model_validate_json(value))
        for key, value in read_topic(settings.kafka.bootstrap_servers, settings.topics.feedback)
    ]
    assert sorted((k, e.action, e.by) for k, e in published) == [
        (b"h-1", FeedbackAction.ACCEPTED, "sato"),
        (b"h-2", FeedbackAction.WON, "kintone"),
        (b"h-3", FeedbackAction.LOST, "salesforce:005A"),
    ]


async def test_without_a_signed_in_integration_user_the_route_refuses(
    client_as: Callable[[Identity | None], Any],
) -> None:
    body = {"handoff_id": "h-1", "action": "won", "at": "2026-11-02T09:00:00+00:00"}
    anonymous = await client_as(None)
    resp = await anonymous.post("/api/feedback", json=body)
    assert resp.status == 401 and (await resp.json())["error"] == "unauthenticated"
    rep = await client_as(Identity("sato", "rep"))
    assert (await rep.post("/api/feedback/kintone", json={})).status == 403
