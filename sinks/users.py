"""Desk users, their tokens and their browser sessions: small keyword-only functions over a session.

A token is ``hd_<id>_<secret>``: the id finds the user, the secret is checked against a
salted scrypt hash, so the database never holds anything a sign-in could replay. A
session cookie carries 32 random bytes; the table keeps only their SHA-256 (the secret
is too long to guess, so a slow hash would add nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from schemas.errors import DeskError
from sinks.models import DeskSession, DeskUser

ROLES = ("rep", "manager", "integration")
# scrypt cost: about 16 MiB and tens of milliseconds per check.
_N, _R, _P = 2**14, 8, 1


# SHA-256 of a verified token -> the stored hash it matched (so scrypt runs once per token).
_VERIFIED: OrderedDict[str, str] = OrderedDict()
_VERIFIED_MAX = 10_000


class UserError(DeskError):
    """A users command cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class DeskUserView:
    """A user as the desk sees them (never the hash)."""

    name: str
    role: str
    email: str | None
    active: bool


def _view(row: DeskUser) -> DeskUserView:
    return DeskUserView(row.name, row.role, row.email, row.revoked_at is None and row.token_hash is not None)


def _hash(secret: str, salt: bytes) -> str:
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def _verify(secret: str, stored: str) -> bool:
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got.hex(), digest)


def _new_token(row: DeskUser) -> str:
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    row.token_id, row.token_hash = token_id, _hash(secret, secrets.token_bytes(16))
    return f"hd_{token_id}_{secret}"


def add_user(*, session: Session, name: str, role: str, email: str | None, now: datetime) -> str:
    """Create a user and return their new token (the only time it is shown)."""
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not name.strip() or len(name) > 200:
        raise UserError("a user name is 1-200 characters (a rep's name is their rep id in the policy)")
    if session.get(DeskUser, name) is not None:
        raise UserError(f"user {name!r} exists: rotate the token with `handoff users token {name}`")
    if email and session.scalar(select(DeskUser).where(DeskUser.email == email)) is not None:
        raise UserError(f"another user has the email {email!r}")
    row = DeskUser(name=name, role=role, email=email or None, created_at=now)
    token = _new_token(row)
    session.add(row)
    return token


def _get(session: Session, name: str) -> DeskUser:
    row = session.get(DeskUser, name)
    if row is None:
        raise UserError(f"no user {name!r}: see `handoff users list`")
    return row


def rotate_token(*, session: Session, name: str) -> str:
    """Give a user a new token (the old one stops working, and so do their sessions)."""
    row = _get(session, name)
    row.revoked_at = None
    token = _new_token(row)
    session.execute(delete(DeskSession).where(DeskSession.user_name == name))
    return token


def revoke(*, session: Session, name: str, now: datetime) -> None:
    """Stop a user's token and sessions at once."""
    row = _get(session, name)
    row.revoked_at, row.token_id, row.token_hash = now, None, None
    session.execute(delete(DeskSession).where(DeskSession.user_name == name))


def list_users(*, session: Session) -> list[DeskUserView]:
    """Every user, by name."""
    return [_view(r) for r in session.scalars(select(DeskUser).order_by(DeskUser.name))]


def user_by_token(*, session: Session, token: str) -> DeskUserView | None:
    """The active user a token belongs to, or None."""
    prefix, _, rest = token.strip().partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != "hd" or not token_id or not secret:
        return None
    row = session.scalar(select(DeskUser).where(DeskUser.token_id == token_id))
    if row is None or row.token_hash is None or row.revoked_at is not None:
        return None
    # A token verified once is remembered with the hash it matched: rotation and revocation
    # change or clear that hash in the row, so they still take effect on the next request.
    key = _digest(token.strip())
    if _VERIFIED.get(key) != row.token_hash:
        if not _verify(secret, row.token_hash):
            return None
        _VERIFIED[key] = row.token_hash
        while len(_VERIFIED) > _VERIFIED_MAX:
            _VERIFIED.popitem(last=False)
    return _view(row)


def user_by_name_or_email(*, session: Session, who: str) -> DeskUserView | None:
    """The active user named ``who`` or with that email (SSO proxies send either)."""
    row = session.get(DeskUser, who) or session.scalar(select(DeskUser).where(DeskUser.email == who.lower()))
    if row is None or row.revoked_at is not None:
        return None
    return DeskUserView(row.name, row.role, row.email, True)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(*, session: Session, user: str, now: datetime, ttl: timedelta) -> tuple[str, str]:
    """Start a browser session; return the cookie secret and the session's CSRF token."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.execute(delete(DeskSession).where(DeskSession.expires_at < now))
    session.add(
        DeskSession(
            session_hash=_digest(secret),
            user_name=user,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return secret, csrf


def session_user(*, session: Session, secret: str, now: datetime) -> tuple[DeskUserView, str] | None:
    """The user and CSRF token of a live session, or None."""
    row = session.get(DeskSession, _digest(secret))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(DeskUser, row.user_name)
    if user is None or user.revoked_at is not None:
        return None
    return _view(user), row.csrf_token


def close_session(*, session: Session, secret: str) -> None:
    """Sign a browser out."""
    session.execute(delete(DeskSession).where(DeskSession.session_hash == _digest(secret)))
