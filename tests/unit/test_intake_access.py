"""Forms file parsing and caller authentication of the HTTP intake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.client import signed_headers
from streams.web.auth import Denied, authenticate
from streams.web.forms import FormAccess, FormsFileError, load_forms, parse_forms

pytestmark = pytest.mark.unit

ENV = {"DEMO_KEY": "k-demo", "DEMO_HMAC": "s-demo", "SITE_KEY": "k-site"}
DOC = {
    "forms": {
        "demo-request": {
            "api_key_envs": ["DEMO_KEY"],
            "hmac_secret_envs": ["DEMO_HMAC"],
            "allowed_origins": ["https://www.example.co.jp/", "self"],
        },
        "*": {"api_key_envs": ["SITE_KEY"]},
    }
}
OWN = "http://leads.internal:8080"


def test_forms_resolve_secrets_from_the_environment_and_fall_back_to_the_wildcard() -> None:
    forms = parse_forms(DOC, ENV)
    demo = forms.lookup("demo-request")
    assert demo is not None and demo.api_keys == (b"k-demo",) and demo.hmac_secrets == (b"s-demo",)
    assert "https://www.example.co.jp" in demo.allowed_origins  # trailing slash dropped
    other = forms.lookup("pricing")
    assert other is not None and other.form_id == "*" and other.api_keys == (b"k-site",)
    assert parse_forms({"forms": {"a": {}}}, ENV).lookup("b") is None


def test_a_missing_secret_names_the_variable() -> None:
    with pytest.raises(FormsFileError, match="DEMO_HMAC"):
        parse_forms(DOC, {"DEMO_KEY": "x", "SITE_KEY": "y"})


def test_a_misspelt_setting_is_refused() -> None:
    with pytest.raises(FormsFileError, match="allowed_origin"):
        parse_forms({"forms": {"a": {"allowed_origin": ["https://x"]}}}, {})


def test_yaml_and_json_files_load(tmp_path: Path) -> None:
    (tmp_path / "forms.json").write_text(json.dumps(DOC))
    (tmp_path / "forms.yaml").write_text("forms:\n  webinar:\n    allowed_origins: [self]\n")
    assert load_forms(tmp_path / "forms.json", ENV).lookup("demo-request") is not None
    assert load_forms(tmp_path / "forms.yaml", ENV).lookup("webinar") is not None
    assert load_forms(None).lookup("webinar") is None
    with pytest.raises(FormsFileError, match="missing.yaml"):
        load_forms(tmp_path / "missing.yaml")


def _auth(access: FormAccess, headers: dict[str, str], body: bytes = b"{}", now: float = 1e9) -> str:
    return authenticate(access, headers, body, own_origin=OWN, now=now, window_s=300)


def test_api_key_signature_and_origin_are_each_enough() -> None:
    access = parse_forms(DOC, ENV).forms["demo-request"]
    assert _auth(access, {"X-Handoff-Key": "k-demo"}) == "api_key"
    body = b'{"form_id":"demo-request"}'
    assert _auth(access, signed_headers(b"s-demo", body, now=1e9), body) == "hmac"
    assert _auth(access, {"Origin": "https://www.example.co.jp"}) == "origin"
    assert _auth(access, {"Origin": OWN}) == "origin"  # "self"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthenticated"),
        ({"Origin": "null"}, 401, "unauthenticated"),
        ({"X-Handoff-Key": "k-site"}, 401, "bad_api_key"),  # another form's key
        ({"X-Handoff-Key": "k-demo", "Origin": "https://www.example.co.jp"}, 401, "bad_api_key"),
        ({"Origin": "https://evil.example"}, 403, "origin_not_allowed"),
        ({"X-Handoff-Signature": "sha256=00", "X-Handoff-Timestamp": "1000000000"}, 401, "bad_signature"),
        ({"X-Handoff-Signature": "sha256=00"}, 401, "bad_signature"),
    ],
)
def test_wrong_credentials_are_refused(headers: dict[str, str], status: int, code: str) -> None:
    access = parse_forms(DOC, ENV).forms["demo-request"]
    if headers.get("X-Handoff-Key") == "k-demo":
        access = parse_forms({"forms": {"x": {"allowed_origins": ["https://www.example.co.jp"]}}}, {}).forms[
            "x"
        ]  # keyless form: a key is wrong even with a good origin
    with pytest.raises(Denied) as caught:
        _auth(access, headers)
    assert (caught.value.status, caught.value.code) == (status, code)


def test_a_signature_is_bound_to_the_body_and_to_time() -> None:
    access = parse_forms(DOC, ENV).forms["demo-request"]
    headers = signed_headers(b"s-demo", b'{"a":1}', now=1e9)
    with pytest.raises(Denied, match="does not match"):
        _auth(access, headers, b'{"a":2}')
    with pytest.raises(Denied) as stale:
        _auth(access, headers, b'{"a":1}', now=1e9 + 301)
    assert stale.value.code == "stale_signature"
    assert _auth(access, headers, b'{"a":1}', now=1e9 - 299) == "hmac"
