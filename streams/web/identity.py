"""Who is asking: the signed-in identity of a desk request, and the role checks on it.

The desk's sign-in (token, SSO proxy, or none on loopback) decides the identity once per
request and stores it under ``IDENTITY``; handlers never take it from a field the client
chooses. A request that reaches a handler without one is answered 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiohttp import web

Role = Literal["rep", "manager", "integration"]
ROLES: tuple[Role, ...] = ("rep", "manager", "integration")


@dataclass(frozen=True)
class Identity:
    """A signed-in desk user: ``name`` is the rep id of the policy for reps."""

    name: str
    role: Role
    email: str | None = None


# Where the sign-in middleware leaves the identity on the request.
IDENTITY = web.RequestKey("handoff.identity", Identity)


def _json_error(cls: type[web.HTTPException], code: str, detail: str) -> web.HTTPException:
    return cls(text=f'{{"error": "{code}", "detail": "{detail}"}}', content_type="application/json")


def identity_of(request: web.Request) -> Identity:
    """The request's identity, or 401 ``unauthenticated``."""
    found = request.get(IDENTITY)
    if not isinstance(found, Identity):
        raise _json_error(web.HTTPUnauthorized, "unauthenticated", "sign in first")
    return found


def require_role(request: web.Request, *roles: Role) -> Identity:
    """The request's identity if it holds one of ``roles``, else 401 or 403 ``forbidden``."""
    who = identity_of(request)
    if who.role not in roles:
        raise _json_error(web.HTTPForbidden, "forbidden", f"needs the role {' or '.join(roles)}")
    return who
