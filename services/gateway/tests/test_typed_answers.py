"""The answers of the cluster routes, in process on the fake provisioning (whose replies
satisfy the contracts), match the schemas the OpenAPI document gives them: the typed
answers describe what the gateway really sends."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .cluster_fakes import AWS, AWS_CLUSTER, CREATE, FakeProvisioning, as_

pytestmark = pytest.mark.unit

CLUSTER = f"{AWS}/{AWS_CLUSTER}"


def check(spec: dict[str, Any], operation_id: str, response: httpx.Response) -> None:
    operation = next(
        o for methods in spec["paths"].values() for o in methods.values()
        if o["operationId"] == operation_id
    )  # fmt: skip
    documented = operation["responses"][str(response.status_code)]
    schema = documented["content"]["application/json"]["schema"]
    registry = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    text = json.dumps(schema).replace('"#/components/', '"urn:spec#/components/')
    validator = Draft202012Validator(
        json.loads(text), registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(response.json())]
    assert errors == [], (operation_id, errors)


async def test_cluster_answers_match_their_documented_schemas(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    spec = (await gw.get("/openapi.json")).json()
    user = as_("user")

    check(spec, "get_cluster", await gw.get(CLUSTER, headers=user))
    check(spec, "create_cluster", await gw.post(AWS, json=CREATE, headers=user))
    upgraded = await gw.patch(CLUSTER, json={"version": "1.31"}, headers=user)
    check(spec, "upgrade_cluster", upgraded)
    check(spec, "reconcile_cluster", await gw.post(f"{CLUSTER}/reconcile", headers=user))
    check(spec, "promote_cluster", await gw.post(f"{CLUSTER}/promote", headers=user))
    discovered = await gw.get(
        f"{AWS}/discover",
        params={"credential_id": CREATE["credential_id"], "region": "us-east-1"},
        headers=user,
    )
    check(spec, "discover_clusters", discovered)
    provisioning.sent()  # and every reply satisfied its contract


async def test_a_wrong_answer_would_be_caught(gw: httpx.AsyncClient) -> None:
    """The check is not vacuous: a cluster missing a field fails it."""
    spec = (await gw.get("/openapi.json")).json()
    good = await gw.get(CLUSTER, headers=as_("viewer"))
    body = good.json()
    del body["data"]["status"]
    broken = httpx.Response(200, json=body)

    with pytest.raises(AssertionError, match="status"):
        check(spec, "get_cluster", broken)
