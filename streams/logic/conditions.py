"""Conditions over a lead's normalised facts: the `when:` blocks of the policy."""

from __future__ import annotations

import difflib
import functools
import operator
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from schemas import Stage
from streams.logic.titles import Seniority

Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]

# Every field a condition may name, and its kind. Score fields exist only once the
# lead has been scored, so they are meant for stages and routing.
FIELDS: dict[str, str] = {
    "email": "str",
    "domain": "str",
    "free_mail": "bool",
    "disposable": "bool",
    "test_data": "bool",
    "honeypot": "bool",
    "seniority": "seniority",
    "department": "str",
    "job_title": "str",
    "employees": "int",
    "country": "str",
    "region": "str",
    "company": "str",
    "phone": "str",
    "form": "str",
    "budget": "str",
    "budget_stated": "bool",
    "timeline": "str",
    "timeline_within_quarter": "bool",
    "message": "str",
    "utm.source": "str",
    "utm.medium": "str",
    "utm.campaign": "str",
    "activity.page_views": "int",
    "activity.pricing_page_views": "int",
    "activity.content_downloads": "int",
    "activity.webinar_attended": "bool",
    "activity.email_clicks": "int",
    "consent.marketing": "bool",
    "account.matched": "bool",
    "account.match_confidence": "float",
    "account.owner": "str",
    "account.segment": "str",
    "account.industry": "str",
    "account.name": "str",
    "account.domain": "str",
    "score": "int",
    "fit": "int",
    "intent": "int",
    "stage": "stage",
}
_ORDERED = {"int", "float", "seniority"}
# `{field}` in a reason's detail text is replaced by the lead's value.
PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


def _known_field(name: str) -> str:
    if name not in FIELDS:
        close = difflib.get_close_matches(name, FIELDS, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known fields: {', '.join(FIELDS)}"
        raise ValueError(f"unknown field {name!r}; {hint}")
    return name


FieldName = Annotated[str, AfterValidator(_known_field)]
Scalar = str | int | float | bool


class Matcher(BaseModel):
    """A test on one field; a bare value means `equals`, a bare list means `in`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    regex: str | None = None
    contains: str | None = None
    gte: float | str | None = None
    gt: float | str | None = None
    lte: float | str | None = None
    lt: float | str | None = None
    exists: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"in": data}
        if isinstance(data, str | int | float | bool):
            return {"equals": data}
        return data

    @model_validator(mode="after")
    def _valid_regex(self) -> Matcher:
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"bad regex {self.regex!r}: {exc}") from None
        if not self.model_fields_set:
            raise ValueError(
                "empty test; use equals, in, not_in, regex, contains, gte, gt, lte, lt or exists"
            )
        return self


class Condition(BaseModel):
    """All listed field tests hold, plus optional any/all/not groups."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    fields: dict[FieldName, Matcher] = Field(default_factory=dict)
    any_: list[Condition] | None = Field(default=None, alias="any")
    all_: list[Condition] | None = Field(default=None, alias="all")
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        groups = {k: data[k] for k in ("any", "all", "not") if k in data}
        return {**groups, "fields": {k: v for k, v in data.items() if k not in groups}}

    @model_validator(mode="after")
    def _tests_fit_kinds(self) -> Condition:
        for name, m in self.fields.items():
            kind = FIELDS[name]
            ranged = [op for op in ("gte", "gt", "lte", "lt") if getattr(m, op) is not None]
            if ranged and kind not in _ORDERED:
                raise ValueError(f"{name}: {ranged[0]} needs a number field, {name} is {kind}")
            if (m.regex is not None or m.contains is not None) and kind != "str":
                raise ValueError(f"{name}: regex/contains needs a text field, {name} is {kind}")
            for value in _values(m):
                _coerce(name, kind, value)
        return self

    def compile(self) -> Predicate:
        """Return a fast predicate over a facts mapping."""
        tests = [_compile_field(name, m) for name, m in self.fields.items()]
        tests += [_any([c.compile() for c in self.any_])] if self.any_ else []
        tests += [c.compile() for c in self.all_ or []]
        if self.not_ is not None:
            negated = self.not_.compile()
            tests.append(lambda f: not negated(f))
        return _all(tests)

    def single_value(self) -> tuple[str, Any] | None:
        """Return the field and the value, when the condition is one field equal to one value."""
        if self.any_ or self.all_ or self.not_ is not None or len(self.fields) != 1:
            return None
        name, m = next(iter(self.fields.items()))
        if m.model_fields_set != {"equals"} or m.equals is None:
            return None
        return name, _coerce(name, FIELDS[name], m.equals)

    def names(self) -> list[str]:
        """Return the fields this condition reads, for reason details."""
        out = list(self.fields)
        for child in [*(self.any_ or []), *(self.all_ or []), *([self.not_] if self.not_ else [])]:
            out += [n for n in child.names() if n not in out]
        return out


def _values(m: Matcher) -> list[Any]:
    return [
        v for v in (m.equals, m.gte, m.gt, m.lte, m.lt, *(m.in_ or []), *(m.not_in or [])) if v is not None
    ]


def _coerce(name: str, kind: str, value: Any) -> Any:
    """Turn a value written in the policy into the kind of the field, or explain why not."""
    if kind == "seniority":
        if isinstance(value, str) and value.upper() in Seniority.__members__:
            return Seniority[value.upper()]
        raise ValueError(f"{name}: {value!r} is not a seniority; use {', '.join(Seniority.__members__)}")
    if kind == "stage":
        if isinstance(value, str) and value.upper() in Stage.__members__:
            return Stage(value.upper())
        raise ValueError(f"{name}: {value!r} is not a stage; use MQL or SQL")
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name}: {value!r} is not a number")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{name}: {value!r} is not true or false")
        return value
    return str(value).casefold()


def _against(compare: Callable[[Any, Any], bool], bound: Any, value: Any) -> bool:
    return compare(value, bound)


def _any(preds: list[Predicate]) -> Predicate:
    return lambda facts: any(p(facts) for p in preds)


def _all(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        first, second = preds
        return lambda facts: first(facts) and second(facts)

    return lambda facts: all(p(facts) for p in preds)


def _compile_field(name: str, m: Matcher) -> Predicate:
    kind = FIELDS[name]
    text = kind == "str"
    tests: list[Callable[[Any], bool]] = []
    if m.equals is not None:
        want = _coerce(name, kind, m.equals)
        tests.append(lambda v: v == want)
    if m.in_ is not None:
        allowed = frozenset(_coerce(name, kind, x) for x in m.in_)
        tests.append(lambda v: v in allowed)
    if m.not_in is not None:
        banned = frozenset(_coerce(name, kind, x) for x in m.not_in)
        tests.append(lambda v: v not in banned)
    if m.regex is not None:
        pattern = re.compile(m.regex, re.IGNORECASE)
        tests.append(lambda v: pattern.search(v) is not None)
    if m.contains is not None:
        part = m.contains.casefold()
        tests.append(lambda v: part in v)
    for op, compare in (("gte", operator.ge), ("gt", operator.gt), ("lte", operator.le), ("lt", operator.lt)):
        bound = getattr(m, op)
        if bound is not None:
            tests.append(functools.partial(_against, compare, _coerce(name, kind, bound)))
    exists = m.exists
    only_not_in = m.not_in is not None and len(tests) == 1
    if exists is None and len(tests) == 1:
        return _single(name, text, only_not_in, tests[0])

    def test(facts: Facts) -> bool:
        value = facts.get(name)
        present = value is not None and value != ""
        if exists is not None and present != exists:
            return False
        if not present:
            # A missing value matches no test, except "not in" alone.
            return not tests or only_not_in
        if text:
            value = str(value).casefold()
        return all(t(value) for t in tests)

    return test


def _single(name: str, text: bool, only_not_in: bool, check: Callable[[Any], bool]) -> Predicate:
    """The common shape of a field test, one test and no ``exists``, without the general loop."""
    # A missing value matches no test, except "not in" alone.
    missing = only_not_in
    if text:

        def test_text(facts: Facts) -> bool:
            value = facts.get(name)
            if value is None or value == "":
                return missing
            return check(str(value).casefold())

        return test_text

    def test(facts: Facts) -> bool:
        value = facts.get(name)
        if value is None or value == "":
            return missing
        return check(value)

    return test
