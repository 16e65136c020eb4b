"""The benchmark's leads: business leads, every one its own person, with phones, half Japanese."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import orjson

from schemas import HandoffEvent, SourcePosition
from streams.logic.pipeline import decide
from streams.logic.policy_file import load_policy

_TITLES = ("CTO", "VP Engineering", "Head of Sales", "Engineer", "Marketing Manager", "代表取締役", "部長")
_FORMS = ("demo-request", "contact-sales", "pricing", "whitepaper", "webinar")
# Country, a national phone number pattern (digits filled at random), company names, domain suffix.
_PLACES = (
    ("JP", "03-{4}-{4}", ("株式会社アクメ", "山田製作所", "東京ロボティクス", "みらい商事"), "co.jp"),
    ("US", "(415) 555-{4}", ("Acme Corp", "Globex Inc", "Initech LLC", "Umbrella Co"), "com"),
    ("DE", "030 {4}{3}", ("Muster GmbH", "Beispiel AG", "Technik KG", "Nordlicht GmbH"), "de"),
    ("GB", "020 7{3} {4}", ("Widget Ltd", "Thames plc", "Albion Ltd", "Crown Works Ltd"), "co.uk"),
)


def _digits(pattern: str, rng: random.Random) -> str:
    out = pattern
    for width in ("{4}", "{3}"):
        while width in out:
            out = out.replace(width, "".join(rng.choice("0123456789") for _ in range(int(width[1]))), 1)
    return out


def business_leads(n: int, *, seed: int, tag: str) -> list[bytes]:
    """``n`` distinct leads: half from Japan, the rest US, DE and GB; each with a phone."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    out = []
    for index in range(n):
        country, phone, companies, suffix = _PLACES[0] if index % 2 == 0 else rng.choice(_PLACES[1:])
        company = rng.choice(companies)
        lead = {
            "event_id": f"{tag}-{index}",
            "submitted_at": (start + timedelta(seconds=index)).isoformat(),
            "form_id": rng.choice(_FORMS),
            "email": f"person{index}.{tag}@firm{index % 400}.example.{suffix}",
            "first_name": f"Name{index}",
            "last_name": "Tanaka" if country == "JP" else "Smith",
            "company": f"{company} {index % 400}",
            "job_title": rng.choice(_TITLES),
            "phone": _digits(phone, rng),
            "country": country,
            "employees": rng.choice((20, 150, 800, 5000)),
            "activity": {"page_views": rng.randint(0, 12), "pricing_page_views": rng.randint(0, 3)},
        }
        out.append(orjson.dumps(lead))
    return out


def expected_handoffs(messages: list[bytes]) -> set[str]:
    """Event ids the shipped policy hands to sales (computed offline)."""
    policy = load_policy(None)
    position = SourcePosition(topic="t", partition=0, offset=0)
    return {o.event_id for m in messages if isinstance(o := decide(m, position, policy), HandoffEvent)}
