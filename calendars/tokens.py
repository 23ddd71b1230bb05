"""Secret tokens in feed URLs (/feeds/<token>.ics).

Calendar clients cannot log in, so the URL itself is the credential. Only a hash is
stored: a leaked database dump does not leak working feed URLs. A plain SHA-256 is
enough (no salt, no slow KDF) because the token is 192 random bits, not a password,
and the hash is what the database looks the feed up by.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 24  # 192 bits; 32 URL-safe characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 of the token as 64 hex characters: what is stored and indexed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    # Constant time, so response timing does not reveal how much of a guess was right.
    # Bytes, not str: compare_digest refuses non-ASCII str, and a stored value is not trusted input.
    return hmac.compare_digest(hash_token(token).encode("ascii"), stored_hash.lower().encode("utf-8"))
