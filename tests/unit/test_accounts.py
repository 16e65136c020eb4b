"""Lead-to-account matching (domain first, then company name) and the accounts CSV reader."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas import HandoffEvent
from streams.desk.accounts_csv import clean_domain, read_accounts
from streams.logic.accounts import KnownAccount, build_index, match_account
from streams.logic.decode import decode_lead
from streams.logic.enrich import AccountMatcher
from streams.logic.lead import Lead, normalise_lead
from streams.logic.pipeline import decide
from streams.logic.policy_file import load_policy
from tests.unit.leads import POS, raw

pytestmark = pytest.mark.unit

INDEX = build_index(
    [
        KnownAccount(
            name="株式会社豊田自動織機",
            domain="toyota-shokki.co.jp",
            owner="sato.kenji",
            segment="enterprise",
            employees=70000,
            industry="Machinery",
            country="JP",
        ),
        KnownAccount(
            name="Acme Robotics, Inc.", domain="acme-robotics.com", owner="emily.carter", employees=800
        ),
        KnownAccount(name="Northwind Traders Ltd", owner="james.miller"),
        KnownAccount(name="NTT", domain=None),
    ]
)


def lead(**fields: object) -> Lead:
    decoded = decode_lead(raw(**fields))
    assert not hasattr(decoded, "error")
    return normalise_lead(decoded)


@pytest.mark.parametrize(
    ("fields", "name", "method", "confidence"),
    [
        ({"email": "a@toyota-shokki.co.jp"}, "株式会社豊田自動織機", "domain", 1.0),
        (
            {"email": "ＴＡＲＯ＠ＴＯＹＯＴＡ－ＳＨＯＫＫＩ．ＣＯ．ＪＰ"},
            "株式会社豊田自動織機",
            "domain",
            1.0,
        ),
        ({"email": "a@jp.acme-robotics.com"}, "Acme Robotics, Inc.", "parent_domain", 0.97),
        ({"email": "a@gmail.com", "company": "（株）豊田自動織機"}, "株式会社豊田自動織機", "name", 0.95),
        ({"email": "a@gmail.com", "company": "ACME ROBOTICS"}, "Acme Robotics, Inc.", "name", 0.95),
        (
            {"email": "a@nw.example.org", "company": "Northwind Trader"},
            "Northwind Traders Ltd",
            "fuzzy_name",
            None,
        ),
    ],
)
def test_match(fields: dict[str, object], name: str, method: str, confidence: float | None) -> None:
    match = match_account(lead(**fields), INDEX)
    assert match.account is not None and match.account.name == name
    assert match.method == method
    if confidence is not None:
        assert match.confidence == confidence
    else:
        assert 0.8 <= match.confidence < 0.9


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "a@gmail.com"},  # free mail never matches by domain
        {"email": "a@other.co.jp", "company": "Totally Different KK"},
        {"email": "a@other.co.jp", "company": "NTD"},  # short names never match fuzzily
    ],
)
def test_no_match(fields: dict[str, object]) -> None:
    assert match_account(lead(**fields), INDEX).account is None


def test_matched_account_routes_to_its_owner_and_fills_the_handoff() -> None:
    event = decide(
        raw(email="taro@toyota-shokki.co.jp", form_id="whitepaper", country="JP"),
        POS,
        load_policy(),
        datetime(2026, 11, 25, tzinfo=UTC),
        enrichers=[AccountMatcher(INDEX)],
    )
    assert isinstance(event, HandoffEvent)
    assert (event.queue, event.owner) == ("enterprise", "sato.kenji")
    assert event.account.matched and event.account.match_confidence == 1.0
    assert event.account.industry == "Machinery" and event.account.employees == 70000
    rules = [r.rule for r in event.reasons]
    assert "enrich.account.domain" in rules and "route.account_owner" in rules


def test_owner_not_on_the_roster_routes_normally() -> None:
    index = build_index([KnownAccount(name="X", domain="x-corp.co.jp", owner="somebody.else")])
    event = decide(
        raw(email="a@x-corp.co.jp", form_id="demo-request"),
        POS,
        load_policy(),
        enrichers=[AccountMatcher(index)],
    )
    assert isinstance(event, HandoffEvent)
    assert event.queue == "inside-sales" and event.owner is None and event.account.matched


def test_read_accounts_csv(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "\ufeffDomain,Name,Owner,Segment,Employees,Industry,Country\n"
        'https://www.toyota-shokki.co.jp/,株式会社豊田自動織機,sato.kenji,enterprise,"70,000",Machinery,日本\n'
        "acme.com,Acme,,smb,1000-4999,,US\n",
        "utf-8",
    )
    rows, errors = read_accounts(path)
    assert errors == []
    assert rows[0].domain == "toyota-shokki.co.jp" and rows[0].employees == 70000 and rows[0].country == "JP"
    assert rows[1].owner is None and rows[1].employees == 1000


def test_read_accounts_csv_reports_every_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "domain,name,employees,country\na.com,,10,JP\nb.com,B,lots,JP\nc.com,C,5,Atlantis\n", "utf-8"
    )
    rows, errors = read_accounts(path)
    assert rows == []
    assert [e.split(": ", 1)[0].rsplit(":", 1)[1] for e in errors] == ["2", "3", "4"]


def test_clean_domain() -> None:
    assert clean_domain("ＷＷＷ．Example．co．jp") == "example.co.jp"
    assert clean_domain("sales@example.com") == "example.com"
