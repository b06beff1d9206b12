"""The one redaction function: masks anything shaped like an Amazon or Slack secret, or a URL's password.

Used by the logging filter, by every exception text shown to a user and by the repr of every
object that holds a secret. Pure: no imports from the rest of the project.
"""

from __future__ import annotations

import re

ELLIPSIS = "\u2026"

# Order matters: the longest, most specific shapes first.
_PATTERNS: list[re.Pattern[str]] = [
    # LWA client secret, current shape and the bare 64-hex legacy shape.
    re.compile(r"amzn1\.oa2-cs\.v1\.[0-9A-Za-z]{8,}"),
    # LWA refresh token and access token, also URL-encoded (``|`` as ``%7C``, e.g. in a logged form body).
    re.compile(r"Atz[ra]\|[A-Za-z0-9_\-+/=|.%~]{8,}"),
    re.compile(r"Atz[ra]%7[Cc][A-Za-z0-9_\-+/=|.%~]{8,}"),
    # Slack tokens: bot/user/config/refresh (xox?-), app-level (xapp-), and signing-like xoxe.
    re.compile(r"xox[abposer]-[A-Za-z0-9\-]{6,}"),
    re.compile(r"xapp-[A-Za-z0-9\-]{6,}"),
    # The bot's own tool keys (``amzc_`` and 43 URL-safe characters; storage.repo.tool_keys). The 8-character
    # recognition prefix ``keys list`` shows is too short to match.
    re.compile(r"amzc_[A-Za-z0-9_\-]{16,}"),
    # A bare 64-hex string (legacy client secrets, raw keys).
    re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])"),
]


# A password in a URL (``postgresql://user:PASSWORD@host/db``, greedy up to the last ``@`` before any query,
# so an unencoded ``@`` or ``/`` in the password is covered too) and in a libpq query parameter
# (``?password=...``). ``http://host:8080/path?to=a@b`` is left alone: no ``@`` before the query.
_URL_PASSWORD = re.compile(r"(://[^\s:/@?#]*):[^\s?#]*@")
_QUERY_PASSWORD = re.compile(r"([?&](?:password|passwd|sslpassword)=)[^&\s]*", re.IGNORECASE)
HIDDEN = "***"


def hide_password(url: str) -> str:
    """``url`` with any password in it replaced by ``***`` (user, host, port and database stay readable)."""
    url = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{HIDDEN}@", url)
    return _QUERY_PASSWORD.sub(lambda m: m.group(1) + HIDDEN, url)


def mask(secret: str | None, keep: int = 4) -> str:
    """Show a secret as its recognisable prefix, an ellipsis and its last ``keep`` characters.

    ``Atzr|IwEB...9f2c`` becomes ``Atzr|…9f2c``; anything too short to mask safely becomes ``…``.
    """
    if not secret:
        return ""
    prefix = ""
    for known in ("amzn1.oa2-cs.v1.", "Atzr|", "Atza|", "xoxb-", "xoxp-", "xapp-", "xoxe-", "xoxa-", "amzc_"):
        if secret.startswith(known):
            prefix = known
            break
    rest = secret[len(prefix):]
    if len(rest) < keep * 3:
        return f"{prefix}{ELLIPSIS}"
    return f"{prefix}{ELLIPSIS}{rest[-keep:]}"


# The new secret in an Application Management notification (APPLICATION_OAUTH_CLIENT_NEW_SECRET), whatever its
# shape: the JSON member's value, also inside an escaped JSON string (an SQS body quoted in an error text).
_NEW_SECRET_MEMBER = re.compile(r'(newClientSecret\\?"\s*:\s*\\?")([^"\\]+)')


def redact(text: object) -> str:
    """Return ``text`` with every secret-shaped run replaced by its mask."""
    s = hide_password(text if isinstance(text, str) else str(text))
    s = _NEW_SECRET_MEMBER.sub(lambda m: m.group(1) + mask(m.group(2)), s)
    for pattern in _PATTERNS:
        s = pattern.sub(lambda m: mask(m.group(0)), s)
    return s


def contains_secret_shape(text: str) -> bool:
    return (any(p.search(text) for p in _PATTERNS) or hide_password(text) != text
            or _NEW_SECRET_MEMBER.search(text) is not None)
