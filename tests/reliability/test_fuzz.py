"""Fuzzed input against a running stream worker: every message ends as an outcome or a dead letter."""

from __future__ import annotations

import json
import random
import warnings
from collections.abc import Callable
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning, NonInteractiveExampleWarning

from streams.core.settings import Settings
from streams.demo.samples import sample_messages
from streams.kafka.topics import ensure_topics
from tests.reliability.harness import Outcomes, Workers, send, wait_until_accounted

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]

_TRICKY = [
    "",
    " ",
    "null",
    "株式会社テスト",
    "ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏ．ｊｐ",
    "０３－１２３４－５６７８",
    "+81 3-1234-5678",
    "1000-4999",
    "1万人以上",
    "\u3000",
    "a" * 300,
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\x00",
]
text = st.text(max_size=30) | st.sampled_from(_TRICKY)
scalar = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | text
json_value = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=8
)
instant = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=9))])).map(
    lambda d: d.isoformat()
)
email = st.emails() | st.sampled_from(
    ["taro@example.co.jp", "ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＣＯ．ＪＰ", "x@mailinator.com", "not-an-email", "a@b"]
)
forms = st.sampled_from(
    ["demo-request", "contact-sales", "pricing", "whitepaper", "webinar", "newsletter", "bad form!"]
)


def mostly(good: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Usually a well-typed value, sometimes any JSON at all."""
    return st.one_of(good, good, good, json_value)


_OPTIONAL = {
    name: mostly(text)
    for name in (
        "first_name",
        "last_name",
        "full_name",
        "company",
        "job_title",
        "phone",
        "country",
        "region",
        "budget",
        "timeline",
        "message",
        "page_url",
        "referrer",
        "honeypot",
        "unknown_field",
    )
}
_OPTIONAL["employees"] = mostly(st.integers(-5, 10**7) | text)
_OPTIONAL["utm"] = mostly(st.fixed_dictionaries({}, optional=dict.fromkeys(("source", "campaign"), text)))
_OPTIONAL["activity"] = mostly(
    st.fixed_dictionaries(
        {}, optional={"page_views": st.integers(-3, 10**6), "webinar_attended": st.booleans()}
    )
)
_OPTIONAL["consent"] = mostly(st.fixed_dictionaries({}, optional={"marketing": json_value}))
leads = st.fixed_dictionaries(
    {
        "event_id": mostly(text),
        "submitted_at": mostly(instant),
        "form_id": mostly(forms),
        "email": mostly(email),
    },
    optional=_OPTIONAL,
)


def _edge_cases() -> list[bytes]:
    """Inputs hand-picked to hurt: huge, not UTF-8, deep, empty, wrong JSON types."""
    valid = json.loads(sample_messages(1, seed=1)[0])
    return [
        b"",
        b"null",
        b"[]",
        b"42",
        b'"lead"',
        b"\xff\xfe\x00junk",
        b"{" * 5000,
        b"[" * 60_000,
        json.dumps({**valid, "event_id": "edge-huge", "message": "x" * 70_000}).encode(),
        json.dumps({**valid, "event_id": "edge-extra", **{f"k{i}": "v" * 100 for i in range(300)}}).encode(),
        json.dumps({**valid, "event_id": "edge-surrogate", "company": "\ud800"}).encode(),
        json.dumps({**valid, "event_id": "x" * 129}).encode(),
        json.dumps({**valid, "event_id": "edge-nested", "utm": [[[[{}]]]]}).encode(),
    ]


def fuzzed_messages(count: int, seed: int) -> list[bytes]:
    """Schema-shaped leads with fuzzed values, random JSON and random bytes; unique event ids mostly."""
    rng = random.Random(seed)
    out = _edge_cases()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        warnings.simplefilter("ignore", HypothesisWarning)
        while len(out) < count:
            roll = rng.random()
            if roll < 0.7:
                lead = leads.example()
                if rng.random() < 0.85 and isinstance(lead.get("event_id"), str):
                    lead["event_id"] = f"fz{len(out)}-{lead['event_id']}"[:128]
                out.append(json.dumps(lead, ensure_ascii=rng.random() < 0.5).encode())
            elif roll < 0.8:
                out.append(json.dumps(json_value.example()).encode())
            elif roll < 0.95:
                out.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))))
            else:
                out.append(text.example().encode("utf-8", "surrogatepass"))
    # A few valid leads at the end: poison earlier in a partition must not hold them up.
    return out + sample_messages(20, seed=seed)


@pytest.mark.parametrize("count", [1_000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_every_fuzzed_input_ends_as_an_outcome_or_a_dead_letter(
    count: int,
    settings_for: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    settings = settings_for()
    ensure_topics(settings)
    workers = Workers(settings, tmp_path / "logs")
    outcomes = Outcomes(settings)
    try:
        workers.start("worker-0")
        # Generating takes seconds of CPU: done while the worker starts and joins its group.
        messages = fuzzed_messages(count, seed=count)
        sent = send(settings, messages)
        missing = wait_until_accounted(outcomes, sent, workers, timeout_s=180)
        order = {position: index for index, position in enumerate(sent)}
        assert missing == [], [messages[order[p]][:200] for p in missing[:5]]
        assert not workers.dead(), (tmp_path / "logs" / "worker-0.log").read_text()[-3000:]
        print(
            f"\n{len(messages)} fuzzed inputs: {len(outcomes.handoffs)} handoffs, "
            f"{len(outcomes.nurtured)} nurtured, {len(outcomes.dead)} dead letters"
        )
        assert len(outcomes.dead) >= len(_edge_cases()) - 2
    finally:
        workers.stop()
        outcomes.close()
