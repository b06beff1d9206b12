"""manifest.yml is a complete Slack app manifest: it validates against Slack's published schema and
declares what the bot uses (and no more)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[1]
# Vendored (MIT, licence beside it) so the suite passes in any clone: see tests/fakes/slack_spec/README.md.
SCHEMA = Path(__file__).resolve().parent / "fakes" / "slack_spec" / "manifest.schema.1.0.0.json"


def load_manifest() -> dict:
    return yaml.safe_load((REPO / "manifest.yml").read_text())


def test_manifest_validates_against_slack_schema() -> None:
    assert SCHEMA.is_file(), f"Slack's manifest schema is missing at {SCHEMA}"
    schema = json.loads(SCHEMA.read_text())
    manifest = json.loads(json.dumps(load_manifest()))  # YAML -> JSON
    jsonschema.validate(manifest, schema)


def test_manifest_schema_rejects_a_broken_manifest() -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = load_manifest()
    broken["display_information"]["name"] = "x" * 36  # longer than Slack allows
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(broken))
    assert errors


def test_manifest_declares_what_the_bot_uses() -> None:
    m = load_manifest()
    commands = m["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/connect-amazon"]
    assert commands[0]["usage_hint"]
    home = m["features"]["app_home"]
    assert home["home_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is True  # nobody is invited to paste secrets in the DM
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "im:write", "users:read", "usergroups:read",
                      "channels:history", "groups:history"}
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened", "message.channels", "message.groups"}
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is True
