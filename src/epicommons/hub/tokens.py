"""API tokens: random secrets shown once, stored only as their SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "ech_"
ROLES = ("reporter", "analyst", "coordinator")


def new_token() -> str:
    """A fresh token with 256 bits of randomness."""
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()
