"""The plain-domain fast path gives email_validator's own answer for every domain it reads."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schemas.emails import _plain_domain, valid_email

pytestmark = pytest.mark.unit


def library_domain(domain: str) -> str | None:
    """What email_validator makes of the domain of an address (None: invalid)."""
    try:
        return validate_email("x@" + domain, check_deliverability=False, allow_smtputf8=True).domain
    except EmailNotValidError:
        return None


_LABELS = st.one_of(
    st.text("abcxyzAZ09-", min_size=1, max_size=8),
    st.sampled_from(
        ["xn--bcher-kva", "ab--cd", "a" * 63, "a" * 64, "test", "local", "arpa", "co", "jp", "1"]
    ),
)
domains = st.one_of(
    st.lists(_LABELS, min_size=1, max_size=5).map(".".join),
    st.text("aZ0-._ @ｅ", max_size=20),
    st.lists(st.sampled_from(["a" * 63, "b" * 50, "com"]), min_size=3, max_size=6).map(".".join),
)


@settings(max_examples=2000, deadline=None)
@given(domains)
@example("Example.CO.JP")
@example("mail.example.com")
@example("x.test")
@example("sub.localhost")
@example("a-b.c-d.e1")
@example("a.1")
@example("-a.com")
@example("a-.com")
@example("a..com")
@example(".a.com")
@example("a.com.")
@example("a" * 64 + ".com")
@example("ｅxample.com")
def test_plain_domains_read_as_the_library_does(domain: str) -> None:
    fast = _plain_domain(domain)
    if fast is not None:
        assert fast == library_domain(domain)


@pytest.mark.parametrize("domain", ["example.com", "Acme-Robotics.CO.JP", "a1.b2.io"])
def test_common_domains_take_the_fast_path(domain: str) -> None:
    assert _plain_domain(domain) == domain.lower() == library_domain(domain)


@pytest.mark.parametrize("domain", ["xn--bcher-kva.example", "bücher.example", "x.test", "x.invalid", "a.b1"])
def test_other_domains_are_left_to_the_library(domain: str) -> None:
    assert _plain_domain(domain) is None


@settings(max_examples=500, deadline=None)
@given(st.emails())
def test_valid_email_accepts_what_the_library_does(address: str) -> None:
    # Compared lower-cased: the pipeline lower-cases addresses, and the library alone
    # lower-cases role mailboxes such as "Info@".
    try:
        expected = validate_email(address, check_deliverability=False, allow_smtputf8=True).normalized.lower()
    except EmailNotValidError:
        expected = None
    try:
        got: str | None = valid_email(address).lower()
    except ValueError:
        got = None
    assert got == expected
