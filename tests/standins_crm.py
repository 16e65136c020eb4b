"""Stand-ins for Salesforce, HubSpot and kintone (see ``tests.standins``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from tests.standins import (
    HUBSPOT_TOKEN,
    KINTONE_APP,
    KINTONE_TOKEN,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    StandIn,
)

SF_VERSION, SF_EXTERNAL_ID = "v62.0", "Handoff_Id__c"


def _json(data: Any, status: int = 200) -> web.Response:
    """JSON in plain UTF-8, as kintone answers (Japanese messages unescaped)."""
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


class Salesforce(StandIn):
    """Token endpoint plus the Lead collection upsert; tokens can be revoked."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []
        # The external ids of every upsert request, in order; the first can be held this long.
        self.attempts: list[list[str]] = []
        self.stall_first_s = 0.0
        self.app.router.add_post("/services/oauth2/token", self.token)
        self.app.router.add_patch(
            f"/services/data/{SF_VERSION}/composite/sobjects/Lead/{SF_EXTERNAL_ID}", self.upsert
        )

    async def token(self, request: web.Request) -> web.Response:
        form = parse_qs((await request.read()).decode())
        if request.content_type != "application/x-www-form-urlencoded":
            return self.violation("token request not form-encoded")
        ok = form.get("grant_type") == ["client_credentials"] and form.get("client_id") == [SF_CLIENT_ID]
        if not ok or form.get("client_secret") != [SF_CLIENT_SECRET]:
            return web.json_response(
                {"error": "invalid_client", "error_description": "invalid client credentials"}, status=400
            )
        self.tokens.append(f"00Dtoken{len(self.tokens)}")
        return web.json_response(
            {"access_token": self.tokens[-1], "instance_url": self.url, "token_type": "Bearer", "id": "x"}
        )

    def revoke(self) -> None:
        """Expire every token handed out so far (the next call answers 401)."""
        self.tokens.append("revoked")

    async def upsert(self, request: web.Request) -> web.Response:
        forced = self.take_forced()
        if forced is not None:
            return forced
        if request.headers.get("Authorization") != f"Bearer {self.tokens[-1] if self.tokens else ''}":
            return web.json_response(
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], status=401
            )
        body = await request.json()
        records = body.get("records", [])
        self.attempts.append([str(r.get(SF_EXTERNAL_ID)) for r in records])
        if self.stall_first_s:
            until = asyncio.get_running_loop().time() + self.stall_first_s
            self.stall_first_s = 0.0
            while asyncio.get_running_loop().time() < until:
                if request.transport is None or request.transport.is_closing():
                    return web.Response(status=499)  # the caller is gone: nothing applied
                await asyncio.sleep(0.1)
        if body.get("allOrNone") is not False or not 1 <= len(records) <= 200:
            return self.violation(f"allOrNone {body.get('allOrNone')!r}, {len(records)} records")
        self.batch_sizes.append(len(records))
        results: list[dict[str, Any]] = []
        for record in records:
            if record.get("attributes", {}).get("type") != "Lead" or "Id" in record:
                return self.violation("record without attributes.type Lead, or with an Id")
            key = record.get(SF_EXTERNAL_ID)
            missing = [f for f in ("LastName", "Company") if not record.get(f)]
            if missing or not key:
                results.append(
                    self._error("REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}")
                )
            elif record.get("Email") in self.refuse:
                results.append(
                    self._error("INVALID_EMAIL_ADDRESS", f"Email: invalid email address: {record['Email']}")
                )
            else:
                created = key not in self.stored
                self.seen[key] += 1
                self.stored[key] = record
                results.append(
                    {"id": f"00Q{len(self.stored):015d}", "success": True, "errors": [], "created": created}
                )
        return web.json_response(results)

    @staticmethod
    def _error(code: str, message: str) -> dict[str, Any]:
        return {"success": False, "errors": [{"statusCode": code, "message": message, "fields": []}]}


class Hubspot(StandIn):
    """Contacts batch upsert by email; a bad input fails the whole batch (400), as HubSpot does."""

    def __init__(self) -> None:
        super().__init__()
        self.app.router.add_post("/crm/v3/objects/contacts/batch/upsert", self.upsert)

    async def upsert(self, request: web.Request) -> web.Response:
        forced = self.take_forced()
        if forced is not None:
            return forced
        if request.headers.get("Authorization") != f"Bearer {HUBSPOT_TOKEN}":
            return web.json_response(
                {
                    "status": "error",
                    "message": "Authentication credentials not found.",
                    "category": "INVALID_AUTHENTICATION",
                },
                status=401,
            )
        inputs = (await request.json()).get("inputs", [])
        if not 1 <= len(inputs) <= 100:
            return self.violation(f"{len(inputs)} inputs")
        self.batch_sizes.append(len(inputs))
        for one in inputs:
            if one.get("idProperty") != "email" or one.get("id") != one.get("properties", {}).get("email"):
                return self.violation("input not identified by email")
            if one["id"] in self.refuse:
                return web.json_response(
                    {
                        "status": "error",
                        "message": f"Property values were not valid: email {one['id']}",
                        "category": "VALIDATION_ERROR",
                    },
                    status=400,
                )
        results = []
        for one in inputs:
            self.seen[one["id"]] += 1
            self.stored[one["id"]] = one["properties"]
            results.append({"id": str(len(self.stored)), "properties": one["properties"], "new": True})
        return web.json_response(
            {"status": "COMPLETE", "results": results, "startedAt": "x", "completedAt": "y"}
        )


class Kintone(StandIn):
    """Records PUT with upsert; the batch is refused whole, naming each bad record."""

    def __init__(self, update_key: str) -> None:
        super().__init__()
        self.update_key = update_key
        self.app.router.add_put("/k/v1/records.json", self.put)

    async def put(self, request: web.Request) -> web.Response:
        forced = self.take_forced()
        if forced is not None:
            return forced
        if request.headers.get("X-Cybozu-API-Token") != KINTONE_TOKEN:
            return _json(
                {"code": "GAIA_IA02", "id": "x", "message": "指定したAPIトークンが正しくありません。"},
                status=401,
            )
        body = json.loads(await request.read())
        records = body.get("records", [])
        if body.get("app") != KINTONE_APP or body.get("upsert") is not True or not 1 <= len(records) <= 100:
            return self.violation(
                f"app {body.get('app')}, upsert {body.get('upsert')}, {len(records)} records"
            )
        self.batch_sizes.append(len(records))
        errors = {}
        for i, one in enumerate(records):
            if one.get("updateKey", {}).get("field") != self.update_key or "id" in one:
                return self.violation("record without the updateKey")
            if any(not isinstance(v, dict) or "value" not in v for v in one.get("record", {}).values()):
                return self.violation("field value not {value: …}")
            if one["updateKey"]["value"] in self.refuse:
                errors[f"records[{i}].メール.value"] = {"messages": ["入力内容が正しくありません。"]}
        if errors:
            return _json(
                {"code": "CB_VA01", "id": "x", "message": "入力内容が正しくありません。", "errors": errors},
                status=400,
            )
        out = []
        for one in records:
            key = one["updateKey"]["value"]
            operation = "UPDATE" if key in self.stored else "INSERT"
            self.seen[key] += 1
            self.stored[key] = one["record"]
            out.append({"id": str(len(self.stored)), "revision": "1", "operation": operation})
        return _json({"records": out})
