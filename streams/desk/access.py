"""Who may see and work which leads: rosters from the policy, roles from the sign-in.

A ``rep`` works leads that are theirs, or unassigned in a queue whose roster lists them;
a ``manager`` and an ``integration`` user see every queue.
"""

from __future__ import annotations

from typing import Any

from streams.logic.policy import Policy


def queues_of(policy: Policy, name: str, role: str) -> list[str]:
    """The queues a user works: the rosters that list a rep, every queue for the others."""
    if role == "rep":
        return [q for q, cfg in policy.queues.items() if name in cfg.reps]
    return list(policy.queues)


def may_see(policy: Policy, name: str, role: str, item: dict[str, Any]) -> bool:
    """Whether a user may read and act on a lead."""
    if role != "rep":
        return True
    return item["owner"] == name or (item["owner"] is None and item["queue"] in queues_of(policy, name, role))


def zone_of(policy: Policy, name: str, fallback: str) -> str:
    """The user's time zone: their calendar in the policy, else ``fallback``."""
    rep = policy.reps.get(name)
    if rep is not None and rep.timezone:
        return rep.timezone
    return fallback
