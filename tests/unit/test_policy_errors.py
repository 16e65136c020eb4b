"""A bad policy file is rejected with every error, each naming the file, line and field."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.logic.policy import PolicyError
from streams.logic.policy_file import parse_policy

pytestmark = pytest.mark.unit

MINIMAL = """\
name: tiny
rules:
  - rule: fit.big
    score: fit
    points: 10
    when:
      employees: {gte: 1000}
stages:
  - {rule: stage.sql, stage: SQL, when: {score: {gte: 70}}}
routing:
  - {rule: route.all, queue: main}
queues:
  main:
    reps: [ann]
reps:
  ann: {timezone: Asia/Tokyo, holidays: JP}
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, origin="p.yaml")
    return str(info.value).splitlines()


def test_minimal_policy_is_valid_and_versioned() -> None:
    policy = parse_policy(MINIMAL)
    assert policy.version.startswith("tiny@")
    assert parse_policy(MINIMAL + "\n# a comment\n").version == policy.version
    assert parse_policy(MINIMAL.replace("points: 10", "points: 11")).version != policy.version


def test_shipped_policy_is_valid() -> None:
    text = resources.files("streams.data").joinpath("default_policy.yaml").read_text("utf-8")
    assert parse_policy(text).name == "default"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "employees: {gte: 1000}",
            "emplyees: {gte: 1000}",
            "p.yaml:7: rules.0.when.emplyees: unknown field 'emplyees'; did you mean employees?",
        ),
        ("points: 10", "points: 500", "p.yaml:5: rules.0.points: Input should be less than or equal to 100"),
        ("score: fit", "score: fitness", "p.yaml:4: rules.0.score: Input should be 'fit' or 'intent'"),
        (
            "employees: {gte: 1000}",
            "employees: {regex: '^1'}",
            "p.yaml:6: rules.0.when: employees: regex/contains needs a text field, employees is int",
        ),
        ("employees: {gte: 1000}", "country: {regex: '(['}", "p.yaml:7: rules.0.when.country: bad regex"),
        ("stage: SQL, when", "stage: HOT, when", "p.yaml:9: stages.0.stage: Input should be 'MQL' or 'SQL'"),
        ("queue: main}", "queue: mian}", "p.yaml:11: routing.0.queue: no queue 'mian' under 'queues'"),
        ("reps: [ann]", "reps: [bob]", "p.yaml:14: queues.main.reps.0: rep 'bob' is not listed under 'reps'"),
        ("timezone: Asia/Tokyo", "timezone: Asia/Tokio", "p.yaml:16: reps.ann.timezone: unknown time zone"),
        ("holidays: JP", "holidays: XX", "p.yaml:16: reps.ann.holidays: no public holiday calendar for 'XX'"),
        (
            "{rule: route.all, queue: main}",
            "{rule: route.all, queue: main, when: {country: JP}}",
            "p.yaml:11: routing.0: the last routing line must be a catch-all",
        ),
        (
            "stage: SQL, when: {score: {gte: 70}}",
            "stage: SQL, when: {seniority: {gte: BOSS}}",
            "p.yaml:9: stages.0.when: seniority: 'BOSS' is not a seniority",
        ),
    ],
)
def test_error_names_line_and_field(old: str, new: str, expected: str) -> None:
    assert old in MINIMAL
    errors = errors_of(MINIMAL.replace(old, new))
    assert any(e.startswith(expected) for e in errors), errors


def test_every_error_is_reported_at_once_in_line_order() -> None:
    text = (
        MINIMAL.replace("points: 10", "points: 500")
        .replace("reps: [ann]", "reps: [bob]")
        .replace("employees: {gte", "emplyees: {gte")
    )
    errors = errors_of(text)
    assert [e.split(":")[1] for e in errors] == ["5", "7", "14"]


def test_yaml_syntax_error_names_the_line() -> None:
    errors = errors_of(MINIMAL.replace("    points: 10", "    points: [10"))
    assert errors[0].startswith("p.yaml:6:") or errors[0].startswith("p.yaml:5:"), errors


def test_duplicate_rule_names_are_rejected() -> None:
    text = MINIMAL.replace("stages:\n", "stages:\n  - {rule: stage.sql, stage: MQL}\n")
    assert any("duplicate rule name 'stage.sql'" in e for e in errors_of(text))


def test_duplicate_keys_are_rejected() -> None:
    text = MINIMAL.replace("    points: 10\n", "    points: 10\n    points: 90\n")
    expected = "p.yaml:6: rules.0.points: duplicate key (YAML would silently keep only the last one)"
    assert expected in errors_of(text)


def test_unknown_field_in_a_detail_text_is_rejected() -> None:
    text = MINIMAL.replace("    points: 10\n", '    points: 10\n    detail: "{employes} staff"\n')
    assert "p.yaml:6: rules.0.detail: unknown field {employes} in the detail text" in errors_of(text)


def test_thresholds_must_be_ordered() -> None:
    errors = errors_of(MINIMAL + "thresholds: {sql: 30, mql: 60}\n")
    assert errors == ["p.yaml:17: thresholds: the mql threshold must not exceed the sql threshold"]


def test_top_level_must_be_a_mapping() -> None:
    assert errors_of("- just\n- a list\n") == ["p.yaml:1: (top): expected a mapping at the top level"]


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [path] if path else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


DEFAULT_TEXT = resources.files("streams.data").joinpath("default_policy.yaml").read_text("utf-8")
DEFAULT_DATA = yaml.safe_load(DEFAULT_TEXT)
PATHS = _paths(DEFAULT_DATA)


@settings(max_examples=150, deadline=None)
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), junk), min_size=1, max_size=3))
def test_any_damaged_policy_is_accepted_or_rejected_with_located_errors(
    edits: list[tuple[tuple[object, ...], object]],
) -> None:
    data = copy.deepcopy(DEFAULT_DATA)
    for path, value in edits:
        target: Any = data
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        parse_policy(yaml.safe_dump(data, allow_unicode=True), origin="p.yaml")
    except PolicyError as exc:
        assert all(line.startswith("p.yaml:") for line in str(exc).split("\n"))
