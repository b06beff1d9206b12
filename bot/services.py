"""The long-lived objects a running bot shares: settings, database, crypto, Amazon client, clock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.after_ack import AfterAck
from bot.amazon.client import AmazonClient
from bot.preflight import StartupError, missing_key_file_problem, on_database, require_keys
from bot.settings import Settings
from storage.crypto import Crypto, load_or_create_key_file, parse_keys
from storage.db import Database, migrate
from storage.keycheck import key_ids_in_use

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
    # The web tier's work after an ack (bot.after_ack): held while other acks wait in HTTP mode (run_bot
    # sets it), at once everywhere else.
    after_ack: AfterAck = field(default_factory=AfterAck.inline)

    def close(self) -> None:
        self.after_ack.close()  # the work of requests already acked runs before the database goes
        self.amazon.close()
        self.db.dispose()


def load_crypto(settings: Settings, *, kids_in_use: Callable[[], set[str]] | None = None) -> Crypto:
    """The keys of ENCRYPTION_KEYS, or of the generated key file (made on first start).

    A new key file is never made for a database that already holds ciphertexts (``kids_in_use``
    says which keys they need): that means the key file was lost, and a new key would not help.
    """
    if settings.encryption_keys:
        return Crypto(parse_keys(settings.encryption_keys))
    path = settings.data_dir / "encryption.key"
    if not path.exists() and kids_in_use is not None:
        in_use = kids_in_use()
        if in_use:
            raise StartupError(missing_key_file_problem(in_use, path))
    keys, created = load_or_create_key_file(path)
    if created:
        log.warning(
            "ENCRYPTION_KEYS is not set: generated a key in %s. Production should pass ENCRYPTION_KEYS "
            "from a secret store instead.",
            path,
        )
    return Crypto(keys)


def build_services(settings: Settings, *, run_migrations: bool = True, check_keys: bool = False) -> Services:
    """The shared objects. With ``check_keys`` (``run`` and ``sweep``), StartupError is raised before
    anything is migrated or changed when a stored ciphertext's key is missing; a database that does not
    answer raises StartupError too."""
    db = on_database(settings, lambda: Database(settings.database_url))
    try:
        crypto = load_crypto(settings, kids_in_use=lambda: on_database(settings, lambda: key_ids_in_use(db.engine)))
        if check_keys:
            require_keys(settings, db.engine, crypto)
        if run_migrations:
            on_database(settings, lambda: migrate(db.engine))
    except BaseException:
        db.dispose()
        raise
    # A per-call timeout above the 10 s a slow Amazon may take, within an overall 30 s deadline that
    # fits the token exchange plus the SP-API call.
    amazon = AmazonClient(settings.lwa_token_url, settings.sp_api_endpoint, timeout=15.0, deadline=30.0)
    return Services(settings=settings, db=db, crypto=crypto, amazon=amazon)
