"""What targets know about people: each rep's addresses in other tools, and the desk's URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass(frozen=True)
class RepContact:
    """A rep's ids in the tools the sinks write to (all optional), and their time zone."""

    slack: str | None = None
    email: str | None = None
    salesforce_user_id: str | None = None
    hubspot_owner_id: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class Directory:
    """The reps by policy id, and where the desk shows a lead (empty: no link)."""

    reps: dict[str, RepContact] = field(default_factory=dict)
    desk_url: str = ""

    def rep(self, rep_id: str | None) -> RepContact | None:
        """A rep's contact, if the policy has one."""
        return self.reps.get(rep_id) if rep_id else None

    def lead_url(self, queue: str, handoff_id: str) -> str:
        """The lead in its queue on the desk, or an empty string when the desk URL is not set."""
        if not self.desk_url:
            return ""
        return f"{self.desk_url.rstrip('/')}/queue?{urlencode({'queue': queue, 'lead': handoff_id})}"
