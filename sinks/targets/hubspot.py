"""HubSpot: contact batch upsert by email (``POST /crm/v3/objects/contacts/batch/upsert``).

A private-app token as the bearer; up to 100 inputs. A batch HubSpot refuses as a whole
(400) is split and sent one by one, so only the contact at fault is dead-lettered.
"""

from __future__ import annotations

from typing import Any

import orjson

from schemas import HandoffEvent
from sinks.config import HubspotSink, secret
from sinks.contract import DELIVERED, Answer, Item, Refused, TargetSink
from sinks.directory import Directory
from sinks.mapping import facts_of, map_fields
from sinks.targets.http import HttpTarget, Reply, answer_of

DEFAULT_PROPERTIES = {
    "email": "contact.email",
    "firstname": "contact.given_name",
    "lastname": "last_name",
    "company": "company",
    "phone": "contact.phone",
    "jobtitle": "contact.job_title",
    "hubspot_owner_id": "owner.hubspot_owner_id",
}


def contact_input(event: HandoffEvent, config: HubspotSink, directory: Directory) -> dict[str, Any]:
    """One input of the batch, identified by the contact's email."""
    props = map_fields({**DEFAULT_PROPERTIES, **config.properties}, facts_of(event, directory))
    return {"idProperty": "email", "id": event.contact.email, "properties": props}


class Hubspot(TargetSink):
    """The contacts batch upsert."""

    def __init__(self, config: HubspotSink, directory: Directory) -> None:
        super().__init__()
        self.config, self.directory = config, directory
        self.batch_limit = config.batch_size
        self.token = secret(config.token_env)
        self.http = HttpTarget(config.timeout_s)

    async def _post(self, inputs: list[dict[str, Any]]) -> Reply | Answer:
        url = f"{self.config.base_url.rstrip('/')}/crm/v3/objects/contacts/batch/upsert"
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        body = orjson.dumps({"inputs": inputs})
        reply = await self.http.request("POST", url, body=body, headers=headers, secrets=(self.token,))
        return reply if isinstance(reply, Reply) else answer_of(reply)

    async def send(self, items: list[Item]) -> list[Answer]:
        """Upsert the batch; split a refused batch to find the contact at fault."""
        inputs = []
        for item in items:
            assert isinstance(item.event, HandoffEvent)  # noqa: S101 - the file allows handoff events only
            inputs.append(contact_input(item.event, self.config, self.directory))
        reply = await self._post(inputs)
        if not isinstance(reply, Reply):
            return [reply] * len(items)
        if reply.status in (200, 201):
            return [DELIVERED] * len(items)
        if reply.status == 400 and len(items) > 1:
            answers: list[Answer] = []
            for one in inputs:
                single = await self._post([one])
                answers.append(single.answer((self.token,)) if isinstance(single, Reply) else single)
            return answers
        if reply.status == 207:
            return self._multi_status(reply, inputs)
        return [reply.answer((self.token,))] * len(items)

    def _multi_status(self, reply: Reply, inputs: list[dict[str, Any]]) -> list[Answer]:
        """Some inputs failed: refuse the ones the errors name (by email), deliver the rest."""
        data = orjson.loads(reply.text)
        failed: dict[str, str] = {}
        for error in data.get("errors", []):
            ids = error.get("context", {}).get("ids", []) or error.get("context", {}).get("id", [])
            for bad in ids:
                failed[str(bad).lower()] = str(error.get("message", "refused"))
        return [
            Refused(207, f"HTTP 207: {failed[i['id'].lower()][:200]}")
            if i["id"].lower() in failed
            else DELIVERED
            for i in inputs
        ]

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.http.close()
