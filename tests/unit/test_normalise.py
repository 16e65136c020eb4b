"""Normalisation of text, email addresses, domains, countries and phone numbers, full-width input first."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from streams.logic.normalise import (
    InvalidEmail,
    email_domain,
    is_disposable,
    is_free_mail,
    nfkc,
    normalise_country,
    normalise_email,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ　１２３", "ABC 123"),
        ("  山田\u3000\u3000太郎\n", "山田 太郎"),
        ("ｶﾀｶﾅ", "カタカナ"),
        ("a\t\tb\r\nc", "a b c"),
        ("㈱サンプル", "(株)サンプル"),
        ("zero\u200bwidth", "zerowidth"),
        ("", ""),
        ("\u3000", ""),
    ],
)
def test_nfkc(raw: str, expected: str) -> None:
    assert nfkc(raw) == expected


@given(st.text())
def test_nfkc_is_idempotent(text: str) -> None:
    once = nfkc(text)
    assert nfkc(once) == once
    assert once == once.strip()
    assert "  " not in once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏ．ｊｐ", "taro@example.co.jp"),
        ("  Taro.Yamada@Example.COM ", "taro.yamada@example.com"),
        ("hanako@example。co。jp", "hanako@example.co.jp"),
        ("taro @ example.co.jp", "taro@example.co.jp"),
        ("mailto:sales@acme.com", "sales@acme.com"),
        ("山田@例え.jp", "山田@例え.jp"),
        ("user@xn--r8jz45g.jp", "user@例え.jp"),
        ("first+tag@sub.acme.co.jp", "first+tag@sub.acme.co.jp"),
    ],
)
def test_normalise_email(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "taro",
        "taro@",
        "@example.com",
        "taro@@example.com",
        "taro@example",
        "taro@localhost",
        "taro@foo.test",
        "ta ro@exa mple",
        "secret.person@exa_mple..com",
    ],
)
def test_normalise_email_rejects_without_leaking_the_address(raw: str) -> None:
    with pytest.raises(InvalidEmail) as info:
        normalise_email(raw)
    message = str(info.value)
    assert all(part not in message for part in raw.split("@") if len(part) > 3)
    assert info.value.__suppress_context__


@settings(deadline=None)
@given(st.emails())
def test_normalise_email_is_idempotent(raw: str) -> None:
    try:
        once = normalise_email(raw)
    except InvalidEmail:
        assume(False)
        raise
    assert normalise_email(once) == once
    assert once == once.lower()


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("taro@Example.CO.JP", "example.co.jp"),
        ("a@b@c.jp", "c.jp"),
    ],
)
def test_email_domain(email: str, domain: str) -> None:
    assert email_domain(email) == domain


@pytest.mark.parametrize("email", ["", "taro", "taro@", "@example.com"])
def test_email_domain_rejects_incomplete(email: str) -> None:
    with pytest.raises(InvalidEmail):
        email_domain(email)


@pytest.mark.parametrize(
    ("domain", "free"),
    [
        ("gmail.com", True),
        ("GMAIL.COM", True),
        ("yahoo.co.jp", True),
        ("outlook.jp", True),
        ("icloud.com", True),
        ("docomo.ne.jp", True),
        ("ezweb.ne.jp", True),
        ("au.com", True),
        ("softbank.ne.jp", True),
        ("i.softbank.jp", True),
        ("hotmail.co.jp", True),
        ("acme.co.jp", False),
        ("example.com", False),
        ("ocn.ne.jp", False),
        ("mail.gmail.com", False),
    ],
)
def test_is_free_mail(domain: str, free: bool) -> None:
    assert is_free_mail(domain) is free


@pytest.mark.parametrize(
    ("domain", "disposable"),
    [
        ("mailinator.com", True),
        ("MAILINATOR.COM", True),
        ("alias.mailinator.com", True),
        ("gmail.com", False),
        ("acme.co.jp", False),
        ("com", False),
        ("", False),
    ],
)
def test_is_disposable(domain: str, disposable: bool) -> None:
    assert is_disposable(domain) is disposable


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("JP", "JP"),
        ("jp", "JP"),
        ("ＪＰ", "JP"),
        ("JPN", "JP"),
        ("Japan", "JP"),
        ("JAPAN", "JP"),
        ("ｊａｐａｎ", "JP"),
        ("日本", "JP"),
        ("日本国", "JP"),
        (" 日本 ", "JP"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("US", "US"),
        ("United States", "US"),
        ("united states of america", "US"),
        ("アメリカ", "US"),
        ("米国", "US"),
        ("アメリカ合衆国", "US"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("United Kingdom", "GB"),
        ("England", "GB"),
        ("英国", "GB"),
        ("イギリス", "GB"),
        ("South Korea", "KR"),
        ("Korea", "KR"),
        ("韓国", "KR"),
        ("大韓民国", "KR"),
        ("中国", "CN"),
        ("China", "CN"),
        ("中華人民共和国", "CN"),
        ("台湾", "TW"),
        ("Taiwan", "TW"),
        ("香港", "HK"),
        ("ドイツ", "DE"),
        ("ドイツ連邦共和国", "DE"),
        ("Germany", "DE"),
        ("DEU", "DE"),
        ("フランス", "FR"),
        ("シンガポール", "SG"),
        ("ｼﾝｶﾞﾎﾟｰﾙ", "SG"),
        ("インド", "IN"),
        ("オーストラリア", "AU"),
        ("カナダ", "CA"),
        ("タイ王国", "TH"),
        ("ベトナム", "VN"),
        ("Vietnam", "VN"),
        ("the Netherlands", "NL"),
        ("Russia", "RU"),
        ("UAE", "AE"),
        ("Narnia", None),
        ("", None),
        ("  ", None),
        (None, None),
        ("ZZ", None),
        ("国", None),
    ],
)
def test_normalise_country(raw: str | None, expected: str | None) -> None:
    assert normalise_country(raw) == expected


@given(st.one_of(st.none(), st.text()))
def test_normalise_country_never_raises(raw: str | None) -> None:
    result = normalise_country(raw)
    assert result is None or (len(result) == 2 and result.isupper())


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("０３－１２３４－５６７８", "JP", "+81312345678"),
        ("03-1234-5678", "JP", "+81312345678"),
        ("03ー1234ー5678", "JP", "+81312345678"),
        ("(03) 1234-5678", "JP", "+81312345678"),
        ("03-1234-5678 内線123", "JP", "+81312345678"),
        ("03-1234-5678（代表）", "JP", "+81312345678"),
        ("090-1234-5678", "JP", "+819012345678"),
        ("０９０１２３４５６７８", "ＪＰ", "+819012345678"),
        ("090-1234-5678", "日本", "+819012345678"),
        ("0120-123-456", "JP", "+81120123456"),
        ("+81 (0)90-1234-5678", None, "+819012345678"),
        ("+81 90 1234 5678", "US", "+819012345678"),
        ("0081-90-1234-5678", None, "+819012345678"),
        ("+1 415 555 2671", None, "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("tel:+81-3-1234-5678", None, "+81312345678"),
    ],
)
def test_normalise_phone(raw: str, country: str | None, expected: str) -> None:
    assert normalise_phone(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("090-1234-5678", None),  # national number without a region is ambiguous
        ("03-1234-5678", "Narnia"),
        ("12345", "JP"),
        ("abc", "JP"),
        ("", "JP"),
        (None, "JP"),
        ("+81 0", None),
        ("03-1234-5678-9999-0000", "JP"),
    ],
)
def test_normalise_phone_rejects(raw: str | None, country: str | None) -> None:
    assert normalise_phone(raw, country) is None


_REGIONS = st.sampled_from(["JP", "US", "GB", "DE", "FR", "SG", "KR", "CN", "AU", "IN"])
_KINDS = st.sampled_from([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE])


@settings(deadline=None)
@given(_REGIONS, _KINDS, st.integers(0, 9999))
def test_normalise_phone_is_idempotent(region: str, kind: int, tail: int) -> None:
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    national = f"{str(example.national_number)[:-4]}{tail:04d}"
    e164 = normalise_phone(f"+{example.country_code}{national}", region)
    if e164 is None:  # the new tail fell outside the numbering plan
        return
    assert normalise_phone(e164, region) == e164
    assert normalise_phone(e164, None) == e164
    number = phonenumbers.parse(e164)
    printed = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    assert normalise_phone(printed, region) == e164


@settings(deadline=None)
@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text(max_size=20)))
def test_normalise_phone_never_raises(raw: str | None, country: str | None) -> None:
    result = normalise_phone(raw, country)
    assert result is None or result.startswith("+")
