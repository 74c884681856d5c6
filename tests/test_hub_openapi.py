"""The OpenAPI document: complete, and honoured by the server under schemathesis-generated input.

Every operation is exercised with schema-valid (positive) and schema-violating (negative) cases,
once with any member code and once with the caller's own code; the server must never answer 5xx,
every answer must be documented (status, content type, headers, body schema), and invalid input
must be rejected.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from test_hub_support import backend_params, running_hub

EXAMPLES = 20  # per operation and mode: about 1,900 requests per backend
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    options = ["--rate-limit", "1000000"]
    yield from running_hub(request.param, tmp_path_factory.mktemp("openapi"), options)


def test_document_describes_every_operation_and_its_problems(hub):
    doc = httpx.get(hub.url + "/openapi.json").json()
    operations = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert len(operations) == 44
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("summary") and op.get("description"), (method, path)
            dhis2 = path.startswith("/dhis2/api/")  # DHIS2's own error shape, a WebMessage
            fhir = path.startswith("/fhir")  # FHIR's, an OperationOutcome
            assert (op.get("tags") == ["DHIS2"]) == dhis2, (method, path)
            assert (op.get("tags") == ["FHIR"]) == fhir, (method, path)
            for status in ("401", "403", "422", "429"):
                content = op["responses"][status]["content"]
                kind = "application/json" if dhis2 else "application/problem+json"
                kind = "application/fhir+json" if fhir else kind
                assert kind in content, (method, path, status)
    assert {"Problem", "ReportIn", "WebMessage", "OperationOutcome"} <= set(
        doc["components"]["schemas"]
    )


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(hub):
    schema = schemathesis.openapi.from_url(hub.url + "/openapi.json")
    auth = {"Authorization": f"Bearer {hub.tokens[('KOR', 'reporter')]}"}
    cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        has_code = "{code}" in operation.path
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for fixed in [{}, {"code": "KOR"}] if has_code else [{}]:
                if fixed and mode is GenerationMode.NEGATIVE:
                    continue
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
                checks = CHECKS + (
                    [negative_data_rejection] if mode is GenerationMode.NEGATIVE else []
                )

                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.generate],
                )
                @given(case=strategy)
                def run(case) -> None:
                    nonlocal cases
                    cases += 1
                    # a real token replaces the generated one, except where a negative case
                    # left the Authorization header out on purpose (adding it back would make
                    # the request valid and its acceptance a false alarm)
                    keep_out = run.negative and "Authorization" not in (case.headers or {})
                    headers = None if keep_out else auth
                    case.call_and_validate(base_url=hub.url, headers=headers, checks=run.checks)

                run.checks = checks
                run.negative = mode is GenerationMode.NEGATIVE
                run()
    print(f"schemathesis: {cases} generated requests, no failure")
    assert cases > 200
