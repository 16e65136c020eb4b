"""Enrichers: small plug-ins that add facts to a lead, and can never lose or stall it.

An enricher with ``timeout_s = None`` is trusted to be pure and fast and runs inline;
any other runs on a worker thread and is abandoned when it takes too long. Either way a
failure becomes a reason on the lead and the lead goes on unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol

from schemas import Account, Reason
from streams.logic.accounts import AccountIndex, Match, match_account
from streams.logic.lead import Lead, with_facts
from streams.logic.reasons import shared_reason


class Enricher(Protocol):
    """Adds facts to a lead."""

    name: str
    timeout_s: float | None

    def enrich(self, lead: Lead) -> Lead:
        """Return the lead with more facts (never mutate it)."""
        ...


_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool per process, made on first use
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="enrich")
    return _pool


def _note(lead: Lead, reason: Reason) -> Lead:
    return with_facts(lead, notes=(*lead.notes, reason))


def run_enrichers(lead: Lead, enrichers: Sequence[Enricher]) -> Lead:
    """Apply each enricher in turn; failures and timeouts are noted, never raised."""
    for enricher in enrichers:
        try:
            if enricher.timeout_s is None:
                lead = enricher.enrich(lead)
            else:
                lead = _executor().submit(enricher.enrich, lead).result(timeout=enricher.timeout_s)
        except FutureTimeout:
            lead = _note(
                lead,
                Reason(
                    rule=f"enrich.{enricher.name}.timeout",
                    detail=f"no answer within {enricher.timeout_s:g}s; went on without it",
                ),
            )
        except Exception as exc:  # noqa: BLE001 - an enricher must never lose a lead
            lead = _note(
                lead,
                Reason(
                    rule=f"enrich.{enricher.name}.failed", detail=f"{type(exc).__name__}; went on without it"
                ),
            )
    return lead


def with_match(lead: Lead, match: Match) -> Lead:
    """Attach an account match to the lead and fill what the lead did not say."""
    known = match.account
    if known is None:
        return lead
    mine = lead.account
    account = Account(
        name=known.name,
        domain=known.domain or mine.domain,
        employees=mine.employees if mine.employees is not None else known.employees,
        industry=known.industry or mine.industry,
        country=mine.country or known.country,
        matched=True,
        match_confidence=match.confidence,
    )
    employees = lead.employees if lead.employees is not None else known.employees
    # Leads from one company share its account, and so the reason that names it.
    detail = f"{known.name} ({match.detail}, confidence {match.confidence:.2f})"
    note = shared_reason(f"enrich.account.{match.method}", detail=detail)
    return with_facts(lead, account=account, match=match, employees=employees, notes=(*lead.notes, note))


@dataclasses.dataclass
class AccountMatcher:
    """Match the lead to a known account; the index is swapped whole when refreshed."""

    index: AccountIndex
    name: str = "account"
    timeout_s: float | None = None

    def enrich(self, lead: Lead) -> Lead:
        """Attach the best account match, if any."""
        return with_match(lead, match_account(lead, self.index))


class CallableEnricher:
    """Wrap a function as an enricher."""

    def __init__(self, name: str, fn: Callable[[Lead], Lead], timeout_s: float | None = 1.0) -> None:
        self.name, self.fn, self.timeout_s = name, fn, timeout_s

    def enrich(self, lead: Lead) -> Lead:
        """Call the wrapped function."""
        return self.fn(lead)
