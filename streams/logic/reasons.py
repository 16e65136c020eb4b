"""Reasons shared between decisions: the same few (a rule, its points, its detail) repeat across leads."""

from __future__ import annotations

from functools import lru_cache

from schemas import Reason


@lru_cache(maxsize=16_384)
def shared_reason(rule: str, points: int = 0, detail: str = "") -> Reason:
    """Return the (immutable, shared) reason for these values."""
    return Reason(rule=rule, points=points, detail=detail)
