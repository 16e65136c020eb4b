"""``POST /v1/leads``: website lead intake, acknowledged only once Kafka has the lead.

Order of checks, cheapest first: per-client rate limit (429; requests carrying a key
or signature are charged only when refused), content type (415),
declared and actual size (413), body syntax (400), ``form_id`` present (422) and
configured (403), credentials or browser origin (401/403), the LeadSubmitted schema
(422). A repeated ``event_id`` within the window is answered 202 without sending it
again. Errors name fields and codes, never the submitted values.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from typing import Any

from aiohttp import HttpVersion11, web

from schemas import LeadSubmitted
from streams.core.metrics import INTAKE_FAMILIES, INTAKE_REQUESTS, INTAKE_SECONDS
from streams.core.metrics_http import own_families
from streams.core.settings import Settings
from streams.kafka.producer import AsyncProducer, DeliveryError
from streams.logic.submission import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, InvalidLead, build_lead
from streams.web.auth import Denied, authenticate
from streams.web.body import BadBody, check_headers, parse_body, read_capped
from streams.web.forms import FormRegistry, load_forms
from streams.web.guard import RateLimiter, SeenWindow, credential_bucket, denied_bucket

log = logging.getLogger(__name__)
PATH = "/v1/leads"
# The configured form a request named, for the counters (unknown forms share one label).
FORM = web.RequestKey("handoff_form", str)


def _problem(status: int, code: str, detail: str, **more: Any) -> web.Response:
    return web.json_response({"error": code, "detail": detail, **more}, status=status)


def _own_origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


class Intake:
    """The lead intake endpoint and the state its guards keep."""

    def __init__(self, settings: Settings, forms: FormRegistry) -> None:
        self.settings, self.forms = settings, forms
        self.limiter = RateLimiter(rate_per_s=settings.intake.rate_per_s, burst=settings.intake.rate_burst)
        self.seen = SeenWindow(window_s=settings.intake.dedupe_window_s)
        self.publisher = AsyncProducer(settings.kafka.servers, timeout_s=settings.intake.send_timeout_s)

    def _client(self, request: web.Request) -> str:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if self.settings.intake.trust_forwarded_for and forwarded:
            # The last entry is the one our own proxy wrote; earlier ones come from the client.
            return forwarded.split(",")[-1].strip()
        return request.remote or "unknown"

    def _cors(self, request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin", "").rstrip("/")
        if origin and self.forms.any_origin_allows(origin, _own_origin(request)):
            return {
                "Access-Control-Allow-Origin": origin,
                "Vary": "Origin",
                "Access-Control-Expose-Headers": "Retry-After",
            }
        return {"Vary": "Origin"}

    async def preflight(self, request: web.Request) -> web.Response:
        """Answer a CORS preflight for origins that some form accepts."""
        cors = self._cors(request)
        if "Access-Control-Allow-Origin" not in cors:
            return _problem(403, "origin_not_allowed", "no form accepts posts from this origin")
        return web.Response(
            status=204,
            headers={
                **cors,
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": f"Content-Type, {KEY_HEADER}, {SIGNATURE_HEADER}, "
                f"{TIMESTAMP_HEADER}",
                "Access-Control-Max-Age": "600",
            },
        )

    async def expect(self, request: web.Request) -> web.Response | None:
        """Refuse a wrong type or declared size before the client sends the body (100-continue)."""
        try:
            check_headers(request)
        except BadBody as exc:
            response = _problem(exc.status, exc.code, exc.detail)
            response.force_close()
            return response
        if request.version == HttpVersion11 and request.headers.get("Expect", "").lower() == "100-continue":
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0  # the 100 is not part of the response body
            return None
        raise web.HTTPExpectationFailed(text="only Expect: 100-continue is understood")

    async def post(self, request: web.Request) -> web.StreamResponse:
        """Validate, authenticate and produce one lead; 202 with its event_id once Kafka has it."""
        started = time.perf_counter()
        response = await self._handle(request)
        response.headers.update(self._cors(request))
        INTAKE_REQUESTS.labels(request.get(FORM, "unknown"), str(response.status)).inc()
        INTAKE_SECONDS.observe(time.perf_counter() - started)
        return response

    async def _handle(self, request: web.Request) -> web.Response:
        client = self._client(request)
        credential = credential_bucket(request.headers, client)
        if credential is None:
            wait = self.limiter.take(client)  # a browser post spends a token each time
        else:
            # A backend holding a key relays many visitors from one address: it has its own
            # bucket, spent only when refused, and refused credentials also spend from the
            # address's denied bucket, which throttles anyone guessing keys.
            wait = max(self.limiter.pending(credential), self.limiter.pending(denied_bucket(client)))
        if wait:
            return web.json_response(
                {"error": "rate_limited", "detail": "too many requests from this address"},
                status=429,
                headers={"Retry-After": RateLimiter.retry_after(wait)},
            )
        response = await self._process(request)
        if credential is not None and response.status in (401, 403):
            self.limiter.take(denied_bucket(client))
        elif credential is not None and 400 <= response.status < 500:
            self.limiter.take(credential)
        return response

    async def _process(self, request: web.Request) -> web.Response:
        try:
            content_type = check_headers(request)
            body = await read_capped(request)
            data = parse_body(content_type, body)
        except BadBody as exc:
            response = _problem(exc.status, exc.code, exc.detail)
            if exc.status == 413:
                response.force_close()  # the rest of the body is never read
            return response
        form_id = data.get("form_id")
        if not isinstance(form_id, str) or not form_id.strip():
            code = "string_type" if form_id not in (None, "") else "missing"
            return _problem(
                422,
                "invalid_lead",
                "the lead does not match the schema",
                fields=[{"path": "form_id", "code": code}],
            )
        access = self.forms.lookup(unicodedata.normalize("NFKC", form_id).strip())
        if access is None:
            return _problem(403, "unknown_form", "this form_id is not configured for intake")
        request[FORM] = access.form_id
        try:
            via = authenticate(
                access,
                request.headers,
                body,
                own_origin=_own_origin(request),
                now=time.time(),
                window_s=self.settings.intake.signature_window_s,
            )
            lead = build_lead(data)
        except Denied as exc:
            response = _problem(exc.status, exc.code, exc.detail)
            if exc.status == 401:
                response.headers["WWW-Authenticate"] = f'{KEY_HEADER} realm="handoff"'
            return response
        except InvalidLead as exc:
            return _problem(422, "invalid_lead", "the lead does not match the schema", fields=exc.fields)
        return await self._produce(lead, via)

    async def _produce(self, lead: LeadSubmitted, via: str) -> web.Response:
        if lead.event_id in self.seen:
            return web.json_response({"event_id": lead.event_id, "status": "duplicate"}, status=202)
        body = lead.model_dump_json(exclude_defaults=True).encode()
        try:
            await self.publisher.send(self.settings.topics.submitted, lead.event_id.encode(), body)
        except DeliveryError as exc:
            return _problem(
                503,
                "broker_unavailable",
                f"{exc}; the lead was not accepted: retry later with the same event_id",
                event_id=lead.event_id,
            )
        self.seen.add(lead.event_id)
        log.info("lead accepted: event_id=%s form_id=%s via=%s", lead.event_id, lead.form_id, via)
        return web.json_response({"event_id": lead.event_id, "status": "accepted"}, status=202)


INTAKE_KEY = web.AppKey("intake", Intake)


async def _close(app: web.Application) -> None:
    await app[INTAKE_KEY].publisher.close()


def setup(app: web.Application, settings: Settings) -> None:
    """Add ``POST /v1/leads`` and its CORS preflight."""
    forms = load_forms(settings.intake.forms_file)
    if not forms.forms:
        log.warning("no forms configured (HANDOFF_FORMS_FILE): POST %s refuses every form", PATH)
    own_families(INTAKE_FAMILIES)
    intake = Intake(settings, forms)
    app[INTAKE_KEY] = intake
    app.router.add_post(PATH, intake.post, expect_handler=intake.expect)
    app.router.add_route("OPTIONS", PATH, intake.preflight)
    app.on_cleanup.append(_close)
