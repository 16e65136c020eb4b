"""A lead after normalisation and enrichment: the facts the policy reasons about."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas import Account, Activity, Consent, Contact, LeadSubmitted, Reason, Source
from streams.logic.accounts import NO_MATCH, Match
from streams.logic.company import looks_like_test_data, normalise_company
from streams.logic.normalise import (
    email_domain,
    is_disposable,
    is_free_mail,
    normalise_country,
    normalise_email,
    normalise_phone,
)
from streams.logic.people import normalise_name, parse_employees
from streams.logic.titles import Seniority, classify_title

_HANDOFF_NAMESPACE = uuid.UUID("6f1c1b7e-8f5e-4d0b-9b1e-5a7c2d0e4f10")
_NAMESPACE_BYTES = _HANDOFF_NAMESPACE.bytes


def lead_id_for(email: str) -> str:
    """Stable, non-reversible id of a person: a hash of the normalised email."""
    return "lead_" + hashlib.sha256(email.encode()).hexdigest()[:24]


def handoff_id_for(event_id: str) -> str:
    """Deterministic handoff id, so a redelivered event maps to the same handoff.

    The text of ``uuid.uuid5(_HANDOFF_NAMESPACE, event_id)``, built from the hash directly.
    """
    digest = hashlib.sha1(_NAMESPACE_BYTES + event_id.encode(), usedforsecurity=False).hexdigest()
    # Version 5 in the 13th hex digit, the RFC 4122 variant (10xx) in the 17th, as uuid5 sets them.
    variant = "89ab"[int(digest[16], 16) & 3]
    return f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-{variant}{digest[17:20]}-{digest[20:32]}"


@dataclass(frozen=True)
class Lead:
    """A normalised, enriched lead."""

    event_id: str
    lead_id: str
    submitted_at: datetime
    email: str
    domain: str
    free_mail: bool
    disposable: bool
    test_data: bool
    honeypot: bool
    seniority: Seniority
    employees: int | None
    country: str | None
    budget: str | None
    timeline: str | None
    activity: Activity
    contact: Contact
    account: Account
    source: Source
    company_key: str | None = None
    message: str | None = None
    consent: Consent = field(default_factory=Consent)
    match: Match = NO_MATCH
    # What enrichment did or failed to do (a failed enricher never drops the lead).
    notes: tuple[Reason, ...] = ()


def with_facts(lead: Lead, **changes: Any) -> Lead:
    """Return ``dataclasses.replace(lead, **changes)``, without running the 24-field ``__init__`` again."""
    unknown = changes.keys() - lead.__dict__.keys()
    if unknown:
        raise TypeError(f"Lead has no field {sorted(unknown)[0]!r}")
    copy = object.__new__(Lead)
    copy.__dict__.update(lead.__dict__, **changes)
    return copy


def normalise_lead(raw: LeadSubmitted) -> Lead:
    """Normalise and enrich a validated submission."""
    email = normalise_email(raw.email)
    domain = email_domain(email)
    country = normalise_country(raw.country)
    name = normalise_name(raw.first_name, raw.last_name, raw.full_name, country)
    title = classify_title(raw.job_title)
    company = normalise_company(raw.company)
    employees = parse_employees(raw.employees)
    free = is_free_mail(domain)
    # Every part below is a validated or normalised plain value. These small models are
    # still built through pydantic: its Rust core checks a few plain fields faster than
    # ``assemble`` can set them from Python (about 2 µs against 3).
    contact = Contact(
        email=email,
        full_name=name.display,
        given_name=name.given,
        family_name=name.family,
        phone=normalise_phone(raw.phone, country),
        job_title=raw.job_title,
        seniority=title.seniority.name.lower(),
        department=title.department,
        country=country,
        region=raw.region,
    )
    account = Account(
        name=company.display if company else None,
        domain=None if free else domain,
        employees=employees,
        country=country,
    )
    return Lead(
        event_id=raw.event_id,
        lead_id=lead_id_for(email),
        submitted_at=raw.submitted_at,
        email=email,
        domain=domain,
        free_mail=free,
        disposable=is_disposable(domain),
        test_data=looks_like_test_data(
            email=email,
            company=raw.company,
            first_name=name.given or name.display,
            last_name=name.family,
        ),
        honeypot=bool(raw.honeypot),
        seniority=title.seniority,
        employees=employees,
        country=country,
        budget=raw.budget,
        timeline=raw.timeline,
        activity=raw.activity,
        contact=contact,
        account=account,
        source=Source(form_id=raw.form_id.lower(), page_url=raw.page_url, referrer=raw.referrer, utm=raw.utm),
        company_key=company.match_key if company else None,
        message=raw.message,
        consent=raw.consent,
    )
