"""The gateway's OpenAPI document as a contract: every operation answers a typed schema
generated from its contract's reply (and the two do not drift apart), every request body
has an example that fits it, operationIds are short and stable, security schemes and
servers are declared, Swagger UI needs no CDN, and docs/openapi.json is this document.
To write docs/openapi.json anew: SKYCLUST_WRITE_OPENAPI=1 pytest tests/test_openapi.py"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from skyclust_common.contracts import find_contracts_dir
from skyclust_gateway.app import create_app
from skyclust_gateway.openapi import ANSWERS, EXAMPLES, NOT_JSON
from skyclust_gateway.settings import GatewaySettings

DOC = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
APP = create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))
SPEC: dict[str, Any] = APP.openapi()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in SPEC["paths"].items()
    for method, operation in methods.items()
]
IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]
REGISTRY = Registry().with_resource(
    "urn:spec", Resource.from_contents(SPEC, default_specification=DRAFT202012)
)


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for a schema of the document, its `$ref`s resolved in the document."""
    text = json.dumps(schema).replace('"#/components/', '"urn:spec#/components/')
    return Draft202012Validator(json.loads(text), registry=REGISTRY)


def success(operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    code = next(c for c in operation["responses"] if c.startswith(("2", "3")))
    return code, operation["responses"][code]


def test_docs_openapi_json_is_current() -> None:
    text = json.dumps(SPEC, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("SKYCLUST_WRITE_OPENAPI"):
        DOC.write_text(text)
    assert DOC.read_text() == text, (
        "docs/openapi.json is stale: SKYCLUST_WRITE_OPENAPI=1 pytest tests/test_openapi.py"
    )


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_answers_a_typed_schema(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    op = operation["operationId"]
    code, answer = success(operation)
    content = answer.get("content", {})
    if op in NOT_JSON:
        assert content or code.startswith("3"), f"{op}: no documented content type"
        assert "application/json" not in content or op == "oidc_callback"
        return
    assert op in ANSWERS, f"{op}: add its answer to skyclust_gateway.openapi.ANSWERS"
    schema = content["application/json"]["schema"]
    resolved = resolve(schema)
    assert resolved.get("properties") or resolved.get("type") == "array", (op, schema)
    if ANSWERS[op].enveloped:
        assert set(resolved["required"]) >= {"success", "data", "request_id", "timestamp"}


def _contract_reply(name: str) -> dict[str, Any]:
    document = json.loads((find_contracts_dir() / "rpc" / f"{name}.v1.schema.json").read_text())
    reply: dict[str, Any] = document["$defs"]["reply"]
    return reply


@pytest.mark.parametrize("op", sorted(o for o, a in ANSWERS.items() if a.contract))
def test_typed_answers_are_their_contracts_replies(op: str) -> None:
    """The schema documented for an answer has the fields of its contract's reply (or of
    the reply's items): a contract that changes without the models, or a table entry
    naming the wrong contract, fails here."""
    answer = ANSWERS[op]
    assert answer.contract is not None
    contract = _contract_reply(answer.contract)
    if answer.part == "items":
        contract = contract["properties"]["items"]["items"]
    operation = next(o for _, _, o in OPERATIONS if o["operationId"] == op)
    schema = resolve(success(operation)[1]["content"]["application/json"]["schema"])
    data = schema["properties"]["data"] if answer.enveloped else schema
    if answer.part == "items":
        data = resolve(resolve(data)["items"])
    documented = shapes(data, resolve)
    expected = shapes(contract, lambda schema: schema)
    if op == "me":  # an API key too, which is no user: one shape more than GetMe's
        assert expected < documented and len(documented) == len(expected) + 1
    else:
        # A contract's oneOf is generated as one model with every branch's fields.
        assert frozenset().union(*documented) == frozenset().union(*expected), op


def shapes(schema: dict[str, Any], deref: Any) -> set[frozenset[str]]:
    """The property names of each object a schema allows (each branch of a oneOf or
    anyOf; null left out)."""
    schema = deref(schema)
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        found: set[frozenset[str]] = set()
        for branch in branches:
            found |= shapes(branch, deref)
        return found
    if schema.get("type") == "null":
        return set()
    return {frozenset(schema.get("properties", {}))}


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_body_has_an_example_that_fits(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is None:
        return
    assert "example" in body, f"{operation['operationId']}: add its body to EXAMPLES"
    errors = list(validator(body["schema"]).iter_errors(body["example"]))
    assert errors == [], [e.message for e in errors]


def test_every_example_is_used() -> None:
    used = {
        o["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        for _, _, o in OPERATIONS
        if "requestBody" in o
    }
    assert set(EXAMPLES) == used


def test_operation_ids_are_short_and_unique() -> None:
    ids = [o["operationId"] for _, _, o in OPERATIONS]
    assert len(ids) == len(set(ids))
    for op in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]{1,31}", op), op
    assert all(o.get("summary") for _, _, o in OPERATIONS)


def test_every_operation_is_described() -> None:
    # A description says what the call does beyond its summary: a route's docstring.
    bare = [
        f"{method} {path}"
        for method, path, o in OPERATIONS
        if len(o.get("description", "").split()) < 5
    ]
    assert bare == [], "operations without a description (the route's docstring): " + ", ".join(
        bare
    )
    summaries = [o["summary"] for _, _, o in OPERATIONS if not o.get("deprecated")]
    assert len(summaries) == len(set(summaries)), "two operations share a summary"


def test_security_and_servers() -> None:
    schemes = SPEC["components"]["securitySchemes"]
    assert schemes["bearerToken"]["scheme"] == "bearer"
    assert schemes["apiKey"]["scheme"] == "bearer"
    assert SPEC["servers"] == [{"url": "/", "description": "this gateway"}]
    by_id = {o["operationId"]: o for _, _, o in OPERATIONS}
    assert by_id["login"]["security"] == []
    assert by_id["create_cluster"]["security"] == [{"bearerToken": []}, {"apiKey": []}]


def test_http_semantics_are_documented() -> None:
    by_id = {o["operationId"]: o for _, _, o in OPERATIONS}
    create = by_id["create_cluster"]
    assert {"Location", "Retry-After"} <= set(create["responses"]["202"]["headers"])
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    upgrade = by_id["upgrade_cluster"]
    assert "If-Match" in {p["name"] for p in upgrade["parameters"]}
    assert "412" in upgrade["responses"]
    assert "ETag" in by_id["get_cluster"]["responses"]["200"]["headers"]
    assert "X-Next-Cursor" in by_id["list_all_clusters"]["responses"]["200"]["headers"]
    stream = by_id["stream"]["responses"]["200"]["content"]
    assert list(stream) == ["text/event-stream"]


async def test_swagger_ui_is_served_without_a_cdn() -> None:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gw:
        page = await gw.get("/docs")
        assets = [
            await gw.get(f"/docs/assets/{name}")
            for name in ("swagger-ui-bundle.js", "swagger-ui.css")
        ]
        spec = await gw.get("/openapi.json")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
    assert "//" not in "".join(sources)
    for asset in assets:
        assert asset.status_code == 200 and len(asset.content) > 1000
    assert spec.json()["info"]["title"] == "SkyClust API"
