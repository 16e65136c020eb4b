"""Helpers shared by the producer SDK and the HTTP intake: nesting, validation, signing."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from streams.client import InvalidLead, build_lead, nest_form_fields, signature_of, signed_headers

pytestmark = pytest.mark.unit


def test_form_fields_nest_in_both_spellings() -> None:
    lead = nest_form_fields(
        [
            ("form_id", "webinar"),
            ("utm_source", "newsletter"),
            ("utm[campaign]", "spring"),
            ("activity_page_views", "3"),
            ("consent[marketing]", "true"),
            ("utm_unknown", "x"),
            ("utm[", "y"),
            ("email", "a@b.co"),
            ("email", "c@d.co"),
        ]
    )
    assert lead == {
        "form_id": "webinar",
        "utm": {"source": "newsletter", "campaign": "spring"},
        "activity": {"page_views": "3"},
        "consent": {"marketing": "true"},
        "utm_unknown": "x",
        "utm[": "y",
        "email": "c@d.co",
    }
    built = build_lead(lead)
    assert built.activity.page_views == 3 and built.consent.marketing is True
    assert built.extra == {"utm_unknown": "x", "utm[": "y"}


def test_build_lead_fills_id_and_time_and_normalises_full_width() -> None:
    lead = build_lead(
        {
            "form_id": "contact-sales",
            "email": "ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏ．ｊｐ",
            "event_id": "",
            "company": "株式会社　山田",
        }
    )
    assert lead.event_id and lead.submitted_at.tzinfo is not None
    assert lead.email.lower() == "taro@example.co.jp" and lead.company == "株式会社 山田"


def test_invalid_lead_names_paths_and_codes_but_not_values() -> None:
    with pytest.raises(InvalidLead) as caught:
        build_lead(
            {
                "form_id": "demo request!",
                "email": "yamada.secret@@x",
                "activity": {"page_views": -4},
                "phone": "9" * 100,
            }
        )
    paths = {f["path"]: f["code"] for f in caught.value.fields}
    assert set(paths) == {"form_id", "email", "activity.page_views", "phone"}
    assert paths["phone"] == "string_too_long"
    text = str(caught.value) + repr(caught.value.fields)
    assert "yamada.secret" not in text and "999" not in text


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = '{"email":"花子@example.jp"}'.encode()
    expected = hmac.new(b"secret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature_of(b"secret", body, 1700000000) == expected
    assert signed_headers(b"secret", body, now=1700000000.7) == {
        "X-Handoff-Timestamp": "1700000000",
        "X-Handoff-Signature": "sha256=" + expected,
    }


def test_paths_name_schema_fields_not_the_validator_internals() -> None:
    with pytest.raises(InvalidLead) as caught:
        build_lead(
            {"form_id": "demo-request", "email": "a@example.co.jp", "employees": [3], "utm": {"source": [1]}}
        )
    assert [f["path"] for f in caught.value.fields] == ["employees", "utm.source"]
