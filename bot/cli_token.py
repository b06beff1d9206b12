"""``python -m bot token NAME [--team T…]``: print a fresh Login with Amazon access token for a connection and
nothing else (for scripts on the bot's own host: ``TOKEN=$(python -m bot token "Main US")``).

It reads the connection from the bot's database with the bot's keys (the same settings as ``run``) and makes
one exchange; the refresh token and client secret never leave the process. Exit 0 with the token on stdout;
exit 1 with one sentence on stderr when there is no such connection (or several, in different workspaces:
``--team`` picks one), it is disconnected or failing, or Amazon refuses or does not answer.
"""

from __future__ import annotations

import sys

from bot.amazon.client import Credentials
from bot.amazon.verdicts import REFUSED, Verdict, explain
from bot.flows.problems import Problem, explain_problem
from bot.i18n import Message, Strong
from bot.redaction import redact
from bot.services import build_services
from bot.settings import Settings
from bot.views.blocks import Words
from storage import repo
from storage.crypto import DecryptionError
from storage.repo import tool_keys as keys_repo


def print_token(settings: Settings, name: str, team_id: str | None) -> int:
    words = Words("en")

    def fail(message: Message) -> int:
        print(redact(words.text(message)), file=sys.stderr)
        return 1

    services = build_services(settings)
    try:
        shown = Strong(redact(name[:80]))
        with services.db.session() as session:
            found = keys_repo.connections_named(session, name, team_id)
            if not found:
                return fail(Message("guard.keys.cli.not_found", name=shown))
            if len(found) > 1:
                return fail(Message("guard.keys.cli.ambiguous", name=shown))
            conn = found[0]
            label = Strong(redact(conn.name))
            if conn.status == "disconnected" or conn.client_secret_enc is None or conn.refresh_token_enc is None:
                return fail(Message("guard.api.disconnected", name=label))
            if conn.status == "failing":
                problem = Problem.stored(conn.last_problem_kind, conn.last_problem_params)
                explained = explain_problem(problem) if problem is not None else None
                if explained is not None:
                    return fail(Message("guard.api.failing", name=label, cause=explained[0], next=explained[1]))
            try:
                secrets = repo.load_secrets(session, services.crypto, conn)
            except DecryptionError:
                return fail(Message("guard.api.unreadable", name=label))
            creds = Credentials(account_type=conn.account_type, selling_partner_id=conn.selling_partner_id,
                                client_id=conn.client_id, client_secret=secrets.client_secret,
                                refresh_token=secrets.refresh_token, marketplace_id=conn.marketplace_id)
        got = services.amazon.access_token(creds)
        if isinstance(got, Verdict):
            cause, step = explain(got)
            if got.kind in REFUSED:
                return fail(Message("guard.api.refused", name=label, cause=cause, next=step))
            return fail(Message("guard.api.amazon_unavailable", cause=cause))
        print(got[0])
        return 0
    finally:
        services.close()
