"""E.164 form of phone numbers written in the common shapes, without the general parser.

``phonenumbers.parse`` accepts almost any text (vanity letters, RFC 3966, carrier codes)
and pays for that on every call. Form numbers are nearly always digits with ``-``,
``.``, spaces or parentheses, an optional leading ``+`` and an optional ``x123``
extension. For those, :func:`e164` follows the library's own steps (country code,
national prefix, length checks, number types from the same metadata) on the digits
alone, and gives the same answer. Anything else is left to the library: it returns
:data:`UNSURE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS

#: The answer for a text this module does not read; the caller asks ``phonenumbers``.
UNSURE: Final = "?"

# Digits and the usual separators; the library strips a leading "(" before the first
# digit or plus, and takes 1-9 digits after an "x" as an extension (kept out of E.164).
_SHAPE = re.compile(r"\(?(\+?)\(?([0-9](?:[0-9 ().\-]*[0-9])?)(?:[xX][0-9]{1,9})?")
_NOT_DIGIT = re.compile(r"[^0-9]")
_MIN_NSN, _MAX_NSN, _MAX_INPUT = 2, 17, 250
_NON_GEO = "001"


@dataclass(frozen=True)
class _Desc:
    """A number description: its possible lengths and national number pattern."""

    lengths: frozenset[int]
    pattern: re.Pattern[str] | None

    def matches(self, nsn: str) -> bool:
        """``_is_number_matching_desc``: the length (when listed) and the whole pattern."""
        if self.lengths and len(nsn) not in self.lengths:
            return False
        return self.pattern is not None and self.pattern.fullmatch(nsn) is not None

    def pattern_matches(self, nsn: str) -> bool:
        """``_match_national_number``: the pattern only."""
        return self.pattern is not None and self.pattern.fullmatch(nsn) is not None


@dataclass(frozen=True)
class _Region:
    """The metadata of one region that parsing and validation read, compiled once."""

    code: str
    country_code: int
    idd: re.Pattern[str] | None
    prefix: re.Pattern[str] | None  # national prefix for parsing
    transform: str | None
    general: _Desc
    lengths: tuple[int, ...]  # possible lengths of the general description
    local_only: frozenset[int]
    # Per length, every number type's pattern (premium rate … fixed line, mobile) in one.
    kinds: dict[int, re.Pattern[str] | None]
    leading_digits: re.Pattern[str] | None

    def valid(self, nsn: str) -> bool:
        """Tell whether ``number_type`` would be anything but UNKNOWN."""
        if not self.general.matches(nsn):
            return False
        kinds = self.kinds.get(len(nsn), self.kinds[-1])
        return kinds is not None and kinds.fullmatch(nsn) is not None

    def strip_national_prefix(self, number: str) -> str | None:
        """``_maybe_strip_national_prefix_carrier_code``'s number; None where the library would fail."""
        if not number or self.prefix is None:
            return number
        found = self.prefix.match(number)
        if not found:
            return number
        viable = self.general.pattern_matches(number)
        groups = found.groups()
        if not self.transform:
            stripped = number[found.end() :]
        elif not groups:
            return None  # the library indexes the last group of a pattern without groups
        elif groups[-1] is None:
            stripped = number[found.end() :]
        else:
            stripped = self.prefix.sub(self.transform, number, count=1)
        if viable and not self.general.pattern_matches(stripped):
            return number
        return stripped

    def length_allows(self, number: str) -> bool:
        """Whether ``_test_number_length`` says IS_POSSIBLE or TOO_LONG (then the stripped number is kept)."""
        size = len(number)
        if size in self.local_only:
            return False
        lengths = self.lengths
        if lengths[0] == size:
            return True
        if lengths[0] > size:
            return False
        if lengths[-1] < size:
            return True
        return size in lengths[1:]


def _either(patterns: list[str]) -> re.Pattern[str] | None:
    """One pattern that matches a whole number when any of the patterns does."""
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def _by_length(descs: list[Any]) -> dict[int, re.Pattern[str] | None]:
    """Combine the number types' patterns per possible length (-1: a length none lists)."""
    lengths = {n for d in descs for n in d.possible_length or ()}
    table = {}
    for size in (*sorted(lengths), -1):
        table[size] = _either(
            [
                d.national_number_pattern
                for d in descs
                if d.national_number_pattern and (not d.possible_length or size in d.possible_length)
            ]
        )
    return table


_UNSAFE_TO_JOIN = re.compile(r"\\[1-9]|\(\?[A-Za-z<=!]")
_GROUP = re.compile(r"\((?!\?)")


def _desc(desc: object) -> _Desc | None:
    if desc is None:
        return None
    pattern = getattr(desc, "national_number_pattern", None)
    return _Desc(
        frozenset(getattr(desc, "possible_length", ()) or ()), re.compile(pattern) if pattern else None
    )


# A step of is_valid_number's search for the region of a shared calling code (NANPA: 25
# regions): regions claim a number by its leading digits (one alternation for a run of
# them, in their order), or, without leading digits, by being valid there.
_Claim = tuple[re.Pattern[str], tuple[_Region, ...]] | _Region
# Compiled metadata, at most one entry per region and calling code (a table, not a memo of
# inputs: like the library's own metadata, it is built once per process).
_REGIONS: dict[str, _Region | None] = {}
_CLAIMS: dict[int, tuple[_Claim, ...] | None] = {}


def _region(code: str) -> _Region | None:
    """Return a region's compiled metadata; None for a region this module leaves to the library."""
    try:
        return _REGIONS[code]
    except KeyError:
        region = _REGIONS[code] = _compile_region(code)
        return region


def _compile_region(code: str) -> _Region | None:
    """Compile a region's metadata."""
    meta = PhoneMetadata.metadata_for_region(code, None)
    if meta is None or meta.country_code is None or meta.general_desc is None:
        return None
    if not meta.general_desc.possible_length:
        return None
    general = _desc(meta.general_desc)
    assert general is not None  # noqa: S101 - checked above
    types = [
        meta.premium_rate,
        meta.toll_free,
        meta.shared_cost,
        meta.voip,
        meta.personal_number,
        meta.pager,
        meta.uan,
        meta.voicemail,
        meta.fixed_line,
        None if meta.same_mobile_and_fixed_line_pattern else meta.mobile,
    ]
    kinds = [d for d in types if d is not None]
    # Patterns are joined into one alternation; one that would change meaning joined is not read here.
    if any(_UNSAFE_TO_JOIN.search(d.national_number_pattern or "") for d in kinds):
        return None
    return _Region(
        code=code,
        country_code=meta.country_code,
        idd=None if meta.international_prefix is None else re.compile(meta.international_prefix),
        prefix=re.compile(meta.national_prefix_for_parsing) if meta.national_prefix_for_parsing else None,
        transform=meta.national_prefix_transform_rule,
        general=general,
        lengths=tuple(meta.general_desc.possible_length),
        local_only=frozenset(meta.general_desc.possible_length_local_only or ()),
        kinds=_by_length(kinds),
        leading_digits=None if meta.leading_digits is None else re.compile(meta.leading_digits),
    )


def _country_code(digits: str) -> tuple[int, str]:
    """``_extract_country_code``: the calling code at the start of the digits, and the rest."""
    if digits[0] == "0":
        return 0, digits
    for size in range(1, min(len(digits), 3) + 1):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[size:]
    return 0, digits


def _claims(code: int) -> tuple[_Claim, ...] | None:
    """The search for a calling code's region, compiled once."""
    try:
        return _CLAIMS[code]
    except KeyError:
        claims = _CLAIMS[code] = _compile_claims(code)
        return claims


def _compile_claims(code: int) -> tuple[_Claim, ...] | None:
    """The search, compiled; None when a region of the code is left to the library."""
    out: list[_Claim] = []
    run: list[_Region] = []

    def close_run() -> None:
        # One group per region, so the group that matched names the region.
        out.append(
            (
                re.compile("|".join(f"({r.leading_digits.pattern})" for r in run if r.leading_digits)),
                tuple(run),
            )
        )
        run.clear()

    names = COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    if len(names) == 1:
        only = _region(names[0])
        return None if only is None else (only,)
    for name in names:
        region = _region(name)
        if region is None:
            return None
        if region.leading_digits is None:
            if run:
                close_run()
            out.append(region)
        elif _GROUP.search(region.leading_digits.pattern) or _UNSAFE_TO_JOIN.search(
            region.leading_digits.pattern
        ):
            return None
        else:
            run.append(region)
    if run:
        close_run()
    return tuple(out)


def _valid_anywhere(code: int, nsn: str) -> bool | None:
    """``is_valid_number``: valid in the region the number belongs to (None: left to the library)."""
    claims = _claims(code)
    if claims is None:
        return None
    if len(claims) == 1 and isinstance(claims[0], _Region):
        return claims[0].valid(nsn)  # the only region of the code, whatever its leading digits
    for claim in claims:
        if isinstance(claim, _Region):
            if claim.valid(nsn):
                return True
            continue
        pattern, regions = claim
        found = pattern.match(nsn)
        if found is not None:
            return regions[(found.lastindex or 1) - 1].valid(nsn)
    return False


def e164(text: str, region: str | None) -> str | None:
    """Return the E.164 form of a valid number, None for an invalid one, or UNSURE.

    ``region`` is the default region for national numbers, as for ``phonenumbers.parse``;
    a number counts as valid as ``is_valid_number_for_region`` (that region) or else
    ``is_valid_number`` says.
    """
    shape = _SHAPE.fullmatch(text) if len(text) <= _MAX_INPUT else None
    if shape is None:
        return UNSURE
    plus, main = shape.groups()
    digits = _NOT_DIGIT.sub("", main)
    if len(digits) < 3:
        return UNSURE
    home = None
    if region is not None:
        if region not in SUPPORTED_REGIONS:
            return UNSURE
        home = _region(region)
        if home is None:
            return UNSURE
    if plus:
        if len(digits) <= _MIN_NSN:
            return None
        code, national = _country_code(digits)
        if code == 0 or _NON_GEO in COUNTRY_CODE_TO_REGION_CODE[code]:
            return UNSURE
        meta = _region(COUNTRY_CODE_TO_REGION_CODE[code][0])
        if meta is None:
            return UNSURE
    else:
        if home is None:
            return None  # a national number needs a region: the library refuses it
        idd = home.idd.match(digits) if home.idd is not None else None
        if idd is not None and digits[idd.end() : idd.end() + 1] != "0":
            return UNSURE  # an international prefix (011, 00 …)
        if digits.startswith(str(home.country_code)):
            return UNSURE  # the library may read these as its own calling code
        code, national, meta = home.country_code, digits, home
    if len(national) < _MIN_NSN:
        return None
    stripped = meta.strip_national_prefix(national)
    if stripped is None:
        return UNSURE
    if meta.length_allows(stripped):
        national = stripped
    if not _MIN_NSN <= len(national) <= _MAX_NSN:
        return None
    if home is not None and home.country_code == code and home.valid(national):
        return f"+{code}{national}"
    valid = _valid_anywhere(code, national)
    if valid is None:
        return UNSURE
    return f"+{code}{national}" if valid else None
