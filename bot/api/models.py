"""The HTTP API's documents, as pydantic models: FastAPI generates ``/v1/openapi.json`` from them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

ErrorCode = Literal["unauthorized", "forbidden", "not_found", "connection_unusable", "rate_limited",
                    "amazon_unavailable", "bad_request", "method_not_allowed", "internal_error"]


class Error(BaseModel):
    """Every error answer: a stable code for programs and one sentence saying what to do."""

    error: ErrorCode = Field(description="stable machine-readable code")
    message: str = Field(description="what went wrong and what to do next, in English")


class Where(BaseModel):
    """Where a connection's token is used (no secret)."""

    connection: str = Field(description="the connection's name")
    sp_api_endpoint: str = Field(description="the SP-API base URL for the connection's region")
    region: Literal["NA", "EU", "FE"]
    marketplace_id: str
    selling_partner_id: str = Field(description="the Seller ID or vendor code")


class AccessToken(Where):
    access_token: str = Field(description="a Login with Amazon access token (Atza|…); send it as x-amz-access-token")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(ge=0, description="seconds until it expires (the bot hands out tokens with >5 min left)")
    expires_at: datetime = Field(description="when it expires (UTC)")


class ConnectionInfo(Where):
    status: Literal["connected", "failing", "disconnected"]
    account_type: Literal["seller", "vendor"]
    store_name: str | None = None
    secret_expires_on: date = Field(description="the day the LWA client secret expires (180 days after creation)")


class ConnectionList(BaseModel):
    connections: list[ConnectionInfo]


class ExportedCredentials(Where):
    account_type: Literal["seller", "vendor"]
    client_id: str
    client_secret: str
    refresh_token: str
    secret_expires_on: date
