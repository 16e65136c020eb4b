"""Normalise who a lead is: company size ("1,000～4,999", "約3万人") and person names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from streams.logic.normalise import nfkc, normalise_country

_EMP_NUMBER = re.compile(r"(\d+)(?:\.(\d{1,3}))?(万|千|百|k(?![a-z]))?")
_EMP_UNIT = {"万": 10_000, "千": 1_000, "百": 100, "k": 1_000}
_EMP_UPPER = re.compile(r"^(?:〜|<|≦|≤|under|below|lessthan|fewerthan|upto|max)|未満|以下|まで")
_EMP_MAX = 10_000_000


def parse_employees(raw: str | int | None) -> int | None:
    """Return a head count, the lower bound of a range, or None when unreadable.

    An upper bound alone ("〜50名", "300人未満", "under 10") is a range starting at 1.
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw <= _EMP_MAX else None
    return _employees(raw)


# Forms offer a few size bands, so the same texts repeat across leads.
@lru_cache(maxsize=4096)
def _employees(raw: str) -> int | None:
    """Read a head count written as text."""
    text = re.sub(r"[,\s]", "", nfkc(raw).casefold())
    if text.startswith("-"):
        return None
    groups: list[int] = []
    last_end, last_unit = -1, 0
    for match in _EMP_NUMBER.finditer(text):
        unit = _EMP_UNIT.get(match.group(3) or "", 1)
        whole = match.group(1)
        # Long digit runs are phone numbers or noise, and a huge one would overflow round().
        if len(whole) > 9:
            break
        value = round(float(f"{whole}.{match.group(2) or 0}") * unit)
        # "1万2000" and "2万5千" are one number written in parts.
        if groups and match.start() == last_end and last_unit == 10_000 and unit < last_unit:
            groups[-1] += value
        else:
            groups.append(value)
        last_end, last_unit = match.end(), unit
    if not groups or groups[0] > _EMP_MAX:
        return None
    # In Japanese forms a leading tilde means "up to"; in English it means "about".
    jp_upper = text.startswith("~") and bool(re.search(r"[名人]", text))
    if len(groups) == 1 and (jp_upper or _EMP_UPPER.search(text)):
        return 1 if groups[0] >= 1 else None
    return groups[0]


@dataclass(frozen=True)
class PersonName:
    """A person's name split into parts, with a display form in the culture's order."""

    given: str | None
    family: str | None
    display: str


_CJK = re.compile(
    r"[\u3005\u3006\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uf900-\ufaff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"
)


_NO_PART: tuple[str | None, bool] = (None, False)


# Given and family names repeat across leads far more than whole names do.
@lru_cache(maxsize=65_536)
def _part(value: str) -> tuple[str | None, bool]:
    """Return the normalised name part without an honorific (None when empty), and whether it is CJK."""
    text = nfkc(value).removesuffix("様").strip()
    return (text, _CJK.search(text) is not None) if text else _NO_PART


def normalise_name(first: str | None, last: str | None, full: str | None, country: str | None) -> PersonName:
    """Return the name parts and a display name, family-first for Japanese names."""
    (given, cjk_given), (family, cjk_family), (whole, cjk_whole) = (
        _part(first) if first else _NO_PART,
        _part(last) if last else _NO_PART,
        _part(full) if full else _NO_PART,
    )
    cjk = cjk_given or cjk_family or cjk_whole
    if given is None and family is None and whole is not None:
        tokens = whole.split()
        if len(tokens) == 1:
            return PersonName(given=None, family=None, display=whole)
        # Romanised names are split given-first even for JP; the display keeps the input.
        if cjk:
            return PersonName(given=" ".join(tokens[1:]), family=tokens[0], display=whole)
        return PersonName(given=" ".join(tokens[:-1]), family=tokens[-1], display=whole)
    family_first = cjk or normalise_country(country) == "JP"
    parts = (family, given) if family_first else (given, family)
    return PersonName(given=given, family=family, display=" ".join(p for p in parts if p))
