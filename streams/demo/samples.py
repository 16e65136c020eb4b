"""Realistic sample leads for the demo: Japanese and US forms, with the usual junk mixed in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from faker import Faker

_JA_TITLES = [
    "代表取締役社長",
    "取締役",
    "営業部長",
    "情報システム部 課長",
    "マーケティング部 部長",
    "主任",
    "担当",
    "担当者",
    "経営企画室 室長",
    "執行役員",
    "一般社員",
    "スタッフ",
    "学生",
    "",
    "",
    "",
]
_EN_TITLES = [
    "CEO",
    "VP of Sales",
    "Director of IT",
    "Marketing Manager",
    "Software Engineer",
    "Head of Operations",
    "Analyst",
    "CTO",
    "Procurement Specialist",
    "Student",
    "Consultant",
    "Associate",
    "",
    "",
    "",
]
_FORMS = ["demo-request", "contact-sales", "pricing", "whitepaper", "webinar", "newsletter"]
_FORM_WEIGHTS = [12, 6, 10, 26, 18, 28]
_EMPLOYEES: list[Any] = ["1-49", "50-249", "250-999", "1000-4999", "5,000+", 30, 120, 2500, None, None, None]
_JA_EMPLOYEES: list[Any] = [
    "約300名",
    "1000名",
    "50人",
    "1万人以上",
    "1,000～4,999",
    "10名未満",
    None,
    None,
    None,
]
_TIMELINES = [
    "今すぐ",
    "3ヶ月以内",
    "半年以内",
    "未定",
    "within 1 month",
    "1-3 months",
    "next year",
    None,
    None,
    None,
    None,
]
_BUDGETS = ["500万円", "$50k", "未定", "none", "1,000万円以上", None, None, None, None]
_CAMPAIGNS = ["2026q4-webinar", "expo-tokyo", "google-ads-brand", "newsletter-nov", None]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _lead(fake_ja: Faker, fake_en: Faker, rng: random.Random, i: int, now: datetime) -> dict[str, Any]:
    japanese = rng.random() < 0.6
    fake = fake_ja if japanese else fake_en
    company = fake.company()
    free = rng.random() < 0.35
    email = fake.free_email() if free else fake.company_email()
    if japanese and rng.random() < 0.15:
        email = _full_width(email.upper())
    lead: dict[str, Any] = {
        "event_id": f"demo-{i:06d}-{rng.getrandbits(32):08x}",
        "submitted_at": (now - timedelta(seconds=rng.randint(0, 3600))).isoformat(),
        "form_id": rng.choices(_FORMS, _FORM_WEIGHTS)[0],
        "email": email,
        "company": company,
        "job_title": rng.choice(_JA_TITLES if japanese else _EN_TITLES),
        "phone": fake.phone_number(),
        "country": rng.choice(["日本", "JP", "Japan"]) if japanese else rng.choice(["US", "United States"]),
        "employees": rng.choice(_JA_EMPLOYEES if japanese else _EMPLOYEES),
        "timeline": rng.choice(_TIMELINES),
        "budget": rng.choice(_BUDGETS),
        "utm": {
            "source": rng.choice(["google", "linkedin", "event", "newsletter"]),
            "medium": rng.choice(["cpc", "email", "referral"]),
            "campaign": rng.choice(_CAMPAIGNS),
        },
        "activity": {
            "page_views": rng.randint(1, 40),
            "pricing_page_views": rng.choice([0, 0, 0, 0, 1, 2, 3]),
            "content_downloads": rng.choice([0, 0, 1, 1, 2, 3]),
            "webinar_attended": rng.random() < 0.2,
        },
        "consent": {"marketing": rng.random() < 0.7, "processing": True},
    }
    if japanese:
        lead["last_name"], lead["first_name"] = fake.last_name(), fake.first_name()
    else:
        lead["first_name"], lead["last_name"] = fake.first_name(), fake.last_name()
    return {k: v for k, v in lead.items() if v is not None}


def sample_messages(n: int, *, seed: int = 7, now: datetime | None = None) -> list[bytes]:
    """Return ``n`` raw messages: mostly valid leads, plus spam and malformed ones (about 5%)."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    Faker.seed(seed)
    fake_ja, fake_en = Faker("ja_JP"), Faker("en_US")
    now = now or datetime.now(UTC)
    out: list[bytes] = []
    for i in range(n):
        roll = rng.random()
        lead = _lead(fake_ja, fake_en, rng, i, now)
        if roll < 0.02:
            lead["honeypot"] = "http://cheap-pills.example"
        elif roll < 0.03:
            lead["email"] = f"temp{i}@mailinator.com"
        elif roll < 0.04:
            out.append(b'{"event_id": "broken-' + str(i).encode() + b'", "email": ')
            continue
        elif roll < 0.05:
            lead.pop("email")
        out.append(orjson.dumps(lead))
    return out
