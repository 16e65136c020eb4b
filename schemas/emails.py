"""Email address validation with the domain check memoised (one validation per lead)."""

from __future__ import annotations

import re
from functools import lru_cache

import email_validator
from email_validator import EmailNotValidError, validate_email

# An unquoted ASCII local part (RFC 5322 dot-atom): for these the library's normalised
# form is the input itself, so only the domain needs its (costly, IDNA) check.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_MAX_LOCAL = 64
_MAX_ADDRESS = 254
# A lower-case ASCII host name of two or more labels of 1-63 letters, digits and inner
# hyphens, the last ending in a letter: the library accepts these as they are, unless
# special-use. Hyphen pairs ("xn--" Punycode, reserved "ab--" labels) and long names
# (the address length limits) are left to the library.
_PLAIN_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]|[a-z0-9][a-z0-9-]{0,61}[a-z])"
)
_MAX_PLAIN_DOMAIN = 200


def _plain_domain(domain: str) -> str | None:
    """The library's normalised form of a plain ASCII host name, or None to ask the library.

    ``validate_email`` lower-cases such a name (UTS-46 mapping) and runs its checks in
    pure Python, character by character: most of the cost of a lead's first sight of a
    domain, for the same answer.
    """
    if not domain.isascii() or len(domain) > _MAX_PLAIN_DOMAIN:
        return None
    name = domain.lower()
    if "--" in name or _PLAIN_DOMAIN.fullmatch(name) is None:
        return None
    # Read at call time: the library lets applications change this list.
    if any(name == d or name.endswith("." + d) for d in email_validator.SPECIAL_USE_DOMAIN_NAMES):
        return None
    return name


@lru_cache(maxsize=65_536)
def _domain(domain: str) -> str:
    """Return the normalised form of a domain, or raise EmailNotValidError."""
    plain = _plain_domain(domain)
    if plain is not None:
        return plain
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
