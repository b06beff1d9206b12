"""Helpers for the tools' API tests: keys made through the real flow, requests over real HTTP."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from bot.flows import authz
from bot.flows.tool_keys import KeysCommand, Verb, create_key, revoke_key
from tests.fakes.slack_signing import TEAM_ID
from tests.harness import ADMIN, BotHarness

CREATED_ON = date(2026, 11, 1)


def make_key(h: BotHarness, tool: str, *names: str, export: bool = False) -> str:
    """A live key for ``names`` (``*`` for all), made as an admin's ``keys create`` makes it; its text."""
    answer = create_key(h.services, team_id=TEAM_ID, actor=authz.Actor(ADMIN, is_workspace_admin=True),
                        command=KeysCommand(Verb.create, tool=tool, connections=names or ("*",), export=export))
    assert answer.created is not None, answer
    return answer.created.text


def revoke(h: BotHarness, tool: str) -> None:
    revoke_key(h.services, team_id=TEAM_ID, actor=authz.Actor(ADMIN, is_workspace_admin=True), tool=tool)


def api(h: BotHarness, method: str, path: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.request(method, h.base_url + path, headers=headers, timeout=30, **kwargs)


def token(h: BotHarness, name: str, key: str) -> httpx.Response:
    return api(h, "POST", f"/v1/connections/{name}/access-token", key)
