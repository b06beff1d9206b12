"""The long-lived objects a running bot shares: settings, database, crypto, Amazon client, clock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.amazon.client import AmazonClient
from bot.settings import Settings
from storage.crypto import Crypto, load_or_create_key_file, parse_keys
from storage.db import Database, migrate

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    db: Database
    crypto: Crypto
    amazon: AmazonClient
    clock: Callable[[], datetime] = field(default=utcnow)

    def close(self) -> None:
        self.amazon.close()
        self.db.dispose()


def load_crypto(settings: Settings) -> Crypto:
    if settings.encryption_keys:
        return Crypto(parse_keys(settings.encryption_keys))
    keys, created = load_or_create_key_file(settings.data_dir / "encryption.key")
    if created:
        log.warning(
            "ENCRYPTION_KEYS is not set: generated a key in %s. Production should pass ENCRYPTION_KEYS "
            "from a secret store instead.",
            settings.data_dir / "encryption.key",
        )
    return Crypto(keys)


def build_services(settings: Settings, *, run_migrations: bool = True) -> Services:
    db = Database(settings.database_url)
    if run_migrations:
        migrate(db.engine)
    crypto = load_crypto(settings)
    # A per-call timeout above the 10 s a slow Amazon may take, within an overall 30 s deadline that
    # fits the token exchange plus the SP-API call.
    amazon = AmazonClient(settings.lwa_token_url, settings.sp_api_endpoint, timeout=15.0, deadline=30.0)
    return Services(settings=settings, db=db, crypto=crypto, amazon=amazon)
