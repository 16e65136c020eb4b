"""Parsing a lead request body: JSON or URL-encoded form fields, refusing what cannot be read."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from streams.web.body import FORM, JSON, BadBody, parse_body

pytestmark = pytest.mark.unit


def test_form_fields_are_decoded_as_utf8_and_nested() -> None:
    body = urlencode(
        {
            "form_id": "contact-sales",
            "company": "株式会社 山田",
            "utm[medium]": "cpc",
            "consent_processing": "on",
            "email": "",
        }
    ).encode()
    assert parse_body(FORM, body) == {
        "form_id": "contact-sales",
        "company": "株式会社 山田",
        "utm": {"medium": "cpc"},
        "consent": {"processing": "on"},
        "email": "",
    }


def test_json_objects_pass_through() -> None:
    assert parse_body(JSON, b'{"form_id": "pricing", "employees": 250}') == {
        "form_id": "pricing",
        "employees": 250,
    }


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        (JSON, b"[1, 2]", 422, "not_object"),
        (JSON, b'{"form_id": ', 400, "not_json"),
        (JSON, b'{"company": "\xff"}', 400, "not_utf8"),
        (FORM, b"company=%FF", 400, "bad_form"),
        (FORM, b"&".join(b"f%d=1" % i for i in range(600)), 400, "bad_form"),
    ],
)
def test_unreadable_bodies_are_refused(content_type: str, body: bytes, status: int, code: str) -> None:
    with pytest.raises(BadBody) as caught:
        parse_body(content_type, body)
    assert (caught.value.status, caught.value.code) == (status, code)
