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


# Secrets dimqa must use itself (a webhook's HMAC key) cannot be hashed: they are sealed with a key
# derived from the server key, so a database dump alone does not reveal them. Standard library
# only: HMAC-SHA256 as the pseudo-random function of a counter-mode keystream, then
# encrypt-then-MAC over nonce and ciphertext (both keys derived, never the server key itself).
_SEAL_PREFIX = "s1:"


def _seal_keys() -> tuple[bytes, bytes]:
    key = _server_key()
    return (
        hmac.new(key, b"dimqa seal: stream", hashlib.sha256).digest(),
        hmac.new(key, b"dimqa seal: tag", hashlib.sha256).digest(),
    )


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        for counter in range(blocks)
    )[:length]


def seal(plaintext: str) -> str:
    """An authenticated, encrypted form of `plaintext` for storage; `unseal` gives it back."""
    stream_key, tag_key = _seal_keys()
    nonce = secrets.token_bytes(16)
    data = plaintext.encode()
    cipher = bytes(a ^ b for a, b in zip(data, _keystream(stream_key, nonce, len(data)), strict=True))
    tag = hmac.new(tag_key, nonce + cipher, hashlib.sha256).digest()
    return _SEAL_PREFIX + (nonce + tag + cipher).hex()


class SealBroken(ValueError):
    """A sealed value that this server key did not seal (the key changed, or the row was edited)."""


def unseal(sealed: str) -> str:
    if not sealed.startswith(_SEAL_PREFIX):
        raise SealBroken("not a sealed value")
    try:
        raw = bytes.fromhex(sealed[len(_SEAL_PREFIX) :])
    except ValueError:
        raise SealBroken("not a sealed value") from None
    nonce, tag, cipher = raw[:16], raw[16:48], raw[48:]
    stream_key, tag_key = _seal_keys()
    if len(tag) != 32 or not hmac.compare_digest(
        tag, hmac.new(tag_key, nonce + cipher, hashlib.sha256).digest()
    ):
        raise SealBroken("sealed with another server key, or altered")
    return bytes(
        a ^ b for a, b in zip(cipher, _keystream(stream_key, nonce, len(cipher)), strict=True)
    ).decode()
