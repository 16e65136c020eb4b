"""The sales queue JSON API on the desk, signed in with real tokens, on a real database and broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session

from sinks.queue import record_handoffs
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from streams.web.app import build_desk_app
from tests.conftest import Kafka
from tests.desk_support import bearer, new_token
from tests.sales_factory import T0, handoff, migrated, read_topic

pytestmark = pytest.mark.integration

# Reps of the shipped policy: tanaka.hiro and takahashi.mei work inside-sales, sato.kenji enterprise.
TANAKA, TAKAHASHI, SATO = "tanaka.hiro", "takahashi.mei", "sato.kenji"


@pytest.fixture
def tokens(
    settings_for: Callable[..., Settings], unique: Callable[[str], str]
) -> tuple[Settings, dict[str, str]]:
    settings = settings_for(topic_erasure=unique("leads.erasure"))
    ensure_topics(settings, [settings.topics.feedback], partitions=2)
    engine = migrated(settings.database.url)
    with Session(engine) as session, session.begin():
        record_handoffs(
            session=session,
            now=T0,
            events=[handoff(1, message="見積もりをお願いします"), handoff(2), handoff(3, owner=TAKAHASHI)],
        )
    made = {name: new_token(engine, name) for name in (TANAKA, TAKAHASHI, SATO)}
    made["boss"] = new_token(engine, "boss", "manager")
    engine.dispose()
    return settings, made


@pytest.fixture
async def client(tokens: tuple[Settings, dict[str, str]]) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(build_desk_app(tokens[0]))) as client:
        yield client


async def test_a_rep_works_the_queue_over_http(
    client: TestClient,  # type: ignore[type-arg]
    tokens: tuple[Settings, dict[str, str]],
    kafka: Kafka,
) -> None:
    settings, token = tokens
    me = bearer(token[TANAKA])
    resp = await client.post("/api/queue/inside-sales/next", headers=me)
    body = await resp.json()
    assert resp.status == 200 and body["published"] is True
    item = body["item"]
    assert (item["handoff_id"], item["status"], item["owner"]) == ("h-0001", "claimed", TANAKA)
    # What a rep needs to call the lead comes with it.
    assert item["phone"] == "+81312345678" and item["message"] == "見積もりをお願いします"
    assert item["reasons"][0] == {
        "rule": "fit.business_email",
        "points": 15,
        "detail": "business domain c1.jp",
    }
    assert (item["fit"], item["intent"], item["campaign"]) == (40, 40, "expo-tokyo")

    resp = await client.post("/api/handoffs/h-0001/accept", headers=bearer(token[TAKAHASHI]))
    assert resp.status == 403 and (await resp.json())["error"] == "forbidden"
    resp = await client.post("/api/handoffs/h-0001/reject", headers=me, json={"reason": "meh"})
    assert resp.status == 422 and (await resp.json())["error"] == "BadReason"
    assert (await client.post("/api/handoffs/h-0001/won", headers=me)).status == 409
    assert (await client.get("/api/handoffs/nope", headers=me)).status == 404
    assert (await client.post("/api/handoffs/h-0001/approve", headers=me)).status == 404
    # takahashi.mei's lead is not tanaka's to see or claim.
    assert (await client.get("/api/handoffs/h-0003", headers=me)).status == 403
    assert (await client.post("/api/handoffs/h-0003/claim", headers=me)).status == 403
    # A rep of another queue may not take from inside-sales.
    assert (await client.post("/api/queue/inside-sales/next", headers=bearer(token[SATO]))).status == 403

    for action in ("accept", "contacted", "won"):
        resp = await client.post(f"/api/handoffs/h-0001/{action}", headers=me)
        assert resp.status == 200, await resp.text()
    assert (await (await client.get("/api/handoffs/h-0001", headers=me)).json())["status"] == "closed"

    resp = await client.post("/api/queue/inside-sales/next", headers=me)
    second = (await resp.json())["item"]["handoff_id"]
    assert second == "h-0002"  # h-0003 belongs to takahashi.mei
    resp = await client.post(f"/api/handoffs/{second}/reject", headers=me, json={"reason": "spam"})
    assert (await resp.json())["item"]["reason"] == "spam"
    assert (await (await client.post("/api/queue/inside-sales/next", headers=me)).json()) == {
        "item": None,
        "published": None,
    }

    mine = await (await client.get("/api/queue", headers=me, params={"owner": TANAKA})).json()
    assert [i["status"] for i in mine["items"]] == ["closed", "rejected"] and mine["total"] == 2
    everything = await (
        await client.get("/api/queue", headers=bearer(token["boss"]), params={"limit": 2})
    ).json()
    assert (everything["total"], len(everything["items"])) == (3, 2)
    assert (await client.get("/api/report/funnel", headers=me)).status == 403
    funnel = await (
        await client.get("/api/report/funnel", headers=bearer(token["boss"]), params={"by": "queue"})
    ).json()
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
    bad = await client.get("/api/report/funnel", headers=bearer(token["boss"]), params={"by": "colour"})
    assert bad.status == 422

    # A manager moves takahashi.mei's lead to tanaka.hiro; a rep may not, nor to a rep off the roster.
    move = "/api/handoffs/h-0003/assign"
    assert (await client.post(move, headers=me, json={"owner": TANAKA})).status == 403
    assert (await client.post(move, headers=bearer(token["boss"]), json={"owner": SATO})).status == 422
    resp = await client.post(move, headers=bearer(token["boss"]), json={"owner": TANAKA})
    assert resp.status == 200 and (await resp.json())["item"]["owner"] == TANAKA
    assert (await client.get("/api/handoffs/h-0003", headers=me)).status == 200

    events = read_topic(kafka.bootstrap, settings.topics.feedback, until=6)
    assert sorted((key, e["action"], e["by"]) for key, e in events) == [
        ("h-0001", "accepted", TANAKA),
        ("h-0001", "claimed", TANAKA),
        ("h-0001", "contacted", TANAKA),
        ("h-0001", "won", TANAKA),
        ("h-0002", "claimed", TANAKA),
        ("h-0002", "rejected", TANAKA),
    ]


async def test_the_rep_field_and_header_no_longer_decide_who_acts(
    client: TestClient,  # type: ignore[type-arg]
    tokens: tuple[Settings, dict[str, str]],
) -> None:
    forged = {"X-Handoff-Rep": TANAKA}
    resp = await client.post("/api/queue/inside-sales/next", headers=forged, json={"rep": TANAKA})
    assert resp.status == 401 and (await resp.json())["error"] == "unauthenticated"
    # Signed in as takahashi.mei, a body naming tanaka.hiro still acts as takahashi.mei.
    resp = await client.post(
        "/api/queue/inside-sales/next",
        headers={**forged, **bearer(tokens[1][TAKAHASHI])},
        json={"rep": TANAKA},
    )
    assert (await resp.json())["item"]["owner"] == TAKAHASHI


async def test_a_tool_erases_a_person_and_a_rep_may_not(
    client: TestClient,  # type: ignore[type-arg]
    tokens: tuple[Settings, dict[str, str]],
) -> None:
    settings, token = tokens
    body = {"email": "ＴＡＲＯ2＠c2.example.co.jp"}  # full-width, as a Japanese CRM may hold it
    assert (await client.post("/api/erasure", json=body)).status == 401
    assert (await client.post("/api/erasure", json=body, headers=bearer(token[TANAKA]))).status == 403
    engine = migrated(settings.database.url)
    crm = bearer(new_token(engine, "crm-sync", "integration"))
    engine.dispose()
    bad = await client.post("/api/erasure", json={"mail": "x"}, headers=crm)
    assert bad.status == 400 and (await bad.json())["error"] == "bad_request"
    resp = await client.post("/api/erasure", json=body, headers=crm)
    answer = await resp.json()
    assert resp.status == 200 and answer["handoffs"] == 1 and "taro2" not in await resp.text()
    announced = read_topic(settings.kafka.bootstrap_servers, settings.topics.erasure, until=1)
    assert [event["lead_id"] for _, event in announced] == [answer["lead_id"]]
    shown = await (await client.get("/api/handoffs/h-0002", headers=bearer(token["boss"]))).json()
    assert "taro2@c2.example.co.jp" not in str(shown)
    again = await (await client.post("/api/erasure", json=body, headers=crm)).json()
    assert again["handoffs"] == 0  # safe to repeat
