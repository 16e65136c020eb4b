"""Each target against a stand-in that checks requests as its vendor documents them (email: real SMTP)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from schemas import HandoffEvent
from sinks.config import parse_sinks
from sinks.contract import DELIVERED, Item, Refused, RetryLater, TargetSink
from sinks.directory import Directory, RepContact
from sinks.targets.build import build_target
from tests import standins
from tests.sales_factory import handoff
from tests.standins_crm import Hubspot, Kintone, Salesforce

SF_LINE = (
    "{{name: sf, type: salesforce, instance_url: '{url}',"
    " client_id_env: SF_ID, client_secret_env: SF_SECRET}}"
)
DIRECTORY = Directory(
    {
        "sato": RepContact(
            slack="U1", email="sato@example.co.jp", salesforce_user_id="005A", hubspot_owner_id="77"
        )
    },
    "https://desk.example.com",
)


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", standins.WEBHOOK_SECRET)
    monkeypatch.setenv("SF_ID", standins.SF_CLIENT_ID)
    monkeypatch.setenv("SF_SECRET", standins.SF_CLIENT_SECRET)
    monkeypatch.setenv("HUBSPOT_TOKEN", standins.HUBSPOT_TOKEN)
    monkeypatch.setenv("KINTONE_TOKEN", standins.KINTONE_TOKEN)


def target_for(line: str) -> TargetSink:
    return build_target(parse_sinks(f"sinks:\n  - {line}\n", "test.yaml")[0], DIRECTORY)


def items(*events: HandoffEvent) -> list[Item]:
    return [Item("handoff", e.handoff_id, e.model_dump_json().encode(), e) for e in events]


async def flush(target: TargetSink, batch: list[Item]) -> list[Any]:
    for item in batch:
        target.add(item)
    try:
        return await target.flush()
    finally:
        await target.close()


@pytest.fixture
async def stand_in() -> AsyncIterator[list[standins.StandIn]]:
    started: list[standins.StandIn] = []
    yield started
    for s in started:
        await s.close()


async def up(s: standins.StandIn, started: list[standins.StandIn]) -> standins.StandIn:
    await s.start()
    started.append(s)
    return s


async def test_webhook_signs_and_keys_each_event_and_retries_429_with_retry_after(
    stand_in: list[standins.StandIn],
) -> None:
    hook = await up(standins.webhook(), stand_in)
    hook.forced.append((429, {"Retry-After": "3"}, "{}"))
    hook.refuse.add("h-0003")
    target = target_for(f"{{name: h, type: webhook, url: '{hook.url}/handoff', secret_env: HOOK_SECRET}}")
    first = await flush(target, items(handoff(1)))
    assert first == [RetryLater("HTTP 429: {}", 3.0)]
    answers = await flush(target, items(handoff(1), handoff(2), handoff(3)))
    assert answers[:2] == [DELIVERED, DELIVERED]
    assert isinstance(answers[2], Refused) and answers[2].status == 400
    assert hook.violations == [] and set(hook.stored) == {"h-0001", "h-0002"}
    assert hook.stored["h-0001"]["handoff_id"] == "h-0001"


async def test_a_target_that_does_not_answer_is_retried() -> None:
    target = target_for(
        "{name: h, type: webhook, url: 'http://127.0.0.1:9/handoff', secret_env: HOOK_SECRET}"
    )
    [answer] = await flush(target, items(handoff(1)))
    assert isinstance(answer, RetryLater)


async def test_slack_and_teams_take_the_message_shapes(
    stand_in: list[standins.StandIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    slack = await up(standins.slack(), stand_in)
    teams = await up(standins.teams(), stand_in)
    monkeypatch.setenv("SLACK_URL", slack.url + standins.SLACK_PATH)
    monkeypatch.setenv("TEAMS_URL", teams.url + standins.TEAMS_PATH)
    event = handoff(5, owner="sato")
    assert await flush(
        target_for("{name: s, type: slack, webhook_url_env: SLACK_URL, locale: ja}"), items(event)
    ) == [DELIVERED]
    assert await flush(target_for("{name: t, type: teams, webhook_url_env: TEAMS_URL}"), items(event)) == [
        DELIVERED
    ]
    assert slack.violations == teams.violations == []
    [text] = slack.stored
    assert text.startswith("<@U1> 新しいSQLリード: 株式会社テスト5")
    [title] = teams.stored
    assert title == "New SQL lead: 株式会社テスト5"
    slack.forced.append((404, {}, "no_service"))
    [gone] = await flush(target_for("{name: s, type: slack, webhook_url_env: SLACK_URL}"), items(event))
    # The webhook URL is the secret: it never shows in the dead letter's excerpt.
    assert isinstance(gone, Refused) and standins.SLACK_PATH not in gone.detail


async def test_salesforce_upserts_by_external_id_refreshes_a_revoked_token_and_refuses_per_record(
    stand_in: list[standins.StandIn],
) -> None:
    sf = Salesforce()
    await up(sf, stand_in)
    sf.refuse.add("taro3@c3.example.co.jp")
    target = target_for(SF_LINE.format(url=sf.url))
    for item in items(*(handoff(n, owner="sato") for n in range(1, 251))):
        target.add(item)
    assert target.batch_limit == 200
    answers = await target.flush()  # the loop never adds more than batch_limit; here the stand-in checks it
    assert sf.violations == ["allOrNone False, 250 records"] and isinstance(answers[0], Refused)
    sf.violations.clear()
    answers = await flush(target, items(*(handoff(n, owner="sato") for n in range(1, 4))))
    assert answers[0] == answers[1] == DELIVERED
    assert isinstance(answers[2], Refused) and "INVALID_EMAIL_ADDRESS" in answers[2].detail
    assert sf.stored["h-0001"]["OwnerId"] == "005A" and sf.stored["h-0001"]["LastName"] == "山田 太郎1"
    sf.revoke()
    assert await flush(target, items(handoff(9))) == [DELIVERED]
    assert len(sf.tokens) == 3  # first token, revoked, one fresh token
    sf.forced.append((503, {}, '[{"errorCode": "SERVER_UNAVAILABLE"}]'))
    [busy] = await flush(target, items(handoff(10)))
    assert isinstance(busy, RetryLater)
    assert sf.violations == []


async def test_salesforce_bad_credentials_keep_the_records(
    stand_in: list[standins.StandIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    sf = Salesforce()
    await up(sf, stand_in)
    monkeypatch.setenv("SF_SECRET", "wrong")
    target = target_for(SF_LINE.format(url=sf.url))
    [answer] = await flush(target, items(handoff(1)))
    assert isinstance(answer, RetryLater) and "wrong" not in answer.detail


async def test_hubspot_upserts_by_email_and_splits_a_refused_batch(stand_in: list[standins.StandIn]) -> None:
    hub = Hubspot()
    await up(hub, stand_in)
    hub.refuse.add("taro2@c2.example.co.jp")
    target = target_for(f"{{name: hs, type: hubspot, token_env: HUBSPOT_TOKEN, base_url: '{hub.url}'}}")
    answers = await flush(target, items(handoff(1, owner="sato"), handoff(2), handoff(3)))
    assert answers[0] == answers[2] == DELIVERED and isinstance(answers[1], Refused)
    assert hub.violations == [] and hub.batch_sizes == [3, 1, 1, 1]
    assert hub.stored["taro1@c1.example.co.jp"]["hubspot_owner_id"] == "77"
    hub.forced.append((429, {"Retry-After": "1"}, '{"status": "error", "category": "RATE_LIMITS"}'))
    [limited] = await flush(target, items(handoff(4)))
    assert limited == RetryLater('HTTP 429: {"status": "error", "category": "RATE_LIMITS"}', 1.0)


async def test_kintone_upserts_on_the_unique_field_and_sets_aside_named_records(
    stand_in: list[standins.StandIn],
) -> None:
    kin = Kintone("handoff_id")
    await up(kin, stand_in)
    kin.refuse.add("h-0002")
    target = target_for(
        f"{{name: k, type: kintone, base_url: '{kin.url}', app: {standins.KINTONE_APP},"
        " token_env: KINTONE_TOKEN, update_key: handoff_id, fields: {会社名: company, メール: contact.email}}"
    )
    answers = await flush(target, items(handoff(1), handoff(2), handoff(3)))
    assert answers[0] == answers[2] == DELIVERED and isinstance(answers[1], Refused)
    assert kin.violations == [] and set(kin.stored) == {"h-0001", "h-0003"}
    assert kin.stored["h-0001"]["会社名"] == {"value": "株式会社テスト1"}
    assert await flush(target, items(handoff(1))) == [DELIVERED]  # the same key again: an update
    assert kin.seen["h-0001"] == 2 and len(kin.stored) == 2


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if any(r.startswith("bounce") for r in envelope.rcpt_tos):
            return "550 5.1.1 no such user"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


async def test_email_goes_to_the_owner_else_the_queue_in_japanese_utf8() -> None:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(smtp.start)
    try:
        target = target_for(
            f"{{name: m, type: email, host: 127.0.0.1, port: {port}, security: none,"
            " from: handoff@example.com,"
            " queue_addresses: {inside-sales: inside@example.com, bounce-q: bounce@example.com}}"
        )
        answers = await flush(
            target, items(handoff(1, owner="sato"), handoff(2), handoff(3, queue="bounce-q"))
        )
    finally:
        await asyncio.to_thread(smtp.stop)
    assert answers[:2] == [DELIVERED, DELIVERED] and isinstance(answers[2], Refused)
    to_owner, to_queue = inbox.messages
    assert to_owner["To"] == "sato@example.co.jp" and to_queue["To"] == "inside@example.com"
    assert to_owner["Subject"] == "新しいSQLリード: 株式会社テスト1"
    assert to_owner["X-Handoff-Idempotency-Key"] == "h-0001"
    body = to_owner.get_body()
    assert body is not None and "理由: intent.form.demo-request (+30)" in body.get_content()
