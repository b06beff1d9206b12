"""The credential submission's verification, as a job (``verify_submission``).

The web tier (``bot.listeners.onboarding``) checks the form, answers Slack with the "verifying" view
(``response_action: update``) and queues one job per submission (``enqueue_verification``; dedupe key:
the view id and hash), the two secrets in the job's encrypted ``secret_blob`` (never in its payload). A
worker then runs ``verify_submission``: the double-submit claim, verification with Amazon, the encrypted
save and the announcement (``bot.flows.onboarding``), and shows the outcome in the person's modal
(``views.update`` by view id) or, when the modal is gone, in a DM, in the person's language.

Idempotent: a job that runs twice (its worker died) claims the submission again; the claim's view row
holds the outcome once one was reached, so the second run shows that outcome instead of verifying
again, and a claim whose holder died is taken over (``bot.flows.onboarding.claims``). The DM fallback is
claimed (``result-dm:<view>``) before it is sent: one DM.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from slack_sdk.errors import SlackApiError

from bot.flows import onboarding as flow
from bot.flows.onboarding.claims import lease_clock
from bot.flows.ports import Audience, Notice, Outbox, Payload
from bot.i18n import DEFAULT_LOCALE, Message, supported
from bot.jobs import EXHAUSTED, JobContext, JobKind, JobProblem, Outcome, done, enqueue_job, handler, slack_client
from bot.services import Services
from bot.slack_errors import slack_error
from storage import repo

if TYPE_CHECKING:
    from bot.listeners.context import Actor

log = logging.getLogger(__name__)

# How long a duplicate submission waits for a first one whose worker is alive (it renews its lease) but
# has not finished: longer than a verification can take (the Amazon client's 30 s deadline plus the save).
# A first one whose worker died is noticed within flow.LEASE instead.
FOLLOW_TIMEOUT = 90.0
FOLLOW_POLL = 0.25
LEASE = timedelta(seconds=15)  # the job's lease; a dead worker's verification resumes this soon after
MAX_ATTEMPTS = 3
VIEW_GONE = {"not_found", "view_not_found", "expired_trigger_id"}


@dataclass(frozen=True)
class SubmissionResult(Payload):
    """A DM with what became of a submission whose modal was closed before the outcome was known."""

    KIND: ClassVar[str] = "submission_result"
    outcome: flow.SubmissionOutcome


def unexpected(prefill: flow.Prefill) -> flow.SubmissionOutcome:
    """Our own error: nothing was saved, and Amazon's answer (if any) is not what the user is told."""
    return flow.SubmissionOutcome(kind=flow.OutcomeKind.FAILED, verdict_kind="unexpected",
                                  cause=Message("general.unexpected_error"),
                                  next_step=Message("onboarding.result.unexpected_step"), prefill=prefill)


def interrupted(prefill: flow.Prefill) -> flow.SubmissionOutcome:
    """The check this submission waited for did not finish in time: nothing was saved, Amazon said nothing."""
    return flow.SubmissionOutcome(kind=flow.OutcomeKind.FAILED, verdict_kind="interrupted",
                                  cause=Message("onboarding.result.stuck_cause"),
                                  next_step=Message("onboarding.result.interrupted_step"), prefill=prefill)


def enqueue_verification(services: Services, *, team_id: str, user_id: str, view_id: str, view_hash: str,
                         raw: Mapping[str, str | None], today: date, locale: str) -> int:
    """Queue the verification of one submission (committed: a worker wakes at once). The same view
    submitted twice (same id and hash) is one job."""
    payload = {
        "user_id": user_id, "team_id": team_id, "view_id": view_id, "view_hash": view_hash, "locale": locale,
        "today": today.isoformat(), "submitted_at": lease_clock().isoformat(),
        "form": {k: v for k, v in raw.items() if k not in flow.SECRET_FIELDS},
    }
    secrets = {k: v for k in flow.SECRET_FIELDS if (v := raw.get(k))}
    job_id, created = services.db.write_together(
        lambda session: enqueue_job(session, services, JobKind.VERIFY_SUBMISSION, payload,
                                    dedupe_key=f"verify:{view_id}:{view_hash}", secrets=secrets))
    if not created:
        log.info("submission of view %s is already queued as job %s", view_id, job_id)
    return job_id


def _words_of(job: JobContext) -> Any:
    from bot.views.blocks import Words

    locale = job.payload.get("locale")
    return Words(supported(locale) if isinstance(locale, str) else DEFAULT_LOCALE)


def _prefill(job: JobContext) -> flow.Prefill:
    form = job.payload.get("form")
    raw = form if isinstance(form, dict) else {}
    return flow.check_form(raw, _today(job)).prefill(raw)


def _submitted_at(job: JobContext) -> datetime | None:
    try:
        return datetime.fromisoformat(str(job.payload["submitted_at"]))
    except (KeyError, ValueError):
        return None  # queued before this was recorded


def _today(job: JobContext) -> date:
    try:
        return date.fromisoformat(str(job.payload.get("today")))
    except ValueError:
        return date.today()


def show(services: Services, job: JobContext, outcome: flow.SubmissionOutcome) -> None:
    """The outcome in the person's modal; a DM (once) when the modal is gone. Other Slack failures raise
    (the job is retried, and shows the recorded outcome then)."""
    from bot.views.credentials import outcome_view

    view_id = str(job.payload.get("view_id") or "")
    words = _words_of(job)
    if view_id:
        try:
            slack_client(job, services).views_update(view_id=view_id, view=outcome_view(words, outcome))
            return
        except SlackApiError as exc:
            if slack_error(exc) not in VIEW_GONE:
                raise
            log.info("job %s: the modal %s is gone (%s); telling the person in a DM", job.id, view_id,
                     slack_error(exc))
    user_id = job.user_id
    if not user_id:
        return
    key = f"result-dm:{view_id}:{job.payload.get('view_hash', '')}"
    with services.db.session(write=True) as session:
        if not repo.claim_idempotency_key(session, key, services.clock()):
            return  # told already (this job ran before)
    try:
        job.outbox.send(Notice.of(Audience.DM, SubmissionResult(outcome=outcome), user_id=user_id))
    except Exception:
        with services.db.session(write=True) as session:  # not sent: the retry may send it
            repo.release_idempotency_key(session, key)
            session.commit()
        raise


def tell(services: Services, job: JobContext, message: Message) -> None:
    """A verification that stopped for good (given up, or out of tries): the modal says so, else a DM."""
    outcome = flow.SubmissionOutcome(kind=flow.OutcomeKind.FAILED, verdict_kind="job_failed", cause=message,
                                     next_step=Message("onboarding.result.interrupted_step"), prefill=_prefill(job))
    try:
        show(services, job, outcome)
    except Exception as exc:  # noqa: BLE001 - the plain DM below still tells them
        log.warning("job %s: could not show that it stopped (%s)", job.id, type(exc).__name__)
        if job.user_id:
            job.outbox.send(Notice.of(Audience.DM, JobProblem(message=message), user_id=job.user_id))


@handler(JobKind.VERIFY_SUBMISSION, max_attempts=MAX_ATTEMPTS, lease=LEASE, exhausted=EXHAUSTED, tell=tell)
def verify_submission(services: Services, job: JobContext) -> Outcome:
    from bot.listeners.context import Actor

    p = job.payload
    team_id, user_id = str(p.get("team_id") or ""), str(p.get("user_id") or "")
    prefill = _prefill(job)
    secrets = job.secrets()
    if secrets is None:  # past its 15 minutes (or erased): nothing can be checked any more
        log.warning("job %s: the submission's secrets are gone; the person submits again", job.id)
        show(services, job, interrupted(prefill))
        return done()
    form_values = p.get("form")
    raw = {**(form_values if isinstance(form_values, dict) else {}), **secrets}
    form = flow.check_form(raw, _today(job))
    if not form.ok:  # the web tier checked it; a changed rule since then
        show(services, job, unexpected(prefill))
        return done()
    sub = flow.Submission(team_id=team_id, user_id=user_id, view_id=str(p.get("view_id") or ""),
                          view_hash=str(p.get("view_hash") or ""), form=form, submitted_at=_submitted_at(job))
    actor = Actor(user_id=user_id, team_id=team_id, client=slack_client(job, services),
                  admin_user_ids=services.settings.admin_user_ids, locale=str(p.get("locale") or DEFAULT_LOCALE))
    try:
        outcome = settle(services, job.outbox, sub, actor)
    except Exception:
        log.exception("saving a connection for team %s failed", team_id)
        outcome = unexpected(prefill)
    show(services, job, outcome)
    return done()


def settle(services: Services, outbox: Outbox, sub: flow.Submission, actor: Actor) -> flow.SubmissionOutcome:
    """Do the work (verify, save, announce) or, for a duplicate, wait for the outcome of the request it
    duplicates, taking its claim over if that request's worker died."""
    prefill = sub.form.prefill()
    claim = flow.claim_submission(services.db, services.crypto, sub, services.clock())
    deadline = time.monotonic() + FOLLOW_TIMEOUT
    while not claim.first:
        if time.monotonic() >= deadline:
            return interrupted(prefill)
        with flow.LeaseKeeper(services.db, claim) as keeper:  # keeps this request's own view row held
            outcome = follow(services, claim.follow_key, deadline, prefill)
            claim = keeper.claim
        if outcome is not None:
            if claim.markers:  # a duplicate of this modal shows the same outcome
                try:
                    flow.finish_claim(services.db, claim, outcome)
                except Exception:
                    log.exception("recording a submission's outcome failed")
            return outcome
        # The request it followed died: claim again (taking its lapsed claim over) and do the work.
        if claim.follow_key is None:
            time.sleep(FOLLOW_POLL)  # the claim changed hands a moment ago: look again shortly
        claim = flow.claim_submission(services.db, services.crypto, sub, services.clock(), owner=claim.owner)
    with flow.LeaseKeeper(services.db, claim) as keeper:
        try:
            if not actor.may_connect(services.settings.connect_allowed):
                outcome = flow.SubmissionOutcome(kind=flow.OutcomeKind.REFUSED, cause=Message("onboarding.refused"))
            else:
                outcome = flow.verify_and_save(services, outbox, sub, actor.lookup)
        except Exception:
            log.exception("saving a connection for team %s failed", sub.team_id)
            outcome = unexpected(prefill)
    try:
        flow.finish_claim(services.db, keeper.claim, outcome)
    except Exception:  # the outcome is real: show it; the claim's lease lapses on its own
        log.exception("recording a submission's outcome failed")
    return outcome


def follow(services: Services, key: str | None, deadline: float, prefill: flow.Prefill
           ) -> flow.SubmissionOutcome | None:
    """Wait for the outcome of the submission this one duplicates. None when nobody is working on it any
    more (its worker died: the lease lapsed), so the caller takes over. If a live holder never finishes,
    the outcome says so truthfully: the check did not finish and nothing was saved."""
    while time.monotonic() < deadline:
        state = flow.follow_state(services.db, key) if key else flow.Followed()
        if state.outcome is not None:
            return state.outcome
        if not state.alive:
            return None
        time.sleep(FOLLOW_POLL)
    return interrupted(prefill)
