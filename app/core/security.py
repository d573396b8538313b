"""API tokens: random secrets shown once, stored as HMAC-SHA256 with a server key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path

from app.core.config import get_settings

TOKEN_PREFIX = "dq_"


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@lru_cache
def _server_key() -> bytes:
    settings = get_settings()
    if settings.secret_key:
        return settings.secret_key.encode()
    key_file = Path(settings.var_dir) / "secret.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip().encode()


def hash_token(token: str) -> str:
    """Deterministic keyed hash, so a token is found by an indexed lookup on its hash.

    A keyed HMAC (not a plain hash) means a stolen database alone cannot be used to test guesses;
    tokens carry 256 bits of entropy, so a slow hash would add nothing but latency per request.
    """
    return hmac.new(_server_key(), token.encode(), hashlib.sha256).hexdigest()


def hashes_match(stored: str, candidate: str) -> bool:
    return hmac.compare_digest(stored.encode(), candidate.encode())
