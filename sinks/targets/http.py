"""One HTTP request to a target, its failure modes turned into answers."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from sinks.contract import Answer, RetryLater, answer_for_status, excerpt


@dataclass(frozen=True)
class Reply:
    """What the target answered."""

    status: int
    text: str
    retry_after: str | None

    def answer(self, secrets: tuple[str, ...] = ()) -> Answer:
        """The answer for every record of the request."""
        return answer_for_status(self.status, self.text, retry_after=self.retry_after, secrets=secrets)


class HttpTarget:
    """A lazily opened aiohttp session with the sink's timeout."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def request(
        self, method: str, url: str, *, body: bytes, headers: dict[str, str], secrets: tuple[str, ...] = ()
    ) -> Reply | RetryLater:
        """Send; a timeout or a connection failure comes back as RetryLater."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.request(method, url, data=body, headers=headers) as resp:
                return Reply(resp.status, await resp.text(errors="replace"), resp.headers.get("Retry-After"))
        except TimeoutError:
            return RetryLater(f"no answer within {self.timeout.total:g} s")
        except aiohttp.ClientError as exc:
            return RetryLater(f"{type(exc).__name__}: {excerpt(str(exc), secrets)}")

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def answer_of(result: Reply | RetryLater, secrets: tuple[str, ...] = ()) -> Answer:
    """The answer for a request's result: its status classified, or the retry it already is."""
    return result if isinstance(result, RetryLater) else result.answer(secrets)
