"""A connection as people may see it: the one summary type every flow and view shares.

``ConnectionSummary`` holds no secret, no ciphertext and no fingerprint. It is built from a
``Connection`` row or a row of ``repo.connection_summaries`` (``ConnectionSummary.of``), travels in
notices and stored submission outcomes as ``to_dict()``, and gives lifecycle notices their plain
facts (``facts()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.amazon.marketplaces import REGION_NAMES, marketplace_by_id
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

    @property
    def marketplace_label(self) -> str:
        m = marketplace_by_id(self.marketplace_id)
        return f"{m.name} ({m.country_code})" if m else self.marketplace_id

    @property
    def region_name(self) -> str:
        return REGION_NAMES.get(self.region, self.region)

    @property
    def region_label(self) -> str:
        return f"{self.region_name} ({self.region})"

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
        )

    def facts(self) -> dict[str, Any]:
        """The plain, secret-free facts every lifecycle notice about the connection carries (``Notice.data``;
        ``exposed``: the secrets in use that were seen in Slack, so every alert keeps saying so until they
        are replaced). The renew modal and the disconnect question read the same keys."""
        return {
            "connection_id": self.id,
            "name": self.name,
            "account_type": self.account_type,
            "marketplace": self.marketplace_label,
            "region": self.region_name,
            "owner": self.created_by,
            "expires_on": self.secret_expires_on.isoformat(),
            "exposed": list(self.exposed),
        }

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
        problem = values.pop("last_problem", None) or values.pop("last_error", None)
        values["last_problem"] = (Problem(str(problem["kind"]), dict(problem.get("params") or {}))
                                  if isinstance(problem, dict) else None)
        return cls(**values)


def list_summaries(session: Session, team_id: str) -> list[ConnectionSummary]:
    return [ConnectionSummary.of(c) for c in repo.list_connections(session, team_id)]


def connection_facts(conn: Connection | sa.Row[Any]) -> dict[str, Any]:
    """``ConnectionSummary.of(conn).facts()``. Kept (and re-exported by ``bot.flows.sweep``) for branches
    that still import it; new code uses the summary."""
    return ConnectionSummary.of(conn).facts()
