"""Salesforce: Lead upsert by an external-id field with sObject Collections, per-record answers.

Token: OAuth 2.0 client credentials at ``INSTANCE/services/oauth2/token`` (fetched when
first needed, fetched again once on 401). Upsert: ``PATCH
/services/data/vNN.N/composite/sobjects/Lead/FIELD`` with ``allOrNone: false`` and up to
200 records; the answer is one result per record in the same order.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson

from schemas import HandoffEvent
from sinks.config import SalesforceSink, secret
from sinks.contract import DELIVERED, Answer, Item, Refused, RetryLater, TargetSink, excerpt
from sinks.directory import Directory
from sinks.mapping import facts_of, map_fields
from sinks.targets.http import HttpTarget, Reply, answer_of

DEFAULT_FIELDS = {
    "LastName": "last_name",
    "FirstName": "contact.given_name",
    "Company": "company",
    "Email": "contact.email",
    "Phone": "contact.phone",
    "Title": "contact.job_title",
    "LeadSource": "=Web",
    "Description": "reasons_text",
    "OwnerId": "owner.salesforce_user_id",
}


def lead_record(event: HandoffEvent, config: SalesforceSink, directory: Directory) -> dict[str, Any]:
    """One Lead of the collection, keyed by the external-id field."""
    fields = map_fields({**DEFAULT_FIELDS, **config.fields}, facts_of(event, directory))
    return {"attributes": {"type": "Lead"}, **fields, config.external_id_field: event.handoff_id}


def _record_answer(result: Any) -> Answer:
    if isinstance(result, dict) and result.get("success"):
        return DELIVERED
    errors = result.get("errors", []) if isinstance(result, dict) else []
    codes = {str(e.get("statusCode", "")) for e in errors if isinstance(e, dict)}
    detail = "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in errors if isinstance(e, dict))
    # Row locks and limits pass; anything else about the record will not.
    if codes & {"UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE"}:
        return RetryLater(excerpt(detail))
    return Refused(200, excerpt(detail or "record not upserted"))


class Salesforce(TargetSink):
    """The Lead collection upsert."""

    def __init__(self, config: SalesforceSink, directory: Directory) -> None:
        super().__init__()
        self.config, self.directory = config, directory
        self.batch_limit = config.batch_size
        self.client_id = secret(config.client_id_env)
        self.client_secret = secret(config.client_secret_env)
        self.http = HttpTarget(config.timeout_s)
        self.token: str | None = None
        self.api_url = config.instance_url.rstrip("/")

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never show in an excerpt."""
        return (self.client_secret, self.token or "")

    async def _fetch_token(self) -> Answer | None:
        body = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        url = f"{self.config.instance_url.rstrip('/')}/services/oauth2/token"
        reply = await self.http.request("POST", url, body=body, headers=headers, secrets=self.secrets)
        if not isinstance(reply, Reply) or reply.status != 200:
            answer = answer_of(reply, self.secrets)
            # A refused token is a configuration problem, not the records': keep them and retry.
            return RetryLater(f"token: {getattr(answer, 'detail', answer)}")
        data = orjson.loads(reply.text)
        self.token = str(data["access_token"])
        self.api_url = str(data.get("instance_url") or self.api_url).rstrip("/")
        return None

    async def _upsert(self, records: list[dict[str, Any]]) -> Reply | RetryLater:
        url = (
            f"{self.api_url}/services/data/{self.config.api_version}/composite/sobjects/Lead/"
            f"{self.config.external_id_field}"
        )
        body = orjson.dumps({"allOrNone": False, "records": records})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        return await self.http.request("PATCH", url, body=body, headers=headers, secrets=self.secrets)

    async def send(self, items: list[Item]) -> list[Answer]:
        """Upsert the batch; one answer per record from the results."""
        records = []
        for item in items:
            assert isinstance(item.event, HandoffEvent)  # noqa: S101 - the file allows handoff events only
            records.append(lead_record(item.event, self.config, self.directory))
        for attempt in range(2):
            if self.token is None:
                failed = await self._fetch_token()
                if failed is not None:
                    return [failed] * len(items)
            reply = await self._upsert(records)
            if isinstance(reply, Reply) and reply.status == 401 and attempt == 0:
                self.token = None  # expired or revoked: one fresh token, then give up
                continue
            break
        if not isinstance(reply, Reply) or reply.status != 200:
            answer = answer_of(reply, self.secrets)
            if isinstance(reply, Reply) and reply.status == 401:
                answer = RetryLater(f"HTTP 401 after a fresh token: {excerpt(reply.text, self.secrets)}")
            return [answer] * len(items)
        results = orjson.loads(reply.text)
        if not isinstance(results, list) or len(results) != len(items):
            return [RetryLater(f"unexpected answer: {excerpt(reply.text, self.secrets)}")] * len(items)
        return [_record_answer(r) for r in results]

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.http.close()
