"""`handoff send --bulk` writes to the bulk lane, and only there."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson

from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.topic_reader import read_topic


def test_send_bulk_writes_the_file_to_leads_bulk(
    settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = settings_for()
    ensure_topics(settings, [settings.topics.submitted, settings.topics.bulk])
    leads = [
        {"event_id": f"import-{n}", "submitted_at": "2026-11-25T10:00:00+09:00", "form_id": "expo"}
        for n in range(3)
    ]
    source = tmp_path / "expo.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(lead) for lead in leads))
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli", "send", "--bulk", str(source)],
        env={**os.environ, **settings.to_env()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sent 3 leads to {settings.topics.bulk}"
    bulk = read_topic(settings.kafka.bootstrap_servers, settings.topics.bulk)
    assert sorted(key or b"" for key, _ in bulk) == [b"import-0", b"import-1", b"import-2"]
    assert read_topic(settings.kafka.bootstrap_servers, settings.topics.submitted) == []
