"""The lead's message reaches the handoff (capped), so a rep reads it before calling."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from schemas import HandoffEvent, SourcePosition
from schemas.outbound import MESSAGE_MAX
from streams.logic.pipeline import decide
from streams.logic.policy_file import load_policy

POLICY = load_policy()
POS = SourcePosition(topic="leads.submitted", partition=0, offset=0)
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def _handoff(message: str) -> HandoffEvent:
    lead = {
        "event_id": "e-msg",
        "submitted_at": "2026-11-27T10:00:00+09:00",
        "form_id": "demo-request",
        "email": "taro@acme-corp.co.jp",
        "message": message,
    }
    out = decide(json.dumps(lead, ensure_ascii=False).encode(), POS, POLICY, NOW)
    assert isinstance(out, HandoffEvent)
    return out


def test_the_message_is_carried_into_the_handoff() -> None:
    assert _handoff("見積もりをお願いします").message == "見積もりをお願いします"


def test_a_long_message_is_capped() -> None:
    out = _handoff("あ" * 9000)
    assert out.message == "あ" * MESSAGE_MAX
