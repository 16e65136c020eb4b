"""Fixtures of the integration tests beyond the session-wide ones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from streams.web.app import build_web_app
from tests.integration.intake_support import FORMS, KEY, SECRET, Client, MakeClient


@pytest.fixture
async def make_client(
    settings_for: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MakeClient]:
    monkeypatch.setenv("TEST_DEMO_KEY", KEY)
    monkeypatch.setenv("TEST_DEMO_HMAC", SECRET)
    forms = tmp_path / "forms.yaml"
    forms.write_text(yaml.safe_dump(FORMS))
    clients: list[Client] = []

    async def make(create_topic: bool = True, **overrides: Any) -> tuple[Client, Settings]:
        settings = settings_for(**{"forms_file": forms, "intake_rate_burst": 1000, **overrides})
        if create_topic:
            await asyncio.to_thread(ensure_topics, settings, [settings.topics.submitted], partitions=2)
        client: Client = TestClient(TestServer(build_web_app(settings)))
        await client.start_server()
        clients.append(client)
        return client, settings

    yield make
    for client in clients:
        await client.close()
