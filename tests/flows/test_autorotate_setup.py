"""Setting automatic rotation up, as people see it over signed HTTP: the checklist DM's optional section
(ticks saved, not counted in the path's progress), and the App Home showing which connections rotate
automatically."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.flows.checklist import ROTATION_STEPS
from bot.i18n import t
from tests.catalog import says
from tests.harness import OWNER, BotHarness


def _step_ticked(dm: dict, step: str) -> bool:
    block = next(b for b in dm.get("blocks", []) if b.get("block_id") == f"step_{step}")
    return bool(block["accessory"].get("initial_options"))


def test_checklist_has_the_optional_rotation_section(tmp_path):
    with BotHarness(tmp_path) as h:
        h.command("")
        h.wait_dm()
        h.click("checklist_path_seller")
        dm = h.wait_dm(lambda m: any(b.get("block_id") == "step_rotation_queue" for b in m.get("blocks", [])))
        assert says(dm, "onboarding.checklist.rotation.intro")
        for step in ROTATION_STEPS:
            assert says(dm, f"onboarding.step.rotation.{step}.title"), step
            assert says(dm, f"onboarding.step.rotation.{step}.body"), step
        assert "437568002678" in json.dumps(dm)  # Amazon's SP-API notifications account, in the policy step
        h.tick("rotation_policy")
        dm = h.wait_dm(lambda m: _step_ticked(m, "rotation_policy"))
        assert not _step_ticked(dm, "rotation_queue")
        # Optional: not counted in the seller path's progress (0 of its 8 steps).
        assert t("onboarding.checklist.progress", path=t("onboarding.path.seller"), done=0, total=8) in json.dumps(
            dm, ensure_ascii=False)


def test_app_home_shows_automatic_rotation(tmp_path):
    with BotHarness(tmp_path) as h:
        today = datetime.now(UTC).date()
        h.seed("Main US", created_on=today - timedelta(days=30))
        h.seed("Other US", created_on=today - timedelta(days=30))
        h.command("autorotate Main US on", user=OWNER)
        h.wait_for_slack("response_url", lambda c: says(c.params, "lifecycle.autorotate.command.on_no_queue"))
        h.open_home()
        home = h.wait_for_slack("views.publish").params["view"]
        lines = [json.dumps(b, ensure_ascii=False) for b in home["blocks"]]
        main = [x for x in lines if "Main US" in x]
        other = [x for x in lines if "Other US" in x]
        assert main and says(json.loads(main[0]), "lifecycle.autorotate.status.on")
        assert other and not says(json.loads(other[0]), "lifecycle.autorotate.status.on")
