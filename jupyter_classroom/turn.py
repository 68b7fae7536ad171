"""Time-limited TURN credentials from a shared secret.

This is the "TURN REST API" scheme that coturn implements with
``use-auth-secret`` / ``static-auth-secret``: the username is
``<expiry unix time>:<user>`` and the password is the base64 HMAC-SHA1 of the
username keyed with the shared secret. The TURN server checks both without
talking to us, and the credentials stop working at the expiry time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def turn_credentials(secret: str, user: str, now: float, ttl: float) -> tuple[str, str]:
    """Return ``(username, password)`` valid until ``now + ttl``."""
    if not secret:
        raise ValueError("a TURN shared secret is required")
    # coturn splits the username at the first colon: the user part must not
    # smuggle in another expiry.
    safe_user = user.replace(":", "_")
    username = f"{int(now + ttl)}:{safe_user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def verify_turn_credentials(secret: str, username: str, password: str, now: float) -> bool:
    """What the TURN server does: check the HMAC and that the expiry is ahead."""
    expiry, _, _ = username.partition(":")
    try:
        if int(expiry) < now:
            return False
    except ValueError:
        return False
    expected = base64.b64encode(
        hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    ).decode("ascii")
    return hmac.compare_digest(expected, password)
