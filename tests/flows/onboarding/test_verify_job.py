"""Issue 14: the credential submission's verification is a job a worker does.

- the web tier acks with "verifying" and queues one job, the secrets only in the job's encrypted blob;
- WORKERS=0: the job waits, and a worker started later does it and updates the modal;
- a modal closed meanwhile: the result comes as a DM (once);
- a job that keeps failing stops after its tries and the person is told; the work it did stays done once;
- crash resume: every bot process SIGKILLed mid-verification, ``run`` started again, the same modal shows
  the result without the user submitting again (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.i18n import t
from bot.jobs import JobKind
from storage.models import Connection, Job, JobState
from tests.catalog import says
from tests.fakes.fake_amazon import make_credentials
from tests.flows.onboarding.test_crash_safety import SP_API_PATH, TEAM, USER, BotProcess, state_of, submit_in_process
from tests.harness import BotHarness, wait_until


def verify_jobs(h: BotHarness) -> list[Job]:
    with h.db_session() as s:
        return list(s.exec(select(Job).where(Job.kind == JobKind.VERIFY_SUBMISSION.value)))


def connected(view: dict[str, object]) -> bool:
    return says(view, "onboarding.result.connected")


def open_and_submit(h: BotHarness, name: str, user: str = USER) -> tuple[dict[str, object], object]:
    creds = h.amazon.register(make_credentials(), store_name=f"{name} store")
    if not h._workers:  # the checklist DM is a listener's job too; verifications still wait for a worker
        h.start_workers(1, kinds=[JobKind.SLACK_WORK])
    h.command("", user=user)
    h.wait_dm(user=user)
    view = h.open_credentials(user)
    response = h.submit(view, h.form_values(creds, name), user)
    assert response.status_code == 200
    return view, creds


@pytest.fixture
def queued(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path, env={"WORKERS": "0"}) as harness:
        yield harness


def test_with_no_worker_the_job_waits_and_a_later_worker_does_it(queued: BotHarness) -> None:
    h = queued
    view, creds = open_and_submit(h, "Waiting Store")
    answer = h.view(str(view["id"]))
    assert says(answer, "onboarding.verifying.text")  # the ack's view, at once
    time.sleep(1.0)
    assert h.amazon.calls(SP_API_PATH) == 0  # nobody verified it
    jobs = verify_jobs(h)
    assert [j.state for j in jobs] == [JobState.QUEUED.value]
    job = jobs[0]
    # The secrets travel only encrypted: not in the payload, not in the blob's bytes.
    assert job.secret_blob is not None
    for secret in (creds.client_secret, creds.refresh_token):
        assert secret not in job.payload and secret.encode() not in job.secret_blob
    assert json.loads(job.payload)["view_id"] == view["id"]

    h.start_workers(1)
    final = h.wait_view(str(view["id"]), connected, 20)
    assert says(final, "onboarding.result.connected", name="Waiting Store")
    assert state_of(h, "Waiting Store") == "complete"
    wait_until(lambda: [j.state for j in verify_jobs(h)] == [JobState.DONE.value], 10, "the job never ended")
    with h.db_session() as s:
        assert s.get(Job, job.id).secret_blob is None  # type: ignore[union-attr] # erased when it ended
    assert len([p for p in h.channel_post_calls() if "Waiting Store" in json.dumps(p)]) == 1


def test_the_same_view_submitted_twice_is_one_job(queued: BotHarness) -> None:
    h = queued
    view, creds = open_and_submit(h, "Twice Store")
    body_view = dict(view)
    h.submit(body_view, h.form_values(creds, "Twice Store"))  # Slack retried the same submission
    assert len(verify_jobs(h)) == 1


def test_a_modal_closed_meanwhile_gets_the_result_as_one_dm(queued: BotHarness) -> None:
    h = queued
    view, _ = open_and_submit(h, "Closed Modal")
    with h.slack._lock:
        del h.slack.views[str(view["id"])]  # the person closed the modal
    h.start_workers(1)
    dm = h.wait_dm(lambda m: says(m, "onboarding.result.connected", name="Closed Modal"), timeout=20)
    assert "actions" not in [b.get("type") for b in dm.get("blocks", [])]
    assert state_of(h, "Closed Modal") == "complete"
    time.sleep(0.5)
    assert len([m for m in h.dm_messages() if says(m, "onboarding.result.connected", name="Closed Modal")]) == 1


def test_a_job_that_keeps_failing_stops_and_tells_the_person_and_did_its_work_once(queued: BotHarness) -> None:
    h = queued
    view, _ = open_and_submit(h, "Failing Store")
    h.slack.fail_next("views.update", error="fatal_error", status=200, times=3)  # every try's views.update
    h.start_workers(1)
    final = h.wait_view(str(view["id"]), lambda v: says(v, "general.job_failed"), 40)
    assert says(final, "onboarding.result.next_step", step=t("onboarding.result.interrupted_step"))
    assert [j.state for j in verify_jobs(h)] == [JobState.DEAD.value]
    assert verify_jobs(h)[0].attempts == 3
    # Three runs, one connection, one channel post, Amazon asked once (the later runs read the outcome).
    assert state_of(h, "Failing Store") == "complete"
    assert len([p for p in h.channel_post_calls() if "Failing Store" in json.dumps(p)]) == 1
    assert h.amazon.calls(SP_API_PATH) == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def h(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path, database=request.param, workers=0) as harness:  # the bot process's workers
        yield harness


@pytest.mark.timeout(180)
def test_a_verification_killed_midway_resumes_by_itself_after_a_restart(h: BotHarness) -> None:
    name = "Resumed Store"
    creds = h.amazon.register(make_credentials(), store_name="Resumed")
    bot = BotProcess(h, h.tmp_path / "bot-a.log")
    try:
        h.amazon.set_latency(60, path=SP_API_PATH)  # Amazon is slow: the kill lands mid-verification
        tokens = h.amazon.calls("/auth/o2/token")
        view = submit_in_process(h, bot, creds, name)
        wait_until(lambda: h.amazon.calls("/auth/o2/token") > tokens, 15, "LWA was never asked")
        wait_until(lambda: any(j.state == JobState.RUNNING.value for j in verify_jobs(h)), 10, "no running job")
        bot.kill()  # run and its worker, all at once
        assert state_of(h, name) == "none"
        assert says(h.view(view["id"]), "onboarding.verifying.text")
        h.amazon.set_latency(0, path=SP_API_PATH)

        bot = BotProcess(h, h.tmp_path / "bot-b.log")  # nobody submits again
        final = h.wait_view(view["id"], lambda v: v.get("callback_id") == "connect_result"
                            and t("onboarding.verifying.text")[:40] not in json.dumps(v), 60)
        assert says(final, "onboarding.result.connected", name=name), json.dumps(final)[:800]
        assert state_of(h, name) == "complete"
        wait_until(lambda: [j.state for j in verify_jobs(h)] == [JobState.DONE.value], 20, "the job never ended")
        assert verify_jobs(h)[0].attempts == 2
        assert len([p for p in h.channel_post_calls() if name in json.dumps(p)]) == 1
        with h.db_session() as s:
            assert len(list(s.exec(select(Connection).where(Connection.team_id == TEAM,
                                                             Connection.name == name)))) == 1
    finally:
        h.amazon.set_latency(0, path=SP_API_PATH)
        bot.stop()


def test_a_separate_worker_process_does_the_queued_job_in_the_readers_language(queued: BotHarness) -> None:
    """WORKERS=0 (web tier only), then ``python -m bot worker`` alone: it verifies the queued submission
    and shows the result in the modal, in the language the person reads (zh-CN here)."""
    import signal
    import subprocess
    import sys

    h = queued
    h.slack.set_locale(USER, "zh-CN")
    view, _ = open_and_submit(h, "Worker Store")
    assert h.amazon.calls(SP_API_PATH) == 0
    worker = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=h.subprocess_env(), cwd=h.tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        title = t("onboarding.modal.title_done", "zh-CN")
        final = h.wait_view(str(view["id"]), lambda v: title in json.dumps(v, ensure_ascii=False), 90)
        assert "Worker Store" in json.dumps(final, ensure_ascii=False)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, out[-2000:]
    assert state_of(h, "Worker Store") == "complete"
