"""The listeners' work after the ack as jobs (``bot.jobs.slack_work``): the web tier only acks, queues and
(for a trigger_id) opens a modal; a worker does the rest, once, even when its job runs twice."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.i18n import t
from bot.jobs import JobContext, JobKind
from bot.jobs.slack_work import slack_work
from bot.jobs.worker import Worker
from storage import repo
from storage.models import JobState
from tests.catalog import says
from tests.fakes.slack_signing import (
    JSON,
    block_actions_body,
    block_actions_payload,
    event_callback_body,
    slash_command_body,
    view_submission_body,
)
from tests.harness import COMMAND, NOTIFY_CHANNEL, OWNER, BotHarness, initial_values, wait_until

TRIGGER_BOUND = {"views.open", "views.push"}
# Before a views.open the web tier may ask who the person is (their language, whether they are an admin).
MODAL_LOOKUP = TRIGGER_BOUND | {"users.info"}


def jobs(h: BotHarness) -> list[dict[str, Any]]:
    with h.db_session() as s:
        rows = s.execute(sa.text("SELECT id, kind, state, attempts, payload FROM jobs ORDER BY id")).all()
    return [{"id": r[0], "kind": r[1], "state": r[2], "attempts": r[3],
             "payload": r[4] if isinstance(r[4], dict) else json.loads(r[4])} for r in rows]


def work_names(h: BotHarness) -> list[str]:
    return [j["payload"].get("work", j["kind"]) for j in jobs(h)]


def seed(h: BotHarness, name: str = "Main US") -> int:
    cid, _creds = h.seed(name, created_on=h.services.clock().date() - timedelta(days=170))
    return cid


def run_twice(h: BotHarness, job_id: int) -> None:
    """A worker that dies after the work and before recording it: the job's handler runs a second time."""
    worker = Worker(h.services, h.outbox, kinds={JobKind.SLACK_WORK}, worker_id="crashing-worker")
    for run in range(2):  # the second claim comes after the first run's lease lapsed
        job = repo.claim_next(h.services.db, "crashing-worker", [JobKind.SLACK_WORK], timedelta(seconds=30),
                              h.services.clock() + timedelta(seconds=31 * run))
        assert job is not None and job.id == job_id
        ctx = JobContext(job=job, outbox=h.outbox, worker_id="crashing-worker", now=h.services.clock(),
                         _secrets=lambda job=job: worker._secrets(job))
        slack_work(h.services, ctx)


# ----------------------------------------------------------------------------- in process: the web tier


@pytest.fixture
def web(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path, serve=False, workers=0) as harness:  # WORKERS=0: nothing works the queue
        yield harness


def test_the_web_tier_makes_no_slack_call_but_trigger_bound_ones_for_every_listener(web: BotHarness) -> None:
    h = web
    cid = seed(h)
    triggers: list[str] = []

    def trigger() -> str:
        triggers.append(h.slack.new_trigger_id(user_id=OWNER))
        return triggers[-1]

    def command(text: str) -> Any:
        return h.dispatch(slash_command_body(COMMAND, text, OWNER, trigger_id=trigger(),
                                             response_url=h.slack.response_url()))

    def action(action_id: str, selected_options: list[dict[str, str]] | None = None, **kwargs: Any
               ) -> Callable[[], Any]:
        def send() -> Any:
            payload = block_actions_payload(action_id, OWNER, trigger_id=trigger(), **kwargs)
            if selected_options is not None:
                payload["actions"][0]["selected_options"] = selected_options
            return h.dispatch(block_actions_body(payload))
        return send

    command("help")  # Bolt's one auth.test happens on the first request
    wait_until(lambda: len(jobs(h)) == 1, 10, "the warm-up was not queued")

    view = {"id": "V0FAKE", "hash": "1.a", "private_metadata": "{}"}
    cases: list[tuple[str, Callable[[], Any], set[str], str | None]] = [
        # The ack's note is in the person's language: a person this process does not know yet costs one
        # users.info (cached); every other command's ack has no note, and costs nothing.
        ("start", lambda: command(""), {"users.info"}, "command"),
        ("start again", lambda: command(""), set(), "command"),
        ("status", lambda: command("status"), set(), "command"),
        ("audit", lambda: command("audit"), set(), "command"),
        ("language", lambda: command("language en"), set(), "command"),
        ("disconnect", lambda: command("disconnect Main US"), set(), "command"),
        ("unknown", lambda: command("bogus"), set(), "command"),
        ("rotate without a name", lambda: command("rotate"), set(), "command"),
        ("rotate a stranger's", lambda: command("rotate Nobody"), set(), "command"),
        ("rotate", lambda: command("rotate Main US"), MODAL_LOOKUP, None),
        ("reauthorize", lambda: command("reauthorize Main US"), MODAL_LOOKUP, None),
        ("path", action("checklist_path_seller", channel_id="D0DM"), set(), "checklist_path"),
        ("step", action("checklist_step", block_id="step_app", channel_id="D0DM",
                        selected_options=[{"value": "app"}]), set(), "checklist_step"),
        ("retry", action("retry_credentials", view=view), set(), "credentials_retry"),
        ("confirm", action("confirm_update", value="1", view=view), set(), "reconnect_confirm"),
        ("cancel", action("cancel_update", value="1", view=view), set(), "reconnect_cancel"),
        ("rotate now", action("rotate_now", value=str(cid), channel_id=NOTIFY_CHANNEL), MODAL_LOOKUP, None),
        ("re-authorize now", action("reauthorize_now", value=str(cid), channel_id=NOTIFY_CHANNEL),
         MODAL_LOOKUP, None),
        ("rotate now, unknown", action("rotate_now", value="999", channel_id=NOTIFY_CHANNEL), set(),
         "renew_refused"),
        ("disconnect confirm", action("disconnect_confirm", value=str(cid), channel_id="C0TEAM"), set(),
         "disconnect_confirm"),
        ("disconnect cancel", action("disconnect_cancel", value=str(cid), channel_id="C0TEAM"), set(),
         "disconnect_cancel"),
        ("open credentials", action("open_credentials", value="open", channel_id="D0DM"), MODAL_LOOKUP, None),
        ("home", lambda: h.dispatch(event_callback_body({"type": "app_home_opened", "user": OWNER, "tab": "home",
                                                         "channel": "D0HOME", "event_ts": f"{time.time():.6f}"}),
                                    JSON), set(), "home"),
        ("message", lambda: h.dispatch(event_callback_body({"type": "message", "channel": "C0TEAM", "user": OWNER,
                                                            "text": "hello", "ts": f"{time.time():.6f}"}), JSON),
         set(), "leak_guard"),
    ]
    for label, send, allowed, queued in cases:
        calls_before, jobs_before = len(h.slack.calls), len(jobs(h))
        ack = send()
        assert ack.status == 200, (label, ack.body)
        if queued is not None:
            wait_until(lambda jobs_before=jobs_before: len(jobs(h)) > jobs_before, 10, f"{label}: nothing queued")
            assert work_names(h)[-1] == queued, label
        time.sleep(0.3)  # anything the listener thread still does after the ack
        made = {c.method for c in h.slack.calls[calls_before:]}
        assert made <= allowed, (label, made)
        if queued is None:
            assert "views.open" in made and len(jobs(h)) == jobs_before, label  # the modal opened; nothing queued

    # The renew modal's submission: answered in the ack (response_action), verified in a worker; its new
    # secret is only in the job's encrypted secrets.
    opened = [c for c in h.slack.calls_for("views.open") if c.response.get("ok")]
    modal = next(c.response["view"] for c in opened if "client_secret" in json.dumps(c.response["view"]))
    secret = "amzn1.oa2-cs.v1." + "ab" * 32
    calls_before = len(h.slack.calls)
    ack = h.dispatch(view_submission_body(modal, {**initial_values(modal), "client_secret": secret}, OWNER,
                                          trigger_id=trigger()))
    assert ack.status == 200 and json.loads(ack.body)["response_action"] == "update"
    wait_until(lambda: work_names(h)[-1] == "renew_submit", 10, "the submission was not queued")
    time.sleep(0.3)
    assert {c.method for c in h.slack.calls[calls_before:]} == set()
    assert secret not in h.database_text() and secret not in json.dumps(jobs(h))

    # Then a worker does every queued piece of work, each once. The clicks on made-up messages and views
    # (D0DM, V0FAKE) end there: Slack refuses to update what does not exist, and trying again cannot help.
    h.start_workers(2)
    wait_until(lambda: all(j["state"] in ("done", "failed") for j in jobs(h)), 30, "the jobs were not all done")
    assert [j["attempts"] for j in jobs(h)] == [1] * len(jobs(h))
    failed = {j["payload"]["work"] for j in jobs(h) if j["state"] == "failed"}
    assert failed <= {"checklist_path", "checklist_step", "credentials_retry", "reconnect_confirm",
                      "reconnect_cancel"}, failed
    told = [c for c in h.slack.calls_for("chat.postMessage") if says(c.params, "general.listener_failed")]
    assert len(told) == len(failed) and all(c.params["channel"] == h.dm_channel() for c in told)


def test_a_command_job_that_runs_twice_sends_one_dm_and_one_answer(web: BotHarness) -> None:
    h = web

    def command(text: str) -> int:
        before = len(jobs(h))
        h.dispatch(slash_command_body(COMMAND, text, OWNER, trigger_id=h.slack.new_trigger_id(user_id=OWNER),
                                      response_url=h.slack.response_url()))
        wait_until(lambda: len(jobs(h)) > before, 10, "nothing queued")
        return int(jobs(h)[-1]["id"])

    run_twice(h, command("start"))
    dms = [m for m in h.dm_messages() if t("onboarding.checklist.title") in json.dumps(m, ensure_ascii=False)]
    assert len(dms) == 1
    assert len(h.slack.calls_for("chat.postMessage")) == 1

    answers = len(h.slack.calls_for("response_url"))
    run_twice(h, command("status"))
    assert len(h.slack.calls_for("response_url")) == answers + 1


def test_a_disconnect_click_that_runs_twice_posts_once_and_answers_once(web: BotHarness) -> None:
    h = web
    cid = seed(h)
    payload = block_actions_payload("disconnect_confirm", OWNER, value=str(cid), channel_id="C0TEAM",
                                    trigger_id=h.slack.new_trigger_id(user_id=OWNER),
                                    response_url=h.slack.response_url())
    h.dispatch(block_actions_body(payload))
    job_id = wait_until(lambda: jobs(h) and jobs(h)[-1]["id"], 10, "nothing queued")
    run_twice(h, job_id)
    assert h.connection(cid).status == "disconnected"
    posts = [p for p in h.channel_posts() if says(p, "lifecycle.announce.disconnected", name="Main US")]
    assert len(posts) == 1
    answers = [c for c in h.slack.calls_for("response_url") if says(c.params, "lifecycle.disconnect.done",
                                                                     name="Main US")]
    assert len(answers) == 1 and len(h.slack.calls_for("response_url")) == 1


def test_a_click_queued_twice_by_slack_is_one_job(web: BotHarness) -> None:
    payload = block_actions_payload("checklist_path_seller", OWNER, channel_id="D0DM",
                                    trigger_id=web.slack.new_trigger_id(user_id=OWNER))
    for _ in range(2):  # the same click (same action_ts) delivered twice
        web.dispatch(block_actions_body(payload))
    wait_until(lambda: jobs(web), 10, "nothing queued")
    time.sleep(0.3)
    assert work_names(web) == ["checklist_path"]


# ----------------------------------------------------------------------------- over HTTP, a separate worker


def test_with_no_workers_a_command_and_a_click_wait_and_a_separate_worker_does_each_once(tmp_path: Path) -> None:
    with BotHarness(tmp_path, workers=0, env={"WORKERS": "0"}) as h:
        cid = seed(h, "Kept Store")
        assert h.command("").status_code == 200  # /connect-amazon: the checklist DM
        wait_until(lambda: len(jobs(h)) == 1, 10, "the command was not queued")
        click = h.action("disconnect_cancel", OWNER, value=str(cid), channel_id="C0TEAM",
                         response_url=h.slack.response_url())
        assert click.status_code == 200
        wait_until(lambda: len(jobs(h)) == 2, 10, "the click was not queued")
        time.sleep(0.5)
        assert [j["state"] for j in jobs(h)] == ["queued", "queued"]
        assert h.slack.calls_for("chat.postMessage") == [] and h.slack.calls_for("response_url") == []
        assert "response_url" not in json.dumps(jobs(h))  # Slack's body travels only in the encrypted secrets

        worker = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=h.subprocess_env(),
                                  cwd=h.tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_until(lambda: all(j["state"] != "queued" and j["state"] != "running" for j in jobs(h)), 60,
                       "the worker did not do the jobs")
            worker.terminate()
            out, _ = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == 0, out
        assert [(j["state"], j["attempts"]) for j in jobs(h)] == [("done", 1), ("done", 1)], out
        dms = h.slack.calls_for("chat.postMessage")
        assert len(dms) == 1 and t("onboarding.checklist.title") in dms[0].raw_body
        answers = h.slack.calls_for("response_url")  # the command's note (its ack went bare), the click's answer
        assert len(answers) == 2 and {a.params["text"] for a in answers} >= {t("onboarding.start.ack")}
        assert sum(says(a.params, "lifecycle.disconnect.kept", name="Kept Store") for a in answers) == 1
        assert h.connection(cid).status == "connected"
        assert repo.get_job(h.services.db, jobs(h)[0]["id"]).state == JobState.DONE  # type: ignore[union-attr]


def test_work_whose_request_expired_in_the_queue_tells_the_person_it_was_not_done(web: BotHarness) -> None:
    h = web
    h.dispatch(slash_command_body(COMMAND, "status", OWNER, trigger_id=h.slack.new_trigger_id(user_id=OWNER),
                                  response_url=h.slack.response_url()))
    job_id = wait_until(lambda: jobs(h) and jobs(h)[-1]["id"], 10, "nothing queued")
    # No worker ran for over 15 minutes: the purge erased Slack's request with the job's secrets.
    assert repo.purge_job_secrets(h.services.db, h.services.clock() + timedelta(minutes=16)) == 1
    h.start_workers(1)
    wait_until(lambda: jobs(h)[-1]["state"] == "failed", 10, "the job did not end")
    assert h.slack.calls_for("response_url") == []  # nothing half-done
    told = h.wait_dm(lambda m: says(m, "general.job_failed"))
    assert told and repo.get_job(h.services.db, job_id).state == JobState.FAILED  # type: ignore[union-attr]
