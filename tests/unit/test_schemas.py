"""Event contracts: NFKC before validation, unknown fields kept, dead letters without PII."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import ErrorCode, LeadSubmitted
from schemas.export import json_schemas
from schemas.inbound import nfkc_deep
from streams.logic.decode import DecodeFailure, _json_value, decode_lead, json_via_text, payload_text

pytestmark = pytest.mark.unit

BASE = {
    "event_id": "evt-1",
    "submitted_at": "2026-11-27T10:00:00+09:00",
    "form_id": "demo-request",
    "email": "taro@example.co.jp",
}


def test_full_width_input_is_normalised_before_validation() -> None:
    lead = LeadSubmitted.model_validate(
        {
            **BASE,
            "email": "ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏ．ｊｐ",
            "phone": "０３－１２３４－５６７８",
            "company": "株式会社　サンプル",
        }
    )
    assert lead.email == "taro@example.co.jp"
    assert lead.phone == "03-1234-5678"
    assert lead.company == "株式会社 サンプル"


def test_unknown_fields_are_kept_in_extra() -> None:
    lead = LeadSubmitted.model_validate({**BASE, "favourite_colour": "blue", "seats": 12})
    assert lead.extra == {"favourite_colour": "blue", "seats": 12}


def test_extra_is_size_capped() -> None:
    with pytest.raises(ValidationError) as err:
        LeadSubmitted.model_validate({**BASE, "blob": "x" * 20_000})
    assert err.value.errors()[0]["loc"] == ("extra",)


@pytest.mark.parametrize("missing", ["event_id", "submitted_at", "form_id", "email"])
def test_required_fields(missing: str) -> None:
    data = {k: v for k, v in BASE.items() if k != missing}
    failure = decode_lead(json.dumps(data).encode())
    assert isinstance(failure, DecodeFailure)
    assert failure.error is ErrorCode.SCHEMA_INVALID
    assert failure.fields == [missing]


def test_submitted_at_needs_an_offset() -> None:
    failure = decode_lead(json.dumps({**BASE, "submitted_at": "2026-11-27T10:00:00"}).encode())
    assert isinstance(failure, DecodeFailure) and failure.fields == ["submitted_at"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"x" * (64 * 1024 + 1), ErrorCode.TOO_LARGE),
        (b"\xff\xfe{}", ErrorCode.NOT_UTF8),
        (b'{"event_id": ', ErrorCode.NOT_JSON),
        (b"[1, 2]", ErrorCode.NOT_OBJECT),
        (None, ErrorCode.NOT_JSON),
    ],
)
def test_undecodable_messages_get_a_code(raw: bytes | None, code: ErrorCode) -> None:
    failure = decode_lead(raw)
    assert isinstance(failure, DecodeFailure) and failure.error is code


def test_dead_letter_detail_never_contains_pii() -> None:
    secret = {"email": "hanako.secret@", "phone": "x" * 100, "first_name": "y" * 300}
    failure = decode_lead(json.dumps({**BASE, **secret}).encode())
    assert isinstance(failure, DecodeFailure)
    assert set(failure.fields) == {"email", "phone", "first_name"}
    for value in secret.values():
        assert value not in failure.detail
    assert "hanako" not in failure.detail


def test_binary_payload_is_kept_as_base64() -> None:
    assert payload_text(b"\xff\x00") == ("/wA=", "base64")
    assert payload_text("株式会社".encode()) == ("株式会社", "utf-8")


def test_json_schema_export_covers_every_event() -> None:
    schemas = json_schemas()
    assert set(schemas) == {
        "lead-submitted.v1",
        "handoff.v1",
        "nurture.v1",
        "dead-letter.v1",
        "feedback.v1",
        "sla-breach.v1",
        "erasure.v1",
    }
    lead = schemas["lead-submitted.v1"]
    assert set(lead["required"]) == {"event_id", "submitted_at", "form_id", "email"}
    assert "reasons" in schemas["handoff.v1"]["properties"]


def _nfkc_reference(value: Any) -> Any:
    """nfkc_deep as its docstring says it: NFKC and strip every string, keys included."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, dict):
        return {_nfkc_reference(k): _nfkc_reference(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfkc_reference(v) for v in value]
    return value


_TEXT = st.text(" a\u3000ＡｂＣ１(株)㈱ｶﾞ\u0301é\t\n", max_size=6)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(_JSON)
def test_nfkc_deep_normalises_every_string(value: Any) -> None:
    got = nfkc_deep(value)
    assert got == _nfkc_reference(value)
    assert type(got) is type(value)


_MESSAGES = st.one_of(
    st.binary(max_size=24),
    st.tuples(st.binary(max_size=8), st.sampled_from([b'{"a":"', b'["', b'"'])).map(
        lambda t: t[1] + t[0] + b'"'
    ),
    _JSON.map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
    st.sampled_from(
        [b"\xef\xbb\xbf{}", b'{"a":"\xed\xa0\x80"}', b'{"a":"\\ud800"}', b'{"a":"\xc0\xaf"}', b"{"]
    ),
)


@settings(max_examples=1000, deadline=None)
@given(_MESSAGES)
def test_json_is_read_from_bytes_as_from_text(raw: bytes) -> None:
    assert _json_value(raw) == json_via_text(raw)
