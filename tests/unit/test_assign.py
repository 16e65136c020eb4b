"""Owner assignment inside a queue: fairness, weights, capacity, sticky accounts, days off."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from streams.logic.assign import Ledger, choose_owner, round_robin
from streams.logic.policy import QueueConfig, Rep, Strategy

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
NAMES = [f"rep{i}" for i in range(7)]


def roster(**extra: Mapping[str, object]) -> dict[str, Rep]:
    return {n: Rep.model_validate({"timezone": "Asia/Tokyo", **extra.get(n, {})}) for n in NAMES}


def deal(
    queue: QueueConfig,
    reps: dict[str, Rep],
    n: int,
    ledger: Ledger | None = None,
    accounts: list[str | None] | None = None,
) -> Counter[str | None]:
    ledger = ledger or Ledger()
    got: Counter[str | None] = Counter()
    for i in range(n):
        key = accounts[i % len(accounts)] if accounts else None
        choice = choose_owner(queue, reps, ledger, now=NOW, account_key=key)
        if choice.owner:
            ledger.record(choice.owner, cursor=choice.cursor, account_key=key)
        got[choice.owner] += 1
    return got


@pytest.mark.parametrize("strategy", ["round_robin", "weighted", "capacity", "sticky_account"])
def test_ten_thousand_leads_over_seven_reps_are_within_one_of_the_mean(strategy: Strategy) -> None:
    got = deal(QueueConfig(reps=NAMES, strategy=strategy), roster(), 10_000)
    mean = 10_000 / 7
    assert set(got) == set(NAMES)
    assert all(abs(n - mean) <= 1 for n in got.values()), got


def test_round_robin_by_count() -> None:
    counts = Counter(round_robin(NAMES, n) for n in range(10_000))
    assert all(abs(c - 10_000 / 7) <= 1 for c in counts.values())
    assert round_robin([], 3) is None


def test_round_robin_survives_a_ledger_round_trip() -> None:
    queue, reps, ledger = QueueConfig(reps=NAMES), roster(), Ledger()
    owners = []
    for _ in range(10):
        ledger = Ledger.from_json(ledger.to_json())
        choice = choose_owner(queue, reps, ledger, now=NOW)
        assert choice.owner is not None
        ledger.record(choice.owner, cursor=choice.cursor, account_key=None)
        owners.append(choice.owner)
    assert owners == NAMES + NAMES[:3]


def test_weighted_shares_follow_weights() -> None:
    reps = roster(rep0={"weight": 3}, rep1={"weight": 2})
    got = deal(QueueConfig(reps=NAMES, strategy="weighted"), reps, 1000)
    assert got["rep0"] == pytest.approx(3000 / 10, abs=1)
    assert got["rep1"] == pytest.approx(2000 / 10, abs=1)
    assert got["rep6"] == pytest.approx(1000 / 10, abs=1)


def test_capacity_caps_open_leads_then_leaves_unassigned() -> None:
    reps = roster(**{n: {"capacity": 2} for n in NAMES})
    got = deal(QueueConfig(reps=NAMES, strategy="capacity"), reps, 20)
    assert all(got[n] == 2 for n in NAMES)
    assert got[None] == 6


def test_capacity_frees_up_when_a_lead_is_released() -> None:
    queue, reps = QueueConfig(reps=["rep0"], strategy="capacity"), roster(rep0={"capacity": 1})
    ledger = Ledger()
    ledger.record("rep0", cursor=0, account_key=None)
    assert choose_owner(queue, reps, ledger, now=NOW).owner is None
    ledger.release("rep0")
    assert choose_owner(queue, reps, ledger, now=NOW).owner == "rep0"


def test_sticky_account_keeps_the_same_rep_per_account() -> None:
    queue, reps, ledger = QueueConfig(reps=NAMES, strategy="sticky_account"), roster(), Ledger()
    first: dict[str, str] = {}
    for i in range(50):
        key = f"acct{i % 5}.co.jp"
        choice = choose_owner(queue, reps, ledger, now=NOW, account_key=key)
        assert choice.owner is not None
        ledger.record(choice.owner, cursor=choice.cursor, account_key=key)
        assert first.setdefault(key, choice.owner) == choice.owner


def test_out_of_office_reps_are_skipped() -> None:
    reps = roster(rep0={"out_of_office": ["2026-11-25"]}, rep1={"out_of_office": ["2026-11-20/2026-11-30"]})
    got = deal(QueueConfig(reps=NAMES), reps, 50)
    assert got["rep0"] == got["rep1"] == 0
    assert all(got[n] == 10 for n in NAMES[2:])


def test_everyone_away_leaves_the_lead_unassigned_with_a_reason() -> None:
    reps = roster(**{n: {"out_of_office": ["2026-11-25"]} for n in NAMES})
    choice = choose_owner(QueueConfig(reps=NAMES), reps, Ledger(), now=NOW)
    assert choice.owner is None and choice.reason.rule == "assign.unassigned"


def test_account_owner_first_unless_away() -> None:
    reps = roster(rep3={"out_of_office": ["2026-11-25"]})
    queue = QueueConfig(reps=NAMES)
    assert choose_owner(queue, reps, Ledger(), now=NOW, preassigned="rep2").owner == "rep2"
    away = choose_owner(queue, reps, Ledger(), now=NOW, preassigned="rep3")
    assert away.owner == "rep0" and "out of office" in away.reason.detail
