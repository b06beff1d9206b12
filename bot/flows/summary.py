"""A connection as people may see it: the one summary type every flow and view shares.

``ConnectionSummary`` holds no secret, no ciphertext and no fingerprint. It is built from a
``Connection`` row or a row of ``repo.connection_summaries`` (``ConnectionSummary.of``), travels in
notices and stored submission outcomes as ``to_dict()``; ``bot.flows.lifecycle_notices.AboutConnection.facts``
turns it into a notice's typed facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.flows.problems import Problem
from storage import repo
from storage.models import Connection, exposed_kinds


@dataclass(frozen=True)
class ConnectionSummary:
    """A connection as people see it: no secret, no ciphertext, no fingerprint."""

    id: int
    name: str
    account_type: str
    selling_partner_id: str
    region: str
    marketplace_id: str
    store_name: str | None
    status: str
    secret_expires_on: date
    last_verified_at: datetime | None
    last_problem: Problem | None
    created_by: str
    exposed: tuple[str, ...] = ()  # secrets in use that were seen in Slack (storage.models.exposed_kinds)
    tools: tuple[str, ...] = ()  # names of the live tool keys that may use it (bot.flows.tool_keys; list_summaries)
    autorotate: bool = False  # automatic rotation through Amazon is on (``/connect-amazon autorotate``)

    @classmethod
    def of(cls, conn: Connection | sa.Row[Any]) -> ConnectionSummary:
        """From a ``Connection``, or a row of ``repo.connection_summaries`` (which does not select the
        seller id, the store name, the last check or the last error: those stay empty)."""
        assert conn.id is not None
        return cls(
            id=int(conn.id),
            name=conn.name,
            account_type=conn.account_type,
            selling_partner_id=getattr(conn, "selling_partner_id", ""),
            region=conn.region,
            marketplace_id=conn.marketplace_id,
            store_name=getattr(conn, "store_name", None),
            status=conn.status,
            secret_expires_on=conn.secret_expires_on,
            last_verified_at=getattr(conn, "last_verified_at", None),
            last_problem=Problem.stored(getattr(conn, "last_problem_kind", None),
                                        getattr(conn, "last_problem_params", None)),
            created_by=conn.created_by,
            exposed=exposed_kinds(conn),
            autorotate=bool(getattr(conn, "autorotate", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-ready values (the ``connection_connected`` notice, stored outcomes)."""
        data = asdict(self)
        data["secret_expires_on"] = self.secret_expires_on.isoformat()
        data["last_verified_at"] = self.last_verified_at.isoformat() if self.last_verified_at else None
        data["last_problem"] = ({"kind": self.last_problem.kind, "params": self.last_problem.params}
                                if self.last_problem else None)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConnectionSummary:
        values = dict(data)
        values["secret_expires_on"] = date.fromisoformat(values["secret_expires_on"])
        lva = values.get("last_verified_at")
        values["last_verified_at"] = datetime.fromisoformat(lva) if lva else None
        values["exposed"] = tuple(str(k) for k in values.get("exposed") or ())
        values["tools"] = tuple(str(k) for k in values.get("tools") or ())
        problem = values.pop("last_problem", None) or values.pop("last_error", None)
        values["last_problem"] = (Problem(str(problem["kind"]), dict(problem.get("params") or {}))
                                  if isinstance(problem, dict) else None)
        return cls(**values)


def list_summaries(session: Session, team_id: str) -> list[ConnectionSummary]:
    """The workspace's live connections, each with the tool keys that may use it (``status``, the App Home)."""
    conns = repo.list_connections(session, team_id)
    tools = repo.tools_by_connection(session, team_id, [c.id for c in conns if c.id is not None])
    return [replace(ConnectionSummary.of(c), tools=tuple(tools.get(c.id or 0, ()))) for c in conns]
