"""Read a lead request body without trusting its size, and parse JSON or form fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from schemas import MAX_MESSAGE_BYTES
from schemas.errors import IntakeError
from streams.logic.submission import nest_form_fields

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
ACCEPTED_TYPES = (JSON, FORM)
# Far more than any lead form has, far fewer than a hostile body could carry.
MAX_FORM_FIELDS = 500


class BadBody(IntakeError):
    """The body cannot be read as a lead; carries the HTTP status and an error code."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def check_headers(request: web.Request, limit: int = MAX_MESSAGE_BYTES) -> str:
    """Refuse a wrong content type or a declared oversize body before reading it; return the type."""
    if request.content_type not in ACCEPTED_TYPES:
        raise BadBody(415, "unsupported_media_type", f"send {JSON} or {FORM}")
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise BadBody(415, "unsupported_charset", "send the body as UTF-8")
    if request.content_length is not None and request.content_length > limit:
        raise BadBody(413, "too_large", f"a lead is at most {limit} bytes")
    return request.content_type


async def read_capped(request: web.Request, limit: int = MAX_MESSAGE_BYTES) -> bytes:
    """Read the body, stopping as soon as it passes ``limit`` (chunked bodies declare no size)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise BadBody(413, "too_large", f"a lead is at most {limit} bytes")
        chunks.append(chunk)


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Parse a JSON object or form fields (with utm/activity/consent nesting) into a dict."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody(400, "not_utf8", "the body is not valid UTF-8") from None
    if content_type == FORM:
        try:
            pairs = parse_qsl(
                text,
                keep_blank_values=True,
                max_num_fields=MAX_FORM_FIELDS,
                encoding="utf-8",
                errors="strict",
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadBody(400, "bad_form", f"form fields cannot be read: {type(exc).__name__}") from None
        return nest_form_fields(pairs)
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise BadBody(400, "not_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadBody(422, "not_object", "a lead is a JSON object")
    return data
