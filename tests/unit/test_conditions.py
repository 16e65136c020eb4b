"""Policy conditions: each test, groups, and how missing values behave."""

from __future__ import annotations

from typing import Any

import pytest

from schemas import Stage
from streams.logic.conditions import Condition
from streams.logic.titles import Seniority

pytestmark = pytest.mark.unit

FACTS: dict[str, Any] = {
    "country": "JP",
    "employees": 1200,
    "seniority": Seniority.DIRECTOR,
    "free_mail": False,
    "form": "demo-request",
    "job_title": "情報システム部 部長",
    "region": None,
    "stage": Stage.SQL,
    "account.matched": True,
    "account.owner": "sato.kenji",
    "domain": "acme.co.jp",
}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"country": "JP"}, True),
        ({"country": "jp"}, True),  # text compares case-insensitively
        ({"country": "US"}, False),
        ({"country": ["US", "JP"]}, True),
        ({"country": {"not_in": ["US"]}}, True),
        ({"employees": {"gte": 1000}}, True),
        ({"employees": {"gte": 1000, "lt": 1200}}, False),
        ({"seniority": {"gte": "MANAGER"}}, True),
        ({"seniority": {"gte": "VP"}}, False),
        ({"job_title": {"regex": "部長|director"}}, True),
        ({"job_title": {"contains": "課長"}}, False),
        ({"domain": {"regex": r"\.co\.jp$"}}, True),
        ({"region": {"exists": False}}, True),
        ({"region": {"exists": True}}, False),
        ({"region": "Kanto"}, False),  # a missing value matches no test
        ({"region": {"not_in": ["Kanto"]}}, True),  # except "not in" alone
        ({"free_mail": False, "form": ["demo-request", "contact-sales"]}, True),
        ({"stage": "SQL", "employees": {"gte": 1000}}, True),
        ({"account.matched": True, "account.owner": {"exists": True}}, True),
        ({"any": [{"country": "US"}, {"employees": {"gt": 1000}}]}, True),
        ({"any": [{"country": "US"}, {"employees": {"gt": 5000}}]}, False),
        ({"not": {"country": "JP"}}, False),
        ({"all": [{"country": "JP"}, {"not": {"free_mail": True}}]}, True),
    ],
)
def test_condition(when: dict[str, Any], expected: bool) -> None:
    assert Condition.model_validate(when).compile()(FACTS) is expected


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ({"contry": "JP"}, "did you mean country"),
        ({"employees": {"gte": "many"}}, "'many' is not a number"),
        ({"free_mail": "yes"}, "'yes' is not true or false"),
        ({"stage": "HOT"}, "not a stage"),
        ({"country": {}}, "empty test"),
        ({"country": {"like": "J%"}}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_condition(when: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Condition.model_validate(when)
