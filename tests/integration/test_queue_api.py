"""The sales queue JSON API on a real database and the session broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session

from sinks.queue import record_handoffs
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from streams.web.app import build_web_app
from tests.conftest import Kafka
from tests.sales_factory import T0, handoff, migrated, read_topic

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(settings_for: Callable[..., Settings], unique: Callable[[str], str]) -> Settings:
    settings = settings_for(topic_erasure=unique("leads.erasure"))
    ensure_topics(settings, [settings.topics.feedback], partitions=2)
    engine = migrated(settings.database.url)
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, now=T0, events=[handoff(1), handoff(2), handoff(3, owner="sato")])
    engine.dispose()
    return settings


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(build_web_app(settings))) as client:
        yield client


async def test_a_rep_works_the_queue_over_http(
    client: TestClient,  # type: ignore[type-arg]
    settings: Settings,
    kafka: Kafka,
) -> None:
    resp = await client.post("/api/queue/inside-sales/next", json={"rep": "tanaka"})
    body = await resp.json()
    assert resp.status == 200 and body["published"] is True
    assert (body["item"]["handoff_id"], body["item"]["status"]) == ("h-0001", "claimed")

    resp = await client.post("/api/handoffs/h-0001/accept", json={"rep": "sato"})
    assert resp.status == 403 and "belongs to tanaka" in (await resp.json())["detail"]
    resp = await client.post("/api/handoffs/h-0001/reject", json={"rep": "tanaka", "reason": "meh"})
    assert resp.status == 422 and (await resp.json())["error"] == "BadReason"
    resp = await client.post("/api/handoffs/h-0001/won", json={"rep": "tanaka"})
    assert resp.status == 409
    resp = await client.post("/api/handoffs/h-0001/accept", json={})
    assert resp.status == 422
    assert (await client.get("/api/handoffs/nope")).status == 404
    assert (await client.post("/api/handoffs/h-0001/approve", json={"rep": "x"})).status == 404
    resp = await client.post("/api/handoffs/h-0003/claim", json={"rep": "tanaka"})
    assert resp.status == 403 and "belongs to sato" in (await resp.json())["detail"]

    for action in ("accept", "contacted", "won"):
        resp = await client.post(f"/api/handoffs/h-0001/{action}", headers={"X-Handoff-Rep": "tanaka"})
        assert resp.status == 200, await resp.text()
    assert (await (await client.get("/api/handoffs/h-0001")).json())["status"] == "closed"

    resp = await client.post("/api/queue/inside-sales/next", json={"rep": "tanaka"})
    second = (await resp.json())["item"]["handoff_id"]
    assert second == "h-0002"  # h-0003 belongs to sato
    resp = await client.post(f"/api/handoffs/{second}/reject", json={"rep": "tanaka", "reason": "spam"})
    assert (await resp.json())["item"]["reason"] == "spam"
    assert (await (await client.post("/api/queue/inside-sales/next", json={"rep": "tanaka"})).json()) == {
        "item": None,
        "published": None,
    }

    mine = await (await client.get("/api/queue", params={"owner": "tanaka"})).json()
    assert [i["status"] for i in mine["items"]] == ["closed", "rejected"]
    funnel = await (await client.get("/api/report/funnel", params={"by": "queue"})).json()
    assert funnel["rows"][0] | {"median_first_touch_s": None} == {
        "key": "inside-sales",
        "handed_off": 3,
        "accepted": 1,
        "rejected": 1,
        "won": 1,
        "lost": 0,
        "rejected_by_reason": {"spam": 1},
        "lost_by_reason": {},
        "median_first_touch_s": None,
    }
    assert (await client.get("/api/report/funnel", params={"by": "colour"})).status == 422

    events = read_topic(kafka.bootstrap, settings.topics.feedback, until=6)
    assert sorted((key, e["action"], e["by"]) for key, e in events) == [
        ("h-0001", "accepted", "tanaka"),
        ("h-0001", "claimed", "tanaka"),
        ("h-0001", "contacted", "tanaka"),
        ("h-0001", "won", "tanaka"),
        ("h-0002", "claimed", "tanaka"),
        ("h-0002", "rejected", "tanaka"),
    ]
