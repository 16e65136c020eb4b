"""Field mappings for CRM records: a target field names where its value comes from.

A source is a dotted path into the handoff (``contact.email``, ``account.name``), one of
the derived names below (``last_name``, ``reasons_text``, ``owner.salesforce_user_id``,
``desk_link``), or ``=text`` for a fixed value. A source that is empty leaves the field out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas import HandoffEvent
from sinks.directory import Directory


def facts_of(event: HandoffEvent, directory: Directory) -> dict[str, Any]:
    """Every source name a mapping can use, flattened."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        else:
            flat[prefix] = value

    walk("", event.model_dump(mode="json"))
    contact = event.contact
    owner = directory.rep(event.owner)
    flat["last_name"] = contact.family_name or contact.full_name or contact.email.split("@")[0]
    flat["company"] = event.account.name or event.account.domain or contact.email.split("@")[-1]
    flat["reasons_text"] = "; ".join(f"{r.rule} ({r.points:+d})" for r in event.reasons)
    flat["desk_link"] = directory.lead_url(event.queue, event.handoff_id)
    for name in ("slack", "email", "salesforce_user_id", "hubspot_owner_id"):
        flat[f"owner.{name}"] = getattr(owner, name) if owner else None
    return flat


def map_fields(mapping: Mapping[str, str], facts: Mapping[str, Any]) -> dict[str, Any]:
    """Target field -> value for every source that has one."""
    out: dict[str, Any] = {}
    for target, source in mapping.items():
        value = source[1:] if source.startswith("=") else facts.get(source)
        if value not in (None, ""):
            out[target] = value
    return out


def unknown_sources(mapping: Mapping[str, str], example: HandoffEvent) -> list[str]:
    """Target fields whose source no handoff has (typos in the sinks file)."""
    known = facts_of(example, Directory())
    return [field for field, source in mapping.items() if not source.startswith("=") and source not in known]
