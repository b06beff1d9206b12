"""``python -m bot verify``: the Slack-free verification for an operator.

Non-secret fields come as options; the client secret and the refresh token come from
LWA_CLIENT_SECRET and LWA_REFRESH_TOKEN, or from a no-echo prompt when those are unset and stdin
is a terminal, never from the command line. Prints the verdict and its explanation, no secrets.

Exit codes: 0 verified, 1 Amazon said no (transient failures included), 2 malformed input.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from typing import NoReturn, TextIO

from bot.amazon.client import DEFAULT_LWA_TOKEN_URL, AmazonClient, Credentials
from bot.amazon.marketplaces import marketplace_by_id
from bot.amazon.validators import label, validate_credentials
from bot.amazon.verdicts import explain
from bot.redaction import contains_secret_shape, redact
from bot.views.blocks import Words

EXIT_VERIFIED = 0
EXIT_REFUSED = 1
EXIT_MALFORMED = 2

_FIELD_SOURCES = {
    "account_type": "--account-type",
    "selling_partner_id": "--selling-partner-id",
    "client_id": "--client-id",
    "marketplace": "--marketplace",
    "client_secret": "LWA_CLIENT_SECRET",
    "refresh_token": "LWA_REFRESH_TOKEN",
}


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would echo unknown arguments; they may be a secret typed on the command line.
        raise _UsageError(redact(message))


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m bot verify",
        description=(
            "Verify Amazon SP-API credentials against Login with Amazon and SP-API. The client "
            "secret and refresh token are read from LWA_CLIENT_SECRET and LWA_REFRESH_TOKEN (or "
            "asked for without echo on a terminal), never from the command line."
        ),
    )
    p.add_argument("--account-type", required=True, choices=["seller", "vendor"], type=str.lower)
    p.add_argument("--selling-partner-id", required=True, help="Seller ID (merchant token) or vendor code")
    p.add_argument("--client-id", required=True, help="LWA client ID (amzn1.application-oa2-client.…)")
    p.add_argument("--marketplace", required=True, help="country code such as US, or a marketplace ID")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP call (default 10)")
    p.add_argument("--deadline", type=float, default=30.0, help="seconds overall (default 30)")
    return p


def _secret(
    env: Mapping[str, str],
    name: str,
    label: str,
    stdin: TextIO,
    prompt: Callable[[str], str],
) -> str | None:
    value = env.get(name)
    if value:
        return value
    if stdin.isatty():
        return prompt(f"{label} (input hidden): ")
    return None


def main(
    argv: list[str],
    env: Mapping[str, str],
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> int:
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    err = stderr or sys.stderr

    if any(contains_secret_shape(a) for a in argv):
        print(
            "Secrets are never read from the command line (it ends up in shell history and process "
            "lists). Set LWA_CLIENT_SECRET and LWA_REFRESH_TOKEN in the environment instead, and "
            "consider rotating the secret you just typed.",
            file=err,
        )
        return EXIT_MALFORMED
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(f"python -m bot verify: {exc}", file=err)
        return EXIT_MALFORMED
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    try:
        secret = _secret(env, "LWA_CLIENT_SECRET", "LWA client secret", stdin, prompt)
        refresh = _secret(env, "LWA_REFRESH_TOKEN", "Refresh token", stdin, prompt)
    except (EOFError, KeyboardInterrupt):
        print("No secret entered.", file=err)
        return EXIT_MALFORMED
    missing = [n for n, v in (("LWA_CLIENT_SECRET", secret), ("LWA_REFRESH_TOKEN", refresh)) if not v]
    if missing:
        print(
            f"Set {' and '.join(missing)} in the environment (or run on a terminal to be asked for them without echo).",
            file=err,
        )
        return EXIT_MALFORMED

    result = validate_credentials(
        {
            "account_type": args.account_type,
            "selling_partner_id": args.selling_partner_id,
            "client_id": args.client_id,
            "client_secret": secret,
            "refresh_token": refresh,
            "marketplace": args.marketplace,
            "connection_name": "command-line check",
        }
    )
    words = Words("en")  # the operator's console speaks English
    if not result.ok:
        for key, error in result.errors.items():
            where = _FIELD_SOURCES.get(key) or words.text(label(key))
            print(f"{where}: {redact(words.text(error).strip())}", file=err)
        return EXIT_MALFORMED
    for key, note in result.notes.items():
        print(f"Note ({_FIELD_SOURCES.get(key, key)}): {redact(words.text(note).strip())}", file=out)

    v = result.values
    creds = Credentials.from_fields(v)
    marketplace = marketplace_by_id(creds.marketplace_id)
    with AmazonClient(
        env.get("LWA_TOKEN_URL") or DEFAULT_LWA_TOKEN_URL,
        env.get("SP_API_ENDPOINT") or None,
        timeout=args.timeout,
        deadline=args.deadline,
    ) as client:
        verdict = client.verify(creds)
    cause, step = explain(verdict)
    where = words.marketplace(marketplace.marketplace_id) if marketplace else creds.marketplace_id
    lines = [
        f"Verdict: {verdict.kind.value}",
        f"Account: {creds.account_type} {creds.selling_partner_id}, {where}",
        f"Cause: {words.text(cause)}",
        f"Next step: {words.text(step)}",
    ]
    if verdict.store_name:
        lines.insert(1, f"Store: {verdict.store_name}")
    if verdict.request_id:
        lines.append(f"Amazon request id: {verdict.request_id}")
    if verdict.detail and not verdict.ok:
        lines.append(f"Detail: {verdict.detail}")
    print(redact("\n".join(lines)), file=out)
    return EXIT_VERIFIED if verdict.ok else EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
