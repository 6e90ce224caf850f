"""Schema-driven API test: schemathesis generates requests for every operation in the
OpenAPI schema and sends them to a live server as two users, each holding one object of
every kind. No answer may be a 5xx, and every answer must be one the schema documents
(status code, content type, body).

Each operation gets random path ids (mostly 404s), the owner's ids and the other user's
ids, with valid and invalid bodies and parameters. Deletes run last, so the other
operations see the seed objects; the first delete that succeeds removes its object and
later ones answer 404 or 409, which is behaviour under test too."""

from __future__ import annotations

import re
from collections import Counter

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz_seed import seed_user
from tests.hub_stand_in import hub_stand_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# Each parameter with the segment before it, itself a parameter's name (braces dropped) when
# two follow each other: /staff/quotas/{kind}/{account_id} gives quotas/kind and kind/account_id.
PATH_PARAMETER = re.compile(r"(?:^|/)(?=\{?([^/{}]+)\}?/\{(\w+)\})")


def _path_values(path: str, values: dict[str, object]) -> dict[str, object]:
    return {name: values[f"{segment}/{name}"] for segment, name in PATH_PARAMETER.findall(path)}


def _order(operation) -> tuple[int, str, str]:
    # Deletes last so everything else sees the seed objects; token deletes very last.
    return (operation.method.upper() == "DELETE", "tokens" in operation.path, operation.label)


def _exercise(operation, strategy, base_url: str, cases: Counter, failures: dict):
    @given(strategy)
    @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None,
                         deadline=None, phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    def exercise(generated):
        case, seed = generated
        cases[operation.label] += 1
        headers = {"Authorization": f"Bearer {seed.token}"}
        response = case.call(base_url=base_url, headers=headers, timeout=60)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                failures.setdefault(operation.label, set()).add(
                    f"{failure.title} ({response.status_code}): {failure.message[:300]}"
                )

    return exercise


@pytest.fixture
def seeds(make_user):
    return [seed_user(make_user()), seed_user(make_user())]


@pytest.fixture
def hub(settings):
    """A hub that answers (with no repos), so hub routes meet a real upstream: an unreachable
    one is a 502 by design, which is not what this test is about."""
    with hub_stand_in() as stand_in:
        settings.SLOUGHGPT_HUB_ENDPOINT = stand_in.endpoint
        yield stand_in


def test_every_operation_answers_as_documented_and_never_5xx(live_server, seeds, hub):
    # given
    auth = {"Authorization": f"Bearer {seeds[0].token}"}
    document = requests.get(f"{live_server.url}/api/v1/schema/?format=json", headers=auth,
                            timeout=60).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    failures: dict[str, set[str]] = {}
    cases: Counter[str] = Counter()

    for operation in operations:
        # when
        owned = [_path_values(operation.path, seed.path_values) for seed in seeds]
        strategy = st.tuples(
            st.one_of(
                operation.as_strategy(),
                *(operation.as_strategy(path_parameters=values) for values in owned if values),
                *(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=values)
                  for values in owned if values),
            ),
            st.sampled_from(seeds),
        )

        _exercise(operation, strategy, live_server.url, cases, failures)()

    # then
    total = sum(cases.values())
    report = "\n".join(f"{label}:\n  " + "\n  ".join(sorted(found))
                       for label, found in sorted(failures.items()))
    print(f"{total} cases over {len(cases)} operations, {len(failures)} operations failing")
    assert len(cases) == len(operations)
    assert not failures, f"{len(failures)} operations answered off-schema or 5xx:\n{report}"
