"""Lead-to-account matching: email domain first, then the normalised company name, fuzzily."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from streams.logic.company import normalise_company

if TYPE_CHECKING:
    from streams.logic.lead import Lead

# Confidence of each way to match; a fuzzy match scales its similarity into the last band.
DOMAIN_CONFIDENCE = 1.0
PARENT_DOMAIN_CONFIDENCE = 0.97
NAME_CONFIDENCE = 0.95
FUZZY_CEILING = 0.9
# Very short keys ("ab", "ntt") match too much when fuzzy.
_MIN_FUZZY_KEY = 4
# Company keys whose fuzzy match is remembered, per index.
MAX_FUZZY_MEMO = 65_536


@dataclass(frozen=True)
class KnownAccount:
    """A company sales already knows (a row of the accounts table)."""

    name: str
    domain: str | None = None
    owner: str | None = None
    segment: str | None = None
    employees: int | None = None
    industry: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Match:
    """The account a lead belongs to, how it was found, and how sure we are."""

    account: KnownAccount | None = None
    method: str | None = None  # "domain", "parent_domain", "name", "fuzzy_name"
    confidence: float = 0.0
    detail: str = ""


NO_MATCH = Match()


@dataclass(frozen=True)
class AccountIndex:
    """Accounts keyed for matching; build it once, share it read-only."""

    by_domain: dict[str, KnownAccount] = field(default_factory=dict)
    by_name: dict[str, KnownAccount] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # sorted by length, so a fuzzy search scans only plausible lengths
    lengths: tuple[int, ...] = ()
    fuzzy_min: float = 0.88
    # The fuzzy match of each company key seen: many leads come from the same companies,
    # and the memo goes with the index when a refreshed one replaces it.
    fuzzy: dict[str, Match] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len({id(a) for a in (*self.by_domain.values(), *self.by_name.values())})

    def forget(self) -> None:
        """Forget the memoised fuzzy matches."""
        self.fuzzy.clear()


EMPTY_INDEX = AccountIndex()


def build_index(accounts: Iterable[KnownAccount], *, fuzzy_min: float = 0.88) -> AccountIndex:
    """Index accounts by domain and by normalised company name (first one wins on a clash)."""
    by_domain: dict[str, KnownAccount] = {}
    by_name: dict[str, KnownAccount] = {}
    for account in accounts:
        if account.domain:
            by_domain.setdefault(account.domain.lower().strip().removeprefix("www."), account)
        key = normalise_company(account.name)
        if key is not None:
            by_name.setdefault(key.match_key, account)
    names = tuple(sorted(by_name, key=len))
    return AccountIndex(by_domain, by_name, names, tuple(map(len, names)), fuzzy_min)


def _candidates(key: str, index: AccountIndex) -> tuple[str, ...]:
    """Names long enough and short enough to reach the similarity cut-off at all."""
    # fuzz.ratio is at most 2*min(a, b) / (a + b), so lengths outside this window cannot match.
    r = index.fuzzy_min
    low = math.ceil(len(key) * r / (2 - r))
    high = math.floor(len(key) * (2 - r) / r)
    return index.names[bisect.bisect_left(index.lengths, low) : bisect.bisect_right(index.lengths, high)]


def _by_domain(domain: str, index: AccountIndex) -> Match | None:
    if domain in index.by_domain:
        return Match(index.by_domain[domain], "domain", DOMAIN_CONFIDENCE, f"email domain {domain}")
    labels = domain.split(".")
    # jp.example.com or tokyo.example.co.jp belong to example.com / example.co.jp.
    for i in range(1, len(labels) - 1):
        parent = ".".join(labels[i:])
        if parent in index.by_domain:
            return Match(
                index.by_domain[parent],
                "parent_domain",
                PARENT_DOMAIN_CONFIDENCE,
                f"email domain {domain} under {parent}",
            )
    return None


def match_account(lead: Lead, index: AccountIndex) -> Match:
    """Find the lead's account: email domain (not free mail), then company name."""
    if not index.by_domain and not index.by_name:
        return NO_MATCH
    if not lead.free_mail:
        found = _by_domain(lead.domain, index)
        if found:
            return found
    key = lead.company_key
    if not key:
        return NO_MATCH
    if key in index.by_name:
        return Match(index.by_name[key], "name", NAME_CONFIDENCE, "same company name")
    if len(key) < _MIN_FUZZY_KEY or not index.names:
        return NO_MATCH
    found = index.fuzzy.get(key)
    if found is None:
        if len(index.fuzzy) >= MAX_FUZZY_MEMO:
            index.fuzzy.clear()
        found = index.fuzzy[key] = _fuzzy_match(key, index)
    return found


def _fuzzy_match(key: str, index: AccountIndex) -> Match:
    """Return the most similar known company name above the cut-off, or no match."""
    best = process.extractOne(
        key, _candidates(key, index), scorer=fuzz.ratio, score_cutoff=index.fuzzy_min * 100
    )
    if best is None:
        return NO_MATCH
    name, similarity, _ = best
    return Match(
        index.by_name[name],
        "fuzzy_name",
        round(similarity / 100 * FUZZY_CEILING, 3),
        f"company name {similarity:.0f}% similar",
    )
