"""In-process request guards: a per-client token bucket and a time-limited set of seen event ids.

Both live in one process's memory. Behind several replicas each keeps its own view:
the rate limit is per replica and the event-id window catches retries that land on
the same replica. The pipeline's dedupe and the sales queue's unique ``event_id``
remain the real guarantee against duplicates.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from streams.logic.submission import KEY_HEADER, SIGNATURE_HEADER

Clock = Callable[[], float]


class RateLimiter:
    """Token bucket per client key: ``burst`` requests at once, refilled at ``rate_per_s``."""

    def __init__(
        self, *, rate_per_s: float, burst: int, max_clients: int = 100_000, clock: Clock = time.monotonic
    ) -> None:
        self.rate, self.burst = rate_per_s, float(burst)
        self.max_clients = max_clients
        self.clock = clock
        # client -> (tokens, when they were counted); least recently seen first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _tokens(self, client: str, now: float) -> float:
        tokens, then = self._buckets.get(client, (self.burst, now))
        return min(self.burst, tokens + (now - then) * self.rate)

    def pending(self, client: str) -> float:
        """Seconds until this client has a token (0 when it has one now), spending nothing."""
        tokens = self._tokens(client, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, client: str) -> float:
        """Spend one token; return 0 when allowed, else the seconds until a token is back."""
        now = self.clock()
        tokens = self._tokens(client, now)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets.pop(client, None)
        self._buckets[client] = (tokens, now)
        # A forgotten client starts with a full bucket, so evicting the least recently
        # seen ones can only make the limit more lenient, never wrong the other way.
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """The ``Retry-After`` header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait_s)))


def credential_bucket(headers: Mapping[str, str], client: str) -> str | None:
    """The bucket a keyed or signed request spends from (None: a browser post, the address's bucket).

    Keyed requests get a bucket per key (a digest, never the key itself); signed ones, whose
    secret is known only once the form is read, one per address apart from its browser bucket.
    """
    key = headers.get(KEY_HEADER)
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    if headers.get(SIGNATURE_HEADER):
        return "signed:" + client
    return None


def denied_bucket(client: str) -> str:
    """The bucket refused credentials from an address spend from."""
    return "denied:" + client


class SeenWindow:
    """Event ids acknowledged within the last ``window_s`` seconds (bounded in size)."""

    def __init__(self, *, window_s: float, max_items: int = 200_000, clock: Clock = time.monotonic) -> None:
        self.window_s, self.max_items, self.clock = window_s, max_items, clock
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def _expire(self, now: float) -> None:
        # One window for all, so insertion order is expiry order.
        while self._expiry:
            key, expires = next(iter(self._expiry.items()))
            if expires > now and len(self._expiry) <= self.max_items:
                break
            del self._expiry[key]

    def __contains__(self, event_id: object) -> bool:
        self._expire(self.clock())
        return event_id in self._expiry

    def add(self, event_id: str) -> None:
        """Remember an acknowledged event id for the window."""
        if self.window_s <= 0:
            return
        now = self.clock()
        self._expiry.pop(event_id, None)
        self._expiry[event_id] = now + self.window_s
        self._expire(now)
