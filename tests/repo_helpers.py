"""Small storage helpers for tests: what the bot does inline (the sweep marking a connection failing), and
read-outs of the reminder ledger that only tests need.

The bot has no function for these, so storage.repo does not carry them; tests build on the same columns.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.flows.problems import Problem, ProblemKind, explain_problem
from storage import repo
from storage.crypto import Crypto
from storage.models import Connection, ReminderLedger


def mark_failing(session: Session, connection: Connection, problem: Problem | str, now: datetime) -> None:
    """What the health check does when a check fails (``bot.flows.sweep.health._mark_failing``): status
    ``failing``, the problem kept (kind and params, redacted), a ``health_failing`` audit entry whose detail
    is the cause as a stored meaning. A ``str`` is a sentence as older versions stored it (``legacy``),
    kept as the audit detail too. Caller commits."""
    if isinstance(problem, str):
        problem, detail = Problem(ProblemKind.legacy, {"text": problem}), problem
    else:
        meaning = explain_problem(problem)
        detail = meaning[0].to_json() if meaning is not None else None
    connection.status = "failing"
    connection.last_problem_kind, connection.last_problem_params = problem.columns()
    connection.updated_at = now
    session.add(connection)
    repo.add_audit(session, team_id=connection.team_id, actor=repo.SYSTEM_ACTOR, action="health_failing",
                   connection=connection, detail=detail, now=now)


def reminders(session: Session, connection_id: int, generation: int | None = None) -> list[ReminderLedger]:
    """The ledger rows of a connection (of one secret generation, if given), oldest first."""
    stmt = select(ReminderLedger).where(ReminderLedger.connection_id == connection_id)
    if generation is not None:
        stmt = stmt.where(ReminderLedger.generation == generation)
    return list(session.exec(stmt.order_by(col(ReminderLedger.id))).all())


def seed_sellers(session: Session, crypto: Crypto, names: list[str], *, client_secret: str, refresh_token: str,
                 created_by: str, now: datetime) -> None:
    """One NA seller connection per name in team T1, all with the same secrets (seller ids A1SELLER0000…)."""
    for i, name in enumerate(names):
        repo.create_or_update_connection(
            session, crypto,
            repo.ConnectionValues(team_id="T1", name=name, account_type="seller", selling_partner_id=f"A1SELLER{i:04d}",
                                  region="NA", marketplace_id="ATVPDKIKX0DER",
                                  client_id="amzn1.application-oa2-client." + "a" * 32, client_secret=client_secret,
                                  refresh_token=refresh_token, secret_created_on=now.date(), store_name=None),
            created_by=created_by, now=now,
        )
    session.commit()
