"""Normalise company names for display and matching, and spot obvious test submissions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from streams.logic.normalise import nfkc


@dataclass(frozen=True)
class CompanyName:
    """A company name as entered (display) and its key for matching accounts."""

    display: str
    match_key: str


# NFKC has already turned ㈱ and （株） into (株). Longest first, so 株式会社 beats (株).
_JP_FORMS = tuple(
    sorted(
        (
            "株式会社",
            "(株)",
            "有限会社",
            "(有)",
            "合同会社",
            "(同)",
            "合資会社",
            "(資)",
            "合名会社",
            "(名)",
            "一般社団法人",
            "(一社)",
            "一般財団法人",
            "(一財)",
            "公益社団法人",
            "(公社)",
            "公益財団法人",
            "(公財)",
            "特定非営利活動法人",
            "npo法人",
            "有限責任事業組合",
        ),
        key=len,
        reverse=True,
    )
)
# Matched against the dot-less, comma-less name, so "Co., Ltd." arrives as "co ltd".
_EN_FORMS = tuple(
    tuple(form.split())
    for form in (
        "co ltd",
        "coltd",
        "company limited",
        "co limited",
        "pty ltd",
        "pte ltd",
        "pvt ltd",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "llc",
        "llp",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "bv",
        "nv",
        "plc",
        "kk",
        "srl",
        "spa",
        "ab",
        "oy",
    )
)
_EDGE = " -_/・:;&+"
# A name that holds no Japanese form anywhere, or whose last word ends no English form,
# needs no look at each form.
_ANY_JP_FORM = re.compile("|".join(map(re.escape, _JP_FORMS)))
_EN_LAST_WORDS = frozenset(words[-1] for words in _EN_FORMS)


def _strip_legal_forms(name: str) -> str:
    """Remove legal forms from the start and end of a casefolded, dot-less name."""
    while True:
        before = name = name.strip(_EDGE)
        for form in _JP_FORMS if _ANY_JP_FORM.search(name) else ():
            if name.startswith(form):
                name = name[len(form) :].strip(_EDGE)
            if name.endswith(form):
                name = name[: -len(form)].strip(_EDGE)
        tokens = name.split()
        for words in _EN_FORMS if tokens and tokens[-1] in _EN_LAST_WORDS else ():
            # English forms are only stripped at the end: "AG Barr" or "AB InBev" lead with one.
            if len(tokens) > len(words) and tuple(tokens[-len(words) :]) == words:
                tokens = tokens[: -len(words)]
                break
        name = " ".join(tokens)
        if name == before:
            return name


_NOT_WORD = re.compile(r"[\W_]+")
_LIST_MARKS = re.compile(r"[,、]")


def _key(text: str) -> str:
    """Return the text without punctuation, symbols or spaces."""
    return _NOT_WORD.sub("", text)


@lru_cache(maxsize=65_536)
def normalise_company(raw: str | None) -> CompanyName | None:
    """Return the display name and match key, or None when there is no usable name."""
    display = nfkc(raw or "")
    folded = display.casefold().replace(".", "")
    folded = _LIST_MARKS.sub(" ", folded)
    # A name that is only a legal form ("株式会社") keeps that as its key.
    key = _key(_strip_legal_forms(folded)) or _key(folded)
    if not key:
        return None
    return CompanyName(display=display, match_key=key)


# Placeholder words, matched as whole tokens only; surnames such as Foo, Hoge or Tester
# exist, so the set used for person names is narrower.
_NAME_TEST_WORDS = frozenset(
    {
        "test",
        "testtest",
        "testing",
        "asdf",
        "asdfg",
        "asdfgh",
        "asdfasdf",
        "qwerty",
        "dummy",
        "hogehoge",
        "テスト",
        "てすと",
        "ダミー",
        "ほげ",
        "ホゲ",
        "ふが",
        "ぴよ",
    }
)
_LOCAL_TEST_WORDS = _NAME_TEST_WORDS | {"tester", "hoge", "fuga", "piyo", "foobar"}
_TEST_COMPANY_KEYS = _LOCAL_TEST_WORDS | {"example", "testcompany", "testcorp", "テスト会社"}
_TEST_DOMAIN = re.compile(
    r"(?:^|\.)(?:example|test|testtest|dummy|hoge|asdf|qwerty)"
    r"\.(?:com|net|org|jp|co\.jp|ne\.jp|or\.jp)$|\.(?:example|test|invalid|localhost)$"
)
_JA_TEST_FRAGMENT = re.compile(r"テスト|てすと|ダミー")
_REPEATED = re.compile(r"(.)\1{2,}")


def _is_test_token(token: str, words: frozenset[str]) -> bool:
    """Tell whether a whole token is a placeholder word (trailing digits ignored)."""
    core = token.rstrip("0123456789")
    return core in words or _REPEATED.fullmatch(core) is not None


def looks_like_test_data(
    *, email: str, company: str | None, first_name: str | None, last_name: str | None
) -> bool:
    """Tell whether a submission is obviously test or placeholder data."""
    local, _, domain = nfkc(email).casefold().rpartition("@")
    if _test_domain(domain):
        return True
    if any(_is_test_token(t, _LOCAL_TEST_WORDS) for t in _LOCAL_SEPARATORS.split(local) if t):
        return True
    if any(_test_name(part) for part in (first_name, last_name) if part):
        return True
    key = normalise_company(company)
    return key is not None and key.match_key in _TEST_COMPANY_KEYS


_LOCAL_SEPARATORS = re.compile(r"[._+\-]+")


# Domains and names repeat across leads (free mail, common surnames), addresses do not.
@lru_cache(maxsize=65_536)
def _test_domain(domain: str) -> bool:
    """Tell whether a casefolded domain is a placeholder domain."""
    return _TEST_DOMAIN.search(domain) is not None


@lru_cache(maxsize=65_536)
def _test_name(part: str) -> bool:
    """Tell whether a name part is a placeholder."""
    text = nfkc(part).casefold()
    if _JA_TEST_FRAGMENT.search(text):
        # No real Japanese name contains テスト, so a fragment match is safe.
        return True
    return any(_is_test_token(t, _NAME_TEST_WORDS) for t in text.split())
