"""What the intake tests share: the forms file, a sample lead and the client types."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from streams.core.settings import Settings

SITE = "https://www.example.co.jp"
KEY, SECRET = "demo-key-1", "demo-hmac-1"
FORMS = {
    "forms": {
        "demo-request": {
            "api_key_envs": ["TEST_DEMO_KEY"],
            "hmac_secret_envs": ["TEST_DEMO_HMAC"],
            "allowed_origins": [SITE],
        },
        "newsletter": {"allowed_origins": [SITE]},
    }
}
Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[tuple[Client, Settings]]]


def lead(**fields: Any) -> dict[str, Any]:
    return {
        "form_id": "demo-request",
        "email": "hanako.sato@marubeni-tech.co.jp",
        "full_name": "佐藤 花子",
        "company": "丸紅テック株式会社",
        **fields,
    }
