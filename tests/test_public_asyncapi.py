"""The AsyncAPI 3.0 document of the public NATS API: valid against the AsyncAPI 3.0
schema, listing every public subject, served by the gateway, and committed as
docs/asyncapi/public.json, which must change with the contracts and the subject map.
To write it anew: SKYCLUST_WRITE_ASYNCAPI=1 pytest tests/test_public_asyncapi.py"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft7Validator

from skyclust_common import public_api
from skyclust_common.contracts import load_registry
from skyclust_gateway.app import create_app
from skyclust_gateway.public_api.asyncapi import HIDDEN_EVENTS, document
from skyclust_gateway.public_api.reference import markdown
from skyclust_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "asyncapi" / "public.json"
SCHEMA = Path(__file__).resolve().parent / "asyncapi" / "asyncapi-3.0.0.schema.json"


def current() -> str:
    return json.dumps(document(load_registry()), indent=2, sort_keys=True) + "\n"


def test_the_committed_document_is_the_one_built_from_contracts_and_subjects() -> None:
    text = current()
    if os.environ.get("SKYCLUST_WRITE_ASYNCAPI") == "1":
        COMMITTED.write_text(text)
    assert COMMITTED.read_text() == text, (
        "docs/asyncapi/public.json is out of date:"
        " SKYCLUST_WRITE_ASYNCAPI=1 pytest tests/test_public_asyncapi.py"
    )


def test_it_is_valid_asyncapi_3() -> None:
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    errors = sorted(validator.iter_errors(document(load_registry())), key=str)
    assert errors == [], "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_an_invalid_document_is_caught() -> None:
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    broken = document(load_registry())
    broken["operations"]["sendCreateCluster"]["action"] = "publish"  # AsyncAPI 2's word
    assert not validator.is_valid(broken)


def test_every_public_subject_is_in_it() -> None:
    spec = document(load_registry())
    addresses = {c["address"] for c in spec["channels"].values() if c["address"]}
    for op in public_api.OPERATIONS.values():
        kind = "cmd" if op.kind == "command" else "rpc"
        assert f"{public_api.PREFIX}.{{workspace_id}}.{{key_id}}.{kind}.{op.name}" in addresses
        if op.kind == "command":
            assert f"{public_api.PREFIX}.{{workspace_id}}.{{key_id}}.res.{op.name}" in addresses
    events = spec["channels"]["events"]
    assert events["address"] == f"{public_api.PREFIX}.{{workspace_id}}.evt.{{event}}"
    expected = {c.name for c in load_registry() if c.kind == "events"} - HIDDEN_EVENTS
    assert set(events["parameters"]["event"]["enum"]) == expected
    assert set(events["messages"]) == expected
    create = spec["components"]["messages"]["CreateCluster.command"]["payload"]["schema"]
    assert "workspace_id" not in create["properties"] and "actor_id" not in create["properties"]
    assert {"provider", "name", "credential_id"} <= set(create["required"])


def test_the_gateway_serves_it() -> None:
    app = create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))
    with TestClient(app) as client:
        served = client.get("/asyncapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(current())


REFERENCE = ROOT / "docs" / "nats-reference.md"


def test_the_reference_page_is_the_document_rendered() -> None:
    text = markdown(document(load_registry()))
    if os.environ.get("SKYCLUST_WRITE_ASYNCAPI") == "1":
        REFERENCE.write_text(text)
    assert REFERENCE.read_text() == text, (
        "docs/nats-reference.md is out of date:"
        " SKYCLUST_WRITE_ASYNCAPI=1 pytest tests/test_public_asyncapi.py"
    )


def test_the_reference_page_lists_every_subject_and_field() -> None:
    spec = document(load_registry())
    page = markdown(spec)
    for channel in spec["channels"].values():
        if channel["address"]:
            assert f"`{channel['address']}`" in page
    create = spec["components"]["messages"]["CreateCluster.command"]["payload"]["schema"]
    for field in create["properties"]:
        assert f"| `{field}` |" in page
    for required in create["required"]:
        assert f"| `{required}` | " in page and "| yes |" in page


def test_a_changed_contract_changes_the_reference_page() -> None:
    spec = document(load_registry())
    before = markdown(spec)
    schema = spec["components"]["messages"]["CreateCluster.command"]["payload"]["schema"]
    schema["properties"]["cost_centre"] = {"type": "string", "maxLength": 12}
    after = markdown(spec)
    assert "| `cost_centre` | string |  | length ≤ 12 |" in after
    assert "cost_centre" not in before
