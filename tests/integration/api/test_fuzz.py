"""Property-based fuzzing of the API from its own OpenAPI document: it behaves as it is
documented. Every schemathesis check runs: no 5xx, every status and content type and
header documented, every body matching its schema, valid input accepted, invalid input
rejected. Auth is off (every route is reachable), rate limiting too (one client sends
everything), and each operation gets a bounded number of examples.

One check is not run on two operations: a workflow or state-machine definition is text
whose validity (a manifest, a flow, a state machine) JSON Schema cannot express, so
`positive_data_acceptance` would call any text "valid"; their 400 with located problems
is documented, and checked by `status_code_conformance` and the schema checks.

`/api/v1/events` is left out: with nothing running it never ends (a live stream is
meant to), and its own test is in test_runs.py.

Hypothesis is driven per operation from `as_strategy`: schemathesis' pytest fixture
loader (`schemathesis.pytest.from_fixture`) does not work with pytest 9 (it sets
`Function._nodeid`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from tests.integration.api.conftest import shell_workflow
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store

EXAMPLES = 25
DEFINITION_TEXTS = {("POST", "/api/v1/workflows"), ("POST", "/api/v1/machines")}
"""Operations whose body is a definition's text (see the module's docstring)."""


LIGHT = (Path(__file__).parents[3] / "examples" / "traffic-light.fsm.yaml").read_text()
HELLO = shell_workflow("hello", "echo hello", trigger="webhook")


@pytest.fixture
def api_schema(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    """The schema of an app whose lifespan starts its runtime (the ASGI client that
    schemathesis sends requests through runs that lifespan on its own event loop), and
    path parameters naming things that exist: a workflow, a run, a machine, an instance."""
    from schemathesis.python import asgi

    store = asyncio.run(open_store(f"sqlite:///{tmp_path}/fuzz.db"))
    config = ServerConfig(
        auth=False, rate_per_s=0, max_body_bytes=1024 * 1024, poll_s=0.2, claim_wait_s=0.1
    )  # an agent's claim that waits for work answers at once
    app = create_app(Runtime(store, config), manage=True)
    app.state.log_poll_s = 0.05
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        with asgi.get_client(cast(Any, app)) as client:
            yield schema.exclude(path="/api/v1/events"), known(client)
    finally:
        asgi.shutdown_lifespans()  # stops the runtime
        asyncio.run(store.close())


def known(client: Any) -> dict[str, str]:
    base = "http://testserver/api/v1"
    yaml = {"content-type": "application/yaml"}
    assert client.post(f"{base}/workflows", data=HELLO, headers=yaml).status_code == 201
    run = client.post(f"{base}/workflows/hello/pipelines/main/runs", json={"n": 1}).json()
    assert client.post(f"{base}/machines", data=LIGHT, headers=yaml).status_code == 201
    instance = client.post(f"{base}/machines/traffic-light/instances").json()
    return {
        "name": "hello",
        "workflow": "hello",
        "pipeline": "main",
        "trigger": "go",
        "run_id": run["run_id"],
        "instance_id": instance["id"],
    }


def _definition_text(case: schemathesis.Case[Any]) -> bool:
    return (case.operation.method.upper(), case.operation.path) in DEFINITION_TEXTS


@pytest.mark.parametrize(
    ("mode", "existing"),
    [
        (GenerationMode.POSITIVE, False),
        (GenerationMode.POSITIVE, True),
        (GenerationMode.NEGATIVE, False),
    ],
    ids=["valid", "valid-on-existing", "invalid"],
)
def test_the_api_behaves_as_its_openapi_document_says(
    api_schema: tuple[Any, dict[str, str]], mode: GenerationMode, existing: bool
) -> None:
    schema, names = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    statuses: dict[int, int] = {}

    for operation in operations:
        fixed = {k: v for k, v in names.items() if existing and f"{{{k}}}" in operation.path}
        if existing and not fixed:
            continue

        @given(case=operation.as_strategy(mode, path_parameters=fixed or None))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples every run: CI does not flake
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case[Any]) -> None:
            excluded = [positive_data_acceptance] if _definition_text(case) else []
            response = case.call_and_validate(excluded_checks=excluded)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        try:
            fuzz()
        except Unsatisfiable:
            # Only when no invalid request exists (`GET /health` has no parameters).
            assert mode is GenerationMode.NEGATIVE
    print(mode, sorted(statuses.items()))
    assert sum(statuses.values()) >= len(operations)
