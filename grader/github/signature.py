"""X-Hub-Signature-256: an HMAC-SHA256 of the raw body, keyed with the webhook secret."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check. An empty secret verifies nothing: the service must be configured."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body), header)
