from __future__ import annotations

import re

from calendars.tokens import hash_token, new_token, token_matches


def test_new_tokens_are_long_url_safe_and_unique():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", token)  # >= 192 bits, safe in a URL path


def test_hash_is_sha256_hex_and_not_the_token():
    token = new_token()
    stored = hash_token(token)
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert token not in stored
    assert hash_token(token) == stored


def test_token_matches_only_its_own_hash():
    token = new_token()
    stored = hash_token(token)
    assert token_matches(token, stored)
    assert token_matches(token, stored.upper())
    assert not token_matches(new_token(), stored)
    assert not token_matches(token, "")
    assert not token_matches(token, "æ" * 64)  # a corrupt stored value is a mismatch, not a crash
