"""SLA breach decisions and the policy's ``sla:`` section, without a broker or database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas import SlaAction
from streams.logic.policy import PolicyError
from streams.logic.policy_file import load_policy
from streams.logic.sla import Overdue, SlaPolicy, decide_breach, next_rep, sla_policy

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
ROSTERS = {"enterprise": ["sato", "suzuki", "emily"], "inside-sales": ["tanaka"]}


def _overdue(queue: str = "enterprise", owner: str | None = "sato", breaches: int = 0) -> Overdue:
    return Overdue("h-1", queue, owner, NOW - timedelta(minutes=5), breaches)


def test_next_rep_walks_the_roster_round() -> None:
    assert next_rep(["a", "b", "c"], "a") == "b"
    assert next_rep(["a", "b", "c"], "c") == "a"
    assert next_rep(["a", "b"], None) == "a"
    assert next_rep(["a", "b"], "someone-who-left") == "a"
    assert next_rep([], "a") is None


def test_reassign_goes_to_the_next_rep_with_a_new_deadline() -> None:
    sla = SlaPolicy.model_validate({"default": {"action": "reassign", "extend_hours": 2}})
    decision = decide_breach(_overdue(), sla, ROSTERS, NOW)
    assert (decision.action, decision.to_owner, decision.to_queue) == (
        SlaAction.REASSIGN,
        "suzuki",
        "enterprise",
    )
    assert decision.new_due_at == NOW + timedelta(hours=2)
    # Nobody else to give it to: notify instead of bouncing it back to the same rep.
    lone = decide_breach(_overdue("inside-sales", "tanaka"), sla, ROSTERS, NOW)
    assert (lone.action, lone.to_owner, lone.new_due_at) == (SlaAction.NOTIFY, "tanaka", None)


def test_escalation_and_the_breach_limit() -> None:
    sla = SlaPolicy.model_validate(
        {
            "max_breaches": 2,
            "queues": {"enterprise": {"action": "escalate", "to_queue": "inside-sales"}},
        }
    )
    first = decide_breach(_overdue(), sla, ROSTERS, NOW)
    assert (first.action, first.to_owner, first.to_queue) == (SlaAction.ESCALATE, None, "inside-sales")
    # The second missed deadline is the last one acted on: notify, keep the deadline.
    last = decide_breach(_overdue(breaches=1), sla, ROSTERS, NOW)
    assert (last.action, last.to_queue, last.new_due_at) == (SlaAction.NOTIFY, "enterprise", None)
    # Queues without a rule use the default, which is notify.
    assert decide_breach(_overdue("inside-sales"), sla, ROSTERS, NOW).action == SlaAction.NOTIFY


def test_the_policy_section_is_checked_against_the_queues() -> None:
    base = load_policy()
    assert sla_policy(base.model_copy(update={"sla": None})) == SlaPolicy()
    bad_queue = base.model_copy(
        update={"sla": {"queues": {"enterprise": {"action": "escalate", "to_queue": "nowhere"}}}}
    )
    with pytest.raises(PolicyError, match=r"sla: names queues .*'nowhere'"):
        sla_policy(bad_queue)
    no_target = base.model_copy(update={"sla": {"default": {"action": "escalate"}}})
    with pytest.raises(PolicyError, match="to_queue is required"):
        sla_policy(no_target)
    typo = base.model_copy(update={"sla": {"default": {"action": "reasign"}}})
    with pytest.raises(PolicyError, match=r"sla.default.action"):
        sla_policy(typo)
