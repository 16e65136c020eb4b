"""Who is posting a lead: a server with an API key or an HMAC signature, or a browser page.

Servers prove themselves with a secret. A browser cannot keep one, so a browser post
is accepted on its ``Origin`` alone when the form allows that origin. Any non-browser
client can forge an ``Origin`` header, so origin-only forms are open to scripted
posts: the honeypot, the per-client rate limit and the qualification policy are the
defence there, and forms fed only by a backend should list no origins.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from schemas.errors import IntakeError
from streams.logic.submission import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_of
from streams.web.forms import FormAccess, origin_allowed


@dataclass
class Denied(IntakeError):
    """The request may not post this form; ``status`` is 401 or 403."""

    status: int
    code: str
    detail: str


def _any_equal(given: bytes, candidates: tuple[bytes, ...]) -> bool:
    # Compare against every candidate so timing does not reveal which one matched.
    return sum(hmac.compare_digest(given, c) for c in candidates) > 0


def _check_signature(
    access: FormAccess, headers: Mapping[str, str], body: bytes, now: float, window_s: int
) -> str:
    stamp = headers.get(TIMESTAMP_HEADER, "")
    if not stamp.isdigit():
        raise Denied(401, "bad_signature", f"{TIMESTAMP_HEADER} must be Unix seconds")
    if abs(now - int(stamp)) > window_s:
        raise Denied(
            401, "stale_signature", f"{TIMESTAMP_HEADER} is more than {window_s} s from the server's clock"
        )
    given = headers.get(SIGNATURE_HEADER, "").removeprefix("sha256=").strip().lower().encode()
    expected = tuple(signature_of(secret, body, int(stamp)).encode() for secret in access.hmac_secrets)
    if not expected or not _any_equal(given, expected):
        raise Denied(401, "bad_signature", "the signature does not match this form's secret")
    return "hmac"


def authenticate(
    access: FormAccess, headers: Mapping[str, str], body: bytes, *, own_origin: str, now: float, window_s: int
) -> str:
    """Return how the caller proved itself (``api_key``, ``hmac`` or ``origin``), or raise Denied."""
    if KEY_HEADER in headers:
        key = headers[KEY_HEADER].strip().encode()
        if access.api_keys and _any_equal(key, access.api_keys):
            return "api_key"
        raise Denied(401, "bad_api_key", f"{KEY_HEADER} is not a key of this form")
    if SIGNATURE_HEADER in headers:
        return _check_signature(access, headers, body, now, window_s)
    origin = headers.get("Origin", "").rstrip("/")
    if origin and origin != "null":
        if origin_allowed(access, origin, own_origin):
            return "origin"
        raise Denied(403, "origin_not_allowed", "this form does not accept posts from this origin")
    raise Denied(401, "unauthenticated", f"send {KEY_HEADER}, or {SIGNATURE_HEADER} with {TIMESTAMP_HEADER}")
