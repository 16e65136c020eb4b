"""Normalisation of company sizes, names, companies and test data: full-width and Japanese input first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.logic.company import CompanyName, looks_like_test_data, normalise_company
from streams.logic.people import PersonName, normalise_name, parse_employees


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (250, 250),
        (0, 0),
        (-1, None),
        (True, None),
        (None, None),
        ("250", 250),
        ("２５０", 250),
        ("1000-4999", 1000),
        ("1,000～4,999", 1000),
        ("1000〜4999", 1000),
        ("１，０００～４，９９９名", 1000),
        ("1000 - 4999 employees", 1000),
        ("5,000+", 5000),
        ("5000以上", 5000),
        ("1万人以上", 10000),
        ("3千人", 3000),
        ("約500名", 500),
        ("500人", 500),
        ("500名", 500),
        ("約 ５００ 名", 500),
        ("1.5万人", 15000),
        ("2万5千人", 25000),
        ("1万2000人", 12000),
        ("10k+", 10000),
        ("about 300 people", 300),
        ("~500 employees", 500),
        ("5000以上10000未満", 5000),
        ("〜50名", 1),
        ("～50名", 1),
        ("50名以下", 1),
        ("300人未満", 1),
        ("under 10", 1),
        ("garbage", None),
        ("", None),
        ("不明", None),
        ("-5", None),
        ("9" * 40, None),
        ("1" * 5000, None),
        ("数百名", None),
        ("500名 (03-1234-5678)", 500),
        ("5000000000", None),
    ],
)
def test_parse_employees(raw: str | int | None, expected: int | None) -> None:
    assert parse_employees(raw) == expected


@given(st.one_of(st.none(), st.text(), st.integers()))
def test_parse_employees_never_raises(raw: str | int | None) -> None:
    result = parse_employees(raw)
    assert result is None or result >= 0


@pytest.mark.parametrize(
    ("first", "last", "full", "country", "expected"),
    [
        ("太郎", "山田", None, "JP", PersonName("太郎", "山田", "山田 太郎")),
        ("太郎", "山田", None, None, PersonName("太郎", "山田", "山田 太郎")),
        ("太郎", "山田", None, "US", PersonName("太郎", "山田", "山田 太郎")),
        (" 花子 ", "\u3000佐藤", None, "JP", PersonName("花子", "佐藤", "佐藤 花子")),
        ("ﾀﾛｳ", "ﾔﾏﾀﾞ", None, None, PersonName("タロウ", "ヤマダ", "ヤマダ タロウ")),
        ("たろう", "やまだ", None, None, PersonName("たろう", "やまだ", "やまだ たろう")),
        ("Taro", "Yamada", None, "JP", PersonName("Taro", "Yamada", "Yamada Taro")),
        ("Taro", "Yamada", None, "日本", PersonName("Taro", "Yamada", "Yamada Taro")),
        ("Jane", "Doe", None, "US", PersonName("Jane", "Doe", "Jane Doe")),
        ("Jane", "Doe", None, None, PersonName("Jane", "Doe", "Jane Doe")),
        ("Ｊａｎｅ", "Ｄｏｅ", "ignored", "GB", PersonName("Jane", "Doe", "Jane Doe")),
        (None, "山田", None, "JP", PersonName(None, "山田", "山田")),
        ("Jane", None, None, "US", PersonName("Jane", None, "Jane")),
        (None, None, "山田　太郎", None, PersonName("太郎", "山田", "山田 太郎")),
        (None, None, "山田 太郎 様", None, PersonName("太郎", "山田", "山田 太郎")),
        (None, None, "山田太郎", "JP", PersonName(None, None, "山田太郎")),
        (None, None, "Jane Q. Doe", "US", PersonName("Jane Q.", "Doe", "Jane Q. Doe")),
        (None, None, "Taro Yamada", "JP", PersonName("Taro", "Yamada", "Taro Yamada")),
        (None, None, "Madonna", None, PersonName(None, None, "Madonna")),
        (None, None, None, None, PersonName(None, None, "")),
        ("", "  ", "\u3000", "JP", PersonName(None, None, "")),
    ],
)
def test_normalise_name(
    first: str | None,
    last: str | None,
    full: str | None,
    country: str | None,
    expected: PersonName,
) -> None:
    assert normalise_name(first, last, full, country) == expected


@given(
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.sampled_from(["JP", "US"])),
)
def test_normalise_name_never_raises(
    first: str | None, last: str | None, full: str | None, country: str | None
) -> None:
    name = normalise_name(first, last, full, country)
    assert name.display == name.display.strip()


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("株式会社サンプル", "サンプル"),
        ("サンプル株式会社", "サンプル"),
        ("(株)サンプル", "サンプル"),
        ("（株）サンプル", "サンプル"),
        ("㈱サンプル", "サンプル"),
        ("サンプル㈱", "サンプル"),
        ("株式会社　サンプル", "サンプル"),
        ("ｻﾝﾌﾟﾙ株式会社", "サンプル"),
        ("有限会社 山田商店", "山田商店"),
        ("(有)山田商店", "山田商店"),
        ("㈲山田商店", "山田商店"),
        ("合同会社テック", "テック"),
        ("一般社団法人日本協会", "日本協会"),
        ("サンプル・テック株式会社", "サンプルテック"),
        ("Acme, Inc.", "acme"),
        ("ACME Corporation", "acme"),
        ("Acme Corp.", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme Co.,Ltd", "acme"),
        ("ACME LIMITED", "acme"),
        ("Acme LLC", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme AG", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme B.V.", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme PLC", "acme"),
        ("Acme Japan K.K.", "acmejapan"),
        ("Acme KK", "acme"),
        ("Ａｃｍｅ，Ｉｎｃ．", "acme"),
        ("Acme Holdings Co., Ltd.", "acmeholdings"),
        ("AT&T Inc.", "att"),
        ("AG Barr plc", "agbarr"),
        ("株式会社", "株式会社"),
        ("Inc.", "inc"),
    ],
)
def test_normalise_company_key(raw: str, key: str) -> None:
    company = normalise_company(raw)
    assert company is not None
    assert company.match_key == key


def test_normalise_company_keeps_legal_form_in_display() -> None:
    assert normalise_company(" ㈱サンプル ") == CompanyName("(株)サンプル", "サンプル")


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "...", "-"])
def test_normalise_company_empty(raw: str | None) -> None:
    assert normalise_company(raw) is None


@given(st.text())
def test_normalise_company_is_stable(raw: str) -> None:
    company = normalise_company(raw)
    if company is not None:
        again = normalise_company(company.display)
        assert again is not None and again.match_key == company.match_key


@pytest.mark.parametrize(
    ("email", "company", "first", "last"),
    [
        ("test@acme.co.jp", "Acme", "Taro", "Yamada"),
        ("test123@acme.co.jp", "Acme", "Taro", "Yamada"),
        ("taro.test@acme.co.jp", "Acme", "Taro", "Yamada"),
        ("asdf@acme.co.jp", "Acme", "Taro", "Yamada"),
        ("qwerty@acme.co.jp", "Acme", "Taro", "Yamada"),
        ("xxx@acme.co.jp", "Acme", "Taro", "Yamada"),
        ("aaaa@acme.co.jp", "Acme", "Taro", "Yamada"),
        ("hoge@acme.co.jp", "Acme", "Taro", "Yamada"),
        ("taro@example.com", "Acme", "Taro", "Yamada"),
        ("taro@example.co.jp", "Acme", "Taro", "Yamada"),
        ("taro@mail.example.org", "Acme", "Taro", "Yamada"),
        ("taro@acme.co.jp", "Test", "Taro", "Yamada"),
        ("taro@acme.co.jp", "テスト株式会社", "太郎", "山田"),
        ("taro@acme.co.jp", "Acme", "Test", "User"),
        ("taro@acme.co.jp", "Acme", "Dummy", "Yamada"),
        ("taro@acme.co.jp", "Acme", "太郎", "テスト"),
        ("taro@acme.co.jp", "Acme", "ﾃｽﾄ", "山田"),
        ("taro@acme.co.jp", "Acme", "てすと", "たろう"),
        ("taro@acme.co.jp", "Acme", "テスト太郎", None),
        ("taro@acme.co.jp", "Acme", "ああああ", "山田"),
    ],
)
def test_looks_like_test_data(email: str, company: str, first: str | None, last: str | None) -> None:
    assert looks_like_test_data(email=email, company=company, first_name=first, last_name=last)


@pytest.mark.parametrize(
    ("email", "company", "first", "last"),
    [
        ("taro.yamada@acme.co.jp", "株式会社アクメ", "太郎", "山田"),
        ("tess@acme.com", "Acme", "Tess", "Testa"),
        ("contest@acme.com", "Acme", "Jane", "Doe"),
        ("j.foo@acme.com", "Acme", "Jane", "Foo"),
        ("testa@acme.com", "Testa Inc", "Marco", "Testa"),
        ("info@sample-tech.co.jp", "サンプルテック株式会社", "花子", "佐藤"),
        ("aaron@acme.com", "Acme", "Aaron", "Lee"),
        ("hanako@examples.co.jp", "Test Research, Inc.", "花子", "鈴木"),
        ("sales@acme.co.jp", None, None, None),
    ],
)
def test_looks_like_real_data(email: str, company: str | None, first: str | None, last: str | None) -> None:
    assert not looks_like_test_data(email=email, company=company, first_name=first, last_name=last)
