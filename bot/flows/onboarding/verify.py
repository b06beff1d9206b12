"""Verification with Amazon after the Slack ack: a failure, a save, or a reconnect that waits for the
user's confirmation."""

from __future__ import annotations

import logging

from bot.amazon.client import Credentials
from bot.amazon.verdicts import Verdict, explain
from bot.flows.onboarding.form import FormCheck
from bot.flows.onboarding.pending import store_pending
from bot.flows.onboarding.save import ResolveActor, replace_refusal, save_connection
from bot.flows.onboarding.submission import OutcomeKind, Submission, SubmissionOutcome
from bot.flows.ports import Outbox
from bot.flows.summary import ConnectionSummary
from bot.services import Services
from storage import repo

log = logging.getLogger(__name__)


def _failed(verdict: Verdict, form: FormCheck) -> SubmissionOutcome:
    cause, step = explain(verdict)
    return SubmissionOutcome(
        kind=OutcomeKind.FAILED, verdict_kind=verdict.kind.value, prefill=form.prefill(),
        cause=cause, next_step=step,
    )


def verify_and_save(
    services: Services, outbox: Outbox, sub: Submission, resolve: ResolveActor | None = None
) -> SubmissionOutcome:
    """Verify with Amazon (after the Slack ack), then save and announce, or ask to confirm a reconnect.

    A reconnect (the same seller or vendor and region is connected already) is offered only to someone who
    may replace that connection's credentials (``replace_refusal``); anyone else is told so and nothing is
    kept. ``resolve`` looks up the person's admin flags, only on that path."""
    form = sub.form
    verdict = services.amazon.verify(Credentials.from_fields(form.values))
    now = services.clock()
    log.info("verification for team %s by %s: %s", sub.team_id, sub.user_id, verdict.kind.value)
    if not verdict.ok:
        return _failed(verdict, form)
    region = form.region
    assert region is not None and form.secret_created_on is not None
    notes = tuple(form.notes.values())
    with services.db.session(write=True) as session:
        existing = repo.find_connection_by_partner(session, sub.team_id, form.values["selling_partner_id"], region)
        existing_summary = ConnectionSummary.of(existing) if existing is not None else None
        if existing_summary is not None:
            session.rollback()  # hold no transaction while Slack answers users.info
            refusal = replace_refusal(services, existing_summary, sub.user_id, resolve)
            if refusal is not None:
                log.info("reconnect of connection %s by %s refused: not its owner or an admin",
                         existing_summary.id, sub.user_id)
                return SubmissionOutcome(kind=OutcomeKind.REFUSED, cause=refusal)
            pending_id = store_pending(
                session, services.crypto, sub, verdict.store_name, existing_summary.id, now
            )
            return SubmissionOutcome(
                kind=OutcomeKind.CONFIRM,
                existing=existing_summary,
                pending_id=pending_id,
                prefill=form.prefill(),
                notes=notes,
            )
    return save_connection(
        services,
        outbox,
        team_id=sub.team_id,
        user_id=sub.user_id,
        values=form.values,
        client_secret=form.values["client_secret"],
        refresh_token=form.values["refresh_token"],
        secret_created_on=form.secret_created_on,
        store_name=verdict.store_name,
        existing_id=None,
        now=now,
        notes=notes,
    )
