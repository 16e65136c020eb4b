"""The sinks file, the field mappings, what notifications say, the signature and the CRM feedback adapters."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas import FeedbackAction, SlaAction, SlaBreach, Stage
from schemas.errors import ConfigError
from sinks.config import parse_sinks, parse_sinks_file
from sinks.contract import Refused, RetryLater, answer_for_status, excerpt, retry_after_s
from sinks.crm_feedback import FeedbackMapping, feedback_from
from sinks.directory import Directory, RepContact
from sinks.notice import notice_of
from sinks.targets.chat import slack_message, teams_card
from sinks.targets.kintone import kintone_record
from sinks.targets.salesforce import lead_record
from sinks.targets.webhook import signature
from tests.sales_factory import handoff

README = Path(__file__).resolve().parents[2] / "README.md"
DIRECTORY = Directory(
    {
        "sato": RepContact(
            slack="U012AB3CD",
            email="sato@example.co.jp",
            salesforce_user_id="005xx0001",
            timezone="Asia/Tokyo",
        )
    },
    "https://desk.example.com",
)


def test_the_issue_example_parses_with_its_defaults() -> None:
    sinks = parse_sinks(
        """sinks:
  - {name: crm-hook, type: webhook, url: "https://hooks.example.com/handoff",
     secret_env: CRM_HOOK_SECRET, events: [handoff, sla], queues: [enterprise]}
  - {name: sales-slack, type: slack, webhook_url_env: SLACK_INSIDE_SALES_URL,
     queues: [inside-sales], locale: ja}
""",
        "sinks.yaml",
    )
    assert [(s.name, s.group, s.events) for s in sinks] == [
        ("crm-hook", "handoff-sink-crm-hook", ["handoff", "sla"]),
        ("sales-slack", "handoff-sink-sales-slack", ["handoff"]),
    ]
    assert sinks[0].secret_vars() == ["CRM_HOOK_SECRET"]


def test_every_error_names_its_line_and_field() -> None:
    text = """sinks:
  - name: hook
    type: webhook
    url: ftp://nope
    secret_env: S
  - name: hook
    type: slack
    webhook_url_env: X
    colour: red
  - name: sf
    type: salesforce
    instance_url: https://x.my.salesforce.com
    client_id_env: A
    client_secret_env: B
    events: [sla]
"""
    with pytest.raises(ConfigError) as err:
        parse_sinks(text, "sinks.yaml")
    lines = str(err.value).splitlines()
    assert "sinks.yaml:4: sinks.0.url: String should match pattern '^https?://'" in lines
    assert "sinks.yaml:9: sinks.1.colour: Extra inputs are not permitted" in lines
    assert any(
        line.startswith("sinks.yaml:15: sinks.2.events: a CRM sink takes handoff events only")
        for line in lines
    )


def test_duplicate_names_and_the_reserved_name_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"sinks.yaml:3: sinks.1.name: 'a' is already the name of sinks.0"):
        parse_sinks(
            "sinks:\n  - {name: a, type: slack, webhook_url_env: X}\n"
            "  - {name: a, type: teams, webhook_url_env: Y}\n",
            "sinks.yaml",
        )
    with pytest.raises(ConfigError, match="built-in SQL sink"):
        parse_sinks("sinks:\n  - {name: sales-queue, type: slack, webhook_url_env: X}\n", "s.yaml")
    with pytest.raises(ConfigError, match=r"s.yaml:2: expected <block end>"):
        parse_sinks("sinks:\n  - {name: a}}\n  - b\n", "s.yaml")


def test_statuses_map_to_answers_and_retry_after_is_read() -> None:
    assert isinstance(answer_for_status(429, "slow down", retry_after="7"), RetryLater)
    assert answer_for_status(429, "", retry_after="7") == RetryLater("HTTP 429: ", 7.0)
    assert isinstance(answer_for_status(503, "x"), RetryLater)
    assert isinstance(answer_for_status(408, "x"), RetryLater)
    refused = answer_for_status(400, "bad token sk-123 in body", secrets=("sk-123",))
    assert isinstance(refused, Refused) and refused.status == 400 and "sk-123" not in refused.detail
    later = retry_after_s(
        "Wed, 21 Oct 2026 07:28:00 GMT", now=datetime(2026, 10, 21, 7, 27, tzinfo=UTC).timestamp()
    )
    assert later == 60.0
    assert len(excerpt("x" * 5000)) <= 201


def test_salesforce_record_uses_defaults_overrides_and_the_owner_id() -> None:
    config = parse_sinks(
        "sinks:\n  - {name: sf, type: salesforce, instance_url: 'https://x', client_id_env: A,"
        " client_secret_env: B, fields: {LeadSource: '=Website', Industry: account.industry}}\n",
        "s.yaml",
    )[0]
    record = lead_record(handoff(1, owner="sato"), config, DIRECTORY)
    assert record["attributes"] == {"type": "Lead"}
    assert record["Handoff_Id__c"] == "h-0001"
    assert record["Company"] == "株式会社テスト1" and record["LastName"] == "山田 太郎1"
    assert record["LeadSource"] == "Website" and record["OwnerId"] == "005xx0001"
    assert "Industry" not in record  # no industry on this handoff: the field is left out
    assert "fit.business_email (+15)" in record["Description"]


def test_kintone_record_takes_japanese_field_codes() -> None:
    config = parse_sinks(
        "sinks:\n  - {name: k, type: kintone, base_url: 'https://x.cybozu.com', app: 3, token_env: T,"
        " update_key: handoff_id, fields: {会社名: company, スコア: score, メール: contact.email}}\n",
        "s.yaml",
    )[0]
    record = kintone_record(handoff(2), config, DIRECTORY)
    assert record["updateKey"] == {"field": "handoff_id", "value": "h-0002"}
    assert record["record"] == {
        "会社名": {"value": "株式会社テスト2"},
        "スコア": {"value": "80"},
        "メール": {"value": "taro2@c2.example.co.jp"},
    }


def test_notifications_say_who_what_when_in_the_owners_zone() -> None:
    event = handoff(3, owner="sato")
    message = slack_message(notice_of(event, "ja", DIRECTORY))
    assert message["text"].startswith("<@U012AB3CD> 新しいSQLリード: 株式会社テスト3")
    assert "2026-11-02 18:03 (Asia/Tokyo)" in message["text"]  # 09:03 UTC due, shown in Tokyo time
    button = message["blocks"][-1]["elements"][0]
    assert button["url"] == "https://desk.example.com/queue?queue=inside-sales&lead=h-0003"
    card = teams_card(notice_of(event, "en", DIRECTORY))["attachments"][0]["content"]
    assert card["body"][0]["text"] == "New SQL lead: 株式会社テスト3"
    assert card["msteams"]["entities"][0]["mentioned"]["id"] == "sato@example.co.jp"
    breach = SlaBreach(
        handoff_id="h-0003",
        lead_id="l",
        stage=Stage.SQL,
        status="queued",
        due_at=event.sla_due_at,
        breached_at=event.sla_due_at,
        breach=1,
        action=SlaAction.NOTIFY,
        from_owner="sato",
        to_owner="sato",
        from_queue="inside-sales",
        to_queue="inside-sales",
    )
    assert notice_of(breach, "ja", DIRECTORY).title.startswith("対応期限超過")


def _readme_snippet() -> Any:
    text = README.read_text("utf-8")
    code = re.search(r"<!-- signature-snippet -->\n```python\n(.*?)```", text, re.S)
    assert code is not None, "the README lost its signature snippet"
    scope: dict[str, Any] = {}
    exec(compile(code.group(1), "README.md", "exec"), scope)  # noqa: S102 - our own README's snippet
    return scope["verify_handoff_signature"]


def test_the_readme_snippet_verifies_the_signature_and_rejects_tampering() -> None:
    verify = _readme_snippet()
    body = handoff(4).model_dump_json().encode()
    header = signature("whsec-1", body, int(time.time()))
    assert verify("whsec-1", header, body)
    assert not verify("whsec-1", header, body + b" ")
    assert not verify("other", header, body)
    assert not verify("whsec-1", signature("whsec-1", body, int(time.time()) - 3600), body)
    assert not verify("whsec-1", "garbage", body)


@pytest.mark.parametrize(
    ("source", "payload", "action"),
    [
        (
            "salesforce",
            {"Handoff_Id__c": "h-1", "Status": "Closed - Converted", "OwnerId": "005x"},
            FeedbackAction.WON,
        ),
        (
            "hubspot",
            {"properties": {"handoff_id": {"value": "h-1"}, "hs_lead_status": {"value": "CONNECTED"}}},
            FeedbackAction.CONTACTED,
        ),
        (
            "kintone",
            {
                "type": "UPDATE_STATUS",
                "record": {
                    "handoff_id": {"type": "SINGLE_LINE_TEXT", "value": "h-1"},
                    "ステータス": {"type": "STATUS", "value": "未対応"},
                },
                "nextStatus": {"value": "失注"},
            },
            FeedbackAction.LOST,
        ),
    ],
)
def test_crm_payloads_become_feedback_by_status_name(
    source: str, payload: dict[str, Any], action: FeedbackAction
) -> None:
    text = """feedback:
  - {source: salesforce, id_field: Handoff_Id__c, by_field: OwnerId, statuses: {"Closed - Converted": won}}
  - {source: hubspot, id_field: handoff_id, statuses: {CONNECTED: contacted}}
  - {source: kintone, id_field: handoff_id, statuses: {失注: lost}}
"""
    mappings: dict[str, FeedbackMapping] = {m.source: m for m in parse_sinks_file(text, "s.yaml").feedback}
    event = feedback_from(payload, mappings[source])
    assert event is not None and event.handoff_id == "h-1" and event.action is action
    assert event.by is not None and event.by.startswith(source)


def test_an_unmapped_status_is_no_feedback() -> None:
    mapping = FeedbackMapping(
        source="salesforce", id_field="Handoff_Id__c", statuses={"Closed - Converted": FeedbackAction.WON}
    )
    assert feedback_from({"Handoff_Id__c": "h-1", "Status": "Open"}, mapping) is None


def test_a_mapping_source_no_handoff_has_is_an_error_on_its_line() -> None:
    text = """sinks:
  - name: k
    type: kintone
    base_url: https://x.cybozu.com
    app: 3
    token_env: T
    update_key: handoff_id
    fields:
      会社名: company
      メール: contact.emial
"""
    with pytest.raises(
        ConfigError, match=r"s.yaml:10: sinks.0.fields.メール: no handoff has 'contact.emial'"
    ):
        parse_sinks(text, "s.yaml")
