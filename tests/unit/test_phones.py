"""The phone fast path gives phonenumbers' own answer for every number it reads."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from phonenumbers.phonenumberutil import SUPPORTED_REGIONS

from streams.logic.phones import UNSURE, e164

pytestmark = pytest.mark.unit


def library_e164(text: str, region: str | None) -> str | None:
    """What phonenumbers says: parse, valid for the region or else anywhere, E.164."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    valid = bool(region and phonenumbers.is_valid_number_for_region(number, region))
    if not valid and not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


_ALL_REGIONS = sorted(SUPPORTED_REGIONS)
# Where leads come from most, regions sharing a calling code (+1, +7, +44), and any region.
_REGIONS = st.one_of(
    st.none(),
    st.sampled_from(["JP", "US", "GB", "DE", "FR", "CA", "AU", "KR", "IT", "RU", "KZ", "JM", "GG", "IM"]),
    st.sampled_from(_ALL_REGIONS),
)
_SEPARATORS = st.sampled_from(["", "-", " ", ".", "(", ")", " (", ") ", "--"])


@st.composite
def written_numbers(draw: st.DrawFn) -> str:
    """Digits in groups, as people write them: +, parentheses, separators, an extension."""
    groups = draw(st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=6))
    text = "".join(g + draw(_SEPARATORS) for g in groups).rstrip("-. ()")
    text = draw(st.sampled_from(["", "+", "(", "(+", "+("])) + text
    if draw(st.booleans()):
        text += draw(st.sampled_from("xX")) + draw(st.text("0123456789", min_size=1, max_size=11))
    return text


@st.composite
def example_numbers(draw: st.DrawFn) -> tuple[str, str | None]:
    """A region's example number in one of its written forms, sometimes with a digit changed."""
    region = draw(st.sampled_from(_ALL_REGIONS))
    number = phonenumbers.example_number_for_type(
        region, draw(st.sampled_from(list(PhoneNumberType.values())))
    )
    if number is None:
        number = phonenumbers.example_number(region)
    assume_region = draw(st.one_of(st.just(region), _REGIONS))
    if number is None:
        return "+1", assume_region
    fmt = draw(
        st.sampled_from([PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.NATIONAL])
    )
    text = phonenumbers.format_number(number, fmt)
    position = draw(st.integers(0, len(text)))
    if draw(st.booleans()) and position < len(text) and text[position].isdigit():
        text = text[:position] + draw(st.sampled_from("0123456789")) + text[position + 1 :]
    return text + draw(st.sampled_from(["", "", "5", "55"])), assume_region


def _same_as_library(text: str, region: str | None) -> None:
    fast = e164(text, region)
    if fast != UNSURE:
        assert fast == library_e164(text, region), (text, region)


@settings(max_examples=1000, deadline=None)
@given(written_numbers(), _REGIONS)
@example("090-1234-5678", "JP")
@example("+1-202-555-0123x99", "US")
@example("001-202-555-0123", "US")
@example("(268) 464-1234", "US")  # Antigua and Barbuda, inside +1
@example("+44 1624 456789", "GB")  # Isle of Man, inside +44
@example("+81 (0)3-1234-5678", None)
@example("12", "DE")
@example("+44312345678", "JP")  # valid as a Japanese number, not under +44
def test_written_numbers_read_as_the_library_does(text: str, region: str | None) -> None:
    _same_as_library(text, region)


@settings(max_examples=1000, deadline=None)
@given(example_numbers())
def test_example_numbers_read_as_the_library_does(case: tuple[str, str | None]) -> None:
    _same_as_library(*case)


@settings(max_examples=1000, deadline=None)
@given(st.text("0123456789+-() .xX#/,;*ext", max_size=24), _REGIONS)
def test_any_text_is_read_as_the_library_does_or_left_to_it(text: str, region: str | None) -> None:
    _same_as_library(text, region)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("090-1234-5678", "JP"),
        ("03-1234-5678", "JP"),
        ("(202) 555-0123", "US"),
        ("202.555.0123x4567", "US"),
        ("+1-202-555-0123", "US"),
        ("+81 90 1234 5678", None),
    ],
)
def test_the_common_shapes_take_the_fast_path(text: str, region: str | None) -> None:
    assert e164(text, region) != UNSURE


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("1-800-FLOWERS", "US"),  # letters
        ("tel:+81-3-1234-5678", None),  # RFC 3966
        ("011 81 3 1234 5678", "US"),  # an international prefix
        ("03-1234-5678", "AQ"),  # a region without numbering metadata
    ],
)
def test_other_texts_are_left_to_the_library(text: str, region: str | None) -> None:
    assert e164(text, region) == UNSURE
