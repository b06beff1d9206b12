"""`python -m bot.cli_verify` as a subprocess against the fake Amazon: exit codes and no secrets."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli_verify import main
from bot.i18n import t
from tests.catalog import says
from tests.fakes.fake_amazon import FakeAmazon, make_credentials

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake() -> Iterator[FakeAmazon]:
    with FakeAmazon() as f:
        yield f


def line_for(output: str, start: str) -> str:
    """The output line that begins with ``start`` (a field's option or variable), without it."""
    found = [line.removeprefix(start) for line in output.splitlines() if line.startswith(start)]
    assert len(found) == 1, output
    return found[0]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("LWA_", "SP_API"))}
    full_env.update(env)
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli_verify", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def args_for(creds, marketplace: str = "US") -> list[str]:
    return [
        "--account-type",
        creds.account_type,
        "--selling-partner-id",
        creds.selling_partner_id,
        "--client-id",
        creds.client_id,
        "--marketplace",
        marketplace,
    ]


def env_for(fake: FakeAmazon, creds) -> dict[str, str]:
    return {
        "LWA_CLIENT_SECRET": creds.client_secret,
        "LWA_REFRESH_TOKEN": creds.refresh_token,
        "LWA_TOKEN_URL": fake.token_url,
        "SP_API_ENDPOINT": fake.regional_sp_api_url,
    }


def assert_no_secrets(proc: subprocess.CompletedProcess[str], creds) -> None:
    both = proc.stdout + proc.stderr
    assert creds.client_secret not in both and creds.refresh_token not in both and "Atza|" not in both


def test_exit_0_when_verified(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials(), store_name="CLI Store")
    proc = run(args_for(creds), env_for(fake, creds))
    assert proc.returncode == 0, proc.stderr
    assert "Verdict: verified" in proc.stdout and "Store: CLI Store" in proc.stdout
    assert "United States of America (US)" in proc.stdout
    assert_no_secrets(proc, creds)


def test_exit_1_when_amazon_says_no(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials())
    fake.revoke_refresh_token(creds.refresh_token)
    proc = run(args_for(creds), env_for(fake, creds))
    assert proc.returncode == 1
    assert "Verdict: invalid_grant" in proc.stdout and "Next step:" in proc.stdout
    assert_no_secrets(proc, creds)


def test_exit_1_when_transient(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(10, status=429, retry_after=60)
    proc = run([*args_for(creds), "--deadline", "5"], env_for(fake, creds))
    assert proc.returncode == 1
    assert "Verdict: rate_limited" in proc.stdout


def test_exit_1_vendor_missing_role(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials(account_type="vendor", marketplace_id="A1PA6795UKMFR9"), roles=["Pricing"])
    proc = run(args_for(creds, "de"), env_for(fake, creds))
    assert proc.returncode == 1 and "Verdict: missing_role" in proc.stdout
    assert "Amazon Fulfillment or Inventory and Order Tracking" in proc.stdout


def test_exit_2_for_malformed_input_names_the_field(fake: FakeAmazon) -> None:
    creds = make_credentials()
    env = env_for(fake, creds)
    env["LWA_REFRESH_TOKEN"] = "Atza|" + "q" * 200  # an access token instead of a refresh token
    proc = run(args_for(creds), env)
    assert proc.returncode == 2
    assert says(line_for(proc.stderr, "LWA_REFRESH_TOKEN: "), "amazon.error.mixup",
                label=t("amazon.field.refresh_token.label"), what=t("amazon.kind.access_token"))
    assert "q" * 50 not in proc.stderr
    assert fake.calls() == 0


def test_exit_2_for_bad_option_values(fake: FakeAmazon) -> None:
    creds = make_credentials()
    proc = run(
        [
            "--account-type",
            "seller",
            "--selling-partner-id",
            creds.selling_partner_id,
            "--client-id",
            "amzn1.sp.solution.abc",
            "--marketplace",
            "Atlantis",
        ],
        env_for(fake, creds),
    )
    assert proc.returncode == 2
    assert says(line_for(proc.stderr, "--client-id: "), "amazon.error.mixup", label=t("amazon.field.client_id.label"),
                what=t("amazon.kind.app_id"))
    assert says(line_for(proc.stderr, "--marketplace: "), "amazon.error.marketplace.unknown",
                how_to=t("amazon.field.marketplace.how_to"))
    assert run(["--account-type", "buyer"], env_for(fake, creds)).returncode == 2


def test_exit_2_and_no_echo_when_a_secret_is_on_the_command_line(fake: FakeAmazon) -> None:
    creds = make_credentials()
    proc = run([*args_for(creds), "--client-secret", creds.client_secret], env_for(fake, creds))
    assert proc.returncode == 2
    assert "never read from the command line" in proc.stderr
    assert_no_secrets(proc, creds)
    proc = run([*args_for(creds), "--unknown=" + creds.refresh_token], {})
    assert proc.returncode == 2
    assert_no_secrets(proc, creds)


def test_exit_2_when_secrets_missing_and_no_terminal(fake: FakeAmazon) -> None:
    creds = make_credentials()
    proc = run(args_for(creds), {"LWA_TOKEN_URL": fake.token_url})
    assert proc.returncode == 2
    assert "Set LWA_CLIENT_SECRET and LWA_REFRESH_TOKEN" in proc.stderr


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_prompts_without_echo_on_a_terminal(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials())
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return creds.client_secret if "secret" in label else creds.refresh_token

    out, err = io.StringIO(), io.StringIO()
    code = main(
        args_for(creds),
        {"LWA_TOKEN_URL": fake.token_url, "SP_API_ENDPOINT": fake.url},
        stdin=_Tty(),
        stdout=out,
        stderr=err,
        prompt=prompt,
    )
    assert code == 0, err.getvalue()
    assert asked == ["LWA client secret (input hidden): ", "Refresh token (input hidden): "]
    assert creds.client_secret not in out.getvalue() + err.getvalue()
