"""Single-core throughput of normalisation and of whole decisions (leads/s).

Run: python bench/decide.py [N]   (default 10,000 sample leads, the demo's mix of
Japanese and US leads with about 5% junk). Prints one line per stage: the best of a
few runs, each started with empty memo caches, as leads/s of this process's CPU time
(steady on a machine shared with other jobs) and of wall-clock time.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from faker import Faker

from schemas import DeadLetter, HandoffEvent, SourcePosition
from streams.demo.samples import sample_messages
from streams.logic.accounts import AccountIndex, KnownAccount, build_index
from streams.logic.assign import Ledger
from streams.logic.decode import decode_lead
from streams.logic.enrich import AccountMatcher
from streams.logic.lead import normalise_lead
from streams.logic.normalise import InvalidEmail
from streams.logic.pipeline import assign_owner, decide
from streams.logic.policy_file import load_policy
from streams.logic.qualify import qualify
from streams.logic.simulate import prepare_all, run

# Memo caches that live in objects rather than in modules (the account index's).
_MEMOS: list[AccountIndex] = []


def _cold() -> None:
    """Empty every memo cache of the decision logic, so repeats do not flatter the numbers."""
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith(("streams.logic.", "schemas.")):
            for value in vars(module).values():
                if hasattr(value, "cache_clear"):
                    value.cache_clear()
    for memo in _MEMOS:
        memo.forget()


def _rate(label: str, n: int, fn: Callable[[], object], repeat: int = 3) -> None:
    runs = [_timed(fn) for _ in range(repeat)]
    wall = min(w for w, _ in runs)
    cpu = min(c for _, c in runs)
    print(
        f"{label:<48} {n / cpu:>10,.0f} leads/s  {cpu / n * 1e6:>6,.0f} µs/lead CPU"
        f"  (wall: {n / wall:,.0f} leads/s)"
    )


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run; CPU time is what counts on a shared machine."""
    _cold()
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def main(n: int) -> None:
    """Measure each stage on the same messages."""
    messages = sample_messages(n, seed=11, now=datetime(2026, 11, 25, tzinfo=UTC))
    policy = load_policy()
    pos = SourcePosition(topic="bench", partition=0, offset=0)
    decoded = [d for d in map(decode_lead, messages) if not hasattr(d, "error")]
    leads = []
    for d in decoded:
        with contextlib.suppress(InvalidEmail):
            leads.append(normalise_lead(d))  # type: ignore[arg-type,unused-ignore]
    # Realistic names (the same generator as the leads), so fuzzy matching does real work.
    Faker.seed(3)
    fakers = (Faker("ja_JP"), Faker("en_US"))
    index = build_index(
        KnownAccount(name=fakers[i % 2].company(), domain=f"account{i}.example.net") for i in range(5000)
    )
    matcher = AccountMatcher(index)
    _MEMOS.append(index)

    def whole() -> None:
        ledgers: dict[str, Ledger] = {}
        for raw in messages:
            out = decide(raw, pos, policy, enrichers=[matcher])
            if isinstance(out, HandoffEvent):
                assign_owner(out, policy, ledgers.setdefault(out.queue, Ledger()))
            elif isinstance(out, DeadLetter):
                pass

    print(f"{n:,} sample leads, {len(leads):,} valid; policy {policy.version}; {len(index):,} accounts")
    _rate("decode + validate (JSON, pydantic, NFKC)", n, lambda: [decode_lead(m) for m in messages])
    _rate(
        "normalise (email, phone, names, title, company)",
        len(decoded),
        lambda: [normalise_lead(d) for d in decoded],
    )  # type: ignore[arg-type,unused-ignore]
    _rate(
        "account matching (5,000 accounts, fuzzy names)",
        len(leads),
        lambda: [matcher.enrich(x) for x in leads],
    )
    _rate("qualify (score, stage, route)", len(leads), lambda: [qualify(x, policy) for x in leads])
    _rate("decision end to end (decide + assign_owner)", n, whole, repeat=2)
    prepared = prepare_all(((pos, m) for m in messages), [matcher])
    _rate("simulate: re-decide prepared leads per policy", n, lambda: run(prepared, policy))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
