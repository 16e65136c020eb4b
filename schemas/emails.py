"""Email address validation with the domain check memoised (one validation per lead)."""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

# An unquoted ASCII local part (RFC 5322 dot-atom): for these the library's normalised
# form is the input itself, so only the domain needs its (costly, IDNA) check.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_MAX_LOCAL = 64
_MAX_ADDRESS = 254


@lru_cache(maxsize=65_536)
def _domain(domain: str) -> str:
    """Return the normalised form of a domain, or raise EmailNotValidError."""
    return validate_email("x@" + domain, check_deliverability=False, allow_smtputf8=True).domain


def valid_email(text: str) -> str:
    """Return the normalised address (as ``email_validator`` gives it) or raise ValueError."""
    local, at, domain = text.rpartition("@")
    try:
        if at and len(local) <= _MAX_LOCAL and _DOT_ATOM.fullmatch(local):
            address = f"{local}@{_domain(domain)}"
            if len(address) <= _MAX_ADDRESS:
                return address
        return validate_email(text, check_deliverability=False, allow_smtputf8=True).normalized
    except EmailNotValidError:
        # The library's message may quote parts of the address, which is PII.
        raise ValueError("value is not a valid email address") from None
