"""A full demo run with debug logs: every line is JSON and no email or phone number appears unmasked."""

from __future__ import annotations

import json
import re
import unicodedata

import orjson
import pytest

from streams.demo.samples import sample_messages
from tests.e2e.conftest import DemoRun

pytestmark = pytest.mark.e2e


def _secrets(leads: int, seed: int) -> set[str]:
    """The emails and phone numbers the demo sends, as sent and as normalised."""
    found: set[str] = set()
    for raw in sample_messages(leads, seed=seed):
        try:
            lead = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        for value in (lead.get("email"), lead.get("phone")):
            if isinstance(value, str) and value:
                normal = unicodedata.normalize("NFKC", value).strip()
                found |= {value, normal, normal.lower()}
                if value == lead.get("phone"):
                    found.add(re.sub(r"\D", "", normal))
    return {s for s in found if len(s) >= 7}


def test_demo_logs_are_structured_and_pii_safe(demo_run: DemoRun) -> None:
    result = demo_run.result
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    text = "\n".join(p.read_text("utf-8") for p in sorted(demo_run.logs.glob("*.log")))
    lines = [line for line in text.splitlines() if line.strip()]
    # Debug logs name each lead's contact, so the masking has something to do.
    assert sum("***@" in line for line in lines) >= 50
    leaked = sorted(s for s in _secrets(demo_run.leads, demo_run.seed) if s in text)
    assert leaked == []
    not_json = [line for line in lines if not line.lstrip("\x1b[?25lh").startswith("{")]
    assert not_json == [] or all(json.loads(line) for line in not_json)
