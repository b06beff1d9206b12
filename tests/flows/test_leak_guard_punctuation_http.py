"""A secret followed by punctuation is still recognised as that secret (issue 11, item 11).

"my refresh token is Atzr|….", with the full stop, used to warn the poster but not flag the
connection: the token pattern swallowed the trailing "." (and "~"), so the keyed fingerprint of what
it found matched nothing stored. Over real HTTP (signed Events API callbacks into the running bot):
each trailing punctuation mark still flags the stored connection, and redaction still masks.
"""

from __future__ import annotations

import pytest

from bot.redaction import redact
from storage import repo
from storage.models import exposed_kinds
from tests.flows.test_leak_guard_http import assert_never_repeated, h, message, processed, send, stored_connection
from tests.harness import wait_until

__all__ = ["h"]  # the module-scoped harness fixture, shared with the leak guard's HTTP tests

TRAILING = [".", "~", ",", ")", "...", ").", "!", "?", ";", ":", "'", '"', "…"]


def _name(prefix: str, after: str) -> str:
    """A connection name per mark; numbered, since "…" and "..." are one name to the look-alike check."""
    return f"{prefix} {TRAILING.index(after) if after in TRAILING else after!r}"


def _exposed(h, cid: int) -> bool:  # noqa: ANN001
    with h.db_session() as s:
        conn = repo.get_connection_by_id(s, cid)
        return conn is not None and bool(exposed_kinds(conn)) and conn.status != "disconnected"


@pytest.mark.parametrize("after", TRAILING)
def test_refresh_token_followed_by_punctuation_flags_the_connection(h, after: str) -> None:  # noqa: ANN001
    cid, creds = stored_connection(h, _name("Punct RT", after))
    event_id = send(h, message(f"my refresh token is {creds.refresh_token}{after}", user="U0OWNER"))
    line = processed(h, event_id)
    assert "found=refresh_token" in line
    wait_until(lambda: _exposed(h, cid), 10, f"the connection was not flagged exposed for {after!r}")
    assert_never_repeated(h, creds.refresh_token)


@pytest.mark.parametrize("after", [".", "~", ",", ")"])
def test_client_secret_followed_by_punctuation_flags_the_connection(h, after: str) -> None:  # noqa: ANN001
    cid, creds = stored_connection(h, _name("Punct CS", after))
    event_id = send(h, message(f"(the secret: {creds.client_secret}{after}", user="U0OWNER"))
    assert "found=client_secret" in processed(h, event_id)
    wait_until(lambda: _exposed(h, cid), 10, f"the connection was not flagged exposed for {after!r}")
    assert_never_repeated(h, creds.client_secret)


@pytest.mark.parametrize("after", TRAILING)
def test_redaction_still_masks_a_secret_followed_by_punctuation(h, after: str) -> None:  # noqa: ANN001
    _cid, creds = stored_connection(h, _name("Punct mask", after))
    for secret in (creds.refresh_token, creds.client_secret):
        masked = redact(f"my token is {secret}{after} bye")
        assert secret not in masked and secret[8:-4] not in masked
        assert masked.endswith(" bye")
