"""Schemathesis against the running bot's API (issue 15): generated requests for every operation of the
generated OpenAPI document, a bounded number each (positive and negative data), with a valid key (scoped to
one of two connections, with export) and without one. No answer may be a 5xx or contradict the document
(status codes, headers, content types, bodies): ``call_and_validate`` runs schemathesis's checks.

(Schemathesis's pytest plugin does not load under this pytest; the operations' strategies are driven with
Hypothesis directly, which is what the plugin does.)"""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.api.helpers import make_key
from tests.fakes.fake_amazon import make_credentials
from tests.harness import BotHarness

EXAMPLES = 25


def _operations(h: BotHarness) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(f"{h.base_url}/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 3
    return operations


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_5xx_and_no_answer_contradicts_the_document(tmp_path, mode: GenerationMode) -> None:
    with BotHarness(tmp_path, workers=0) as h:
        h.seed("Main", created_on=date(2026, 11, 1))
        h.seed("Other", created_on=date(2026, 11, 1), creds=make_credentials())
        key = make_key(h, "fuzz", "Main", export=True)
        for operation in _operations(h):
            seen = _fuzz(h, key, operation, mode)
            assert seen, operation.label


def _fuzz(h: BotHarness, key: str, operation: schemathesis.APIOperation, mode: GenerationMode) -> list[int]:
    seen: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(mode))
    def run(case: schemathesis.Case) -> None:
        with_key = len(seen) % 3 != 2  # two in three with the key, the rest with whatever was generated
        headers = {"Authorization": f"Bearer {key}"} if with_key else None
        response = case.call_and_validate(base_url=h.base_url, headers=headers)
        assert response.status_code < 500, response.text
        seen.append(response.status_code)

    run()
    return seen
