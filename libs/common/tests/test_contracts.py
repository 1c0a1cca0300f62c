from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from skyclust_common.contracts import KINDS, ContractRegistry, find_contracts_dir, load_registry
from skyclust_common.envelope import CloudEvent, event_subject, new_event
from skyclust_common.errors import ContractViolation

pytestmark = pytest.mark.unit


def test_every_contract_is_valid_json_schema_2020_12():
    root = find_contracts_dir()
    files = [path for kind in KINDS for path in (root / kind).glob("*.json")]
    assert len(files) >= 20
    for path in files:
        schema = json.loads(path.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"/{path.parent.name}/{path.name}"), path
        assert path.name.startswith(schema["title"] + ".v"), path


def test_rpcs_define_request_and_reply():
    for contract in load_registry():
        if contract.kind == "rpc":
            assert {"request", "reply"} <= set(contract.schema["$defs"]), contract.name


def test_every_rpc_says_whether_it_is_a_command_or_a_query():
    rpcs = [c for c in load_registry() if c.kind == "rpc"]
    assert len(rpcs) >= 60
    for contract in rpcs:
        assert contract.schema["x-skyclust-kind"] in ("command", "query"), contract.name
    kinds = {c.name: c.rpc_kind for c in rpcs}
    for name in ("CreateCluster", "DeleteVpc", "RotateCredential", "AddMember", "Login"):
        assert kinds[name] == "command", name
    for name in ("GetCluster", "ListClusters", "CheckSession", "SuggestCidr"):
        assert kinds[name] == "query", name
    # A name that says it changes something is a command.
    for name, kind in kinds.items():
        if name.startswith(("Create", "Delete", "Update", "Add", "Remove", "Rotate", "Revoke")):
            assert kind == "command", name


def test_an_rpc_contract_without_its_kind_is_refused(tmp_path):
    for kind in KINDS:
        (tmp_path / kind).mkdir()
    source = find_contracts_dir() / "rpc" / "GetCluster.v1.schema.json"
    schema = json.loads(source.read_text())
    del schema["x-skyclust-kind"]
    (tmp_path / "rpc" / source.name).write_text(json.dumps(schema))
    with pytest.raises(ValueError, match="x-skyclust-kind"):
        ContractRegistry(tmp_path)
    schema["x-skyclust-kind"] = "maybe"
    (tmp_path / "rpc" / source.name).write_text(json.dumps(schema))
    with pytest.raises(ValueError, match="x-skyclust-kind"):
        ContractRegistry(tmp_path)


def test_the_messages_of_the_first_slice_all_have_contracts():
    names = {c.name for c in load_registry()}
    assert {
        "ClusterRequested",
        "ClusterProvisioning",
        "ClusterReady",
        "ClusterFailed",
        "ClusterDeleteRequested",
        "ClusterDeleted",
        "UserRegistered",
        "CredentialCreated",
        "MessageDeadLettered",
        "CreateCluster",
        "DecryptCredential",
    } <= names


def test_validation_names_the_field_but_never_the_value():
    registry = load_registry()
    with pytest.raises(ContractViolation) as info:
        registry.validate(
            "DecryptCredential",
            {"provider": "aws", "data": "super-secret-value"},
            part="reply",
        )
    assert "data" in info.value.message
    assert "super-secret-value" not in info.value.message
    with pytest.raises(ContractViolation) as unknown:
        registry.validate("NoSuchThing", {})
    assert unknown.value.code == "UNKNOWN_CONTRACT"


def test_a_badly_named_contract_file_is_refused(tmp_path):
    for kind in KINDS:
        (tmp_path / kind).mkdir()
    (tmp_path / "events" / "clusterReady.json").write_text("{}")
    with pytest.raises(ValueError, match="not <Name>"):
        ContractRegistry(tmp_path)


def test_envelope_round_trip_and_subject():
    event = new_event(
        "ClusterDeleted",
        {"cluster_id": "0b7c1d1e-8a63-4bd4-9a35-0d8b6f2d1f00", "provider": "aws", "name": "x"},
        source="provisioning",
        subject="0b7c1d1e-8a63-4bd4-9a35-0d8b6f2d1f00",
        workspace_id="ws1",
        correlation_id="c1",
    )
    again = CloudEvent.from_json(event.to_json())
    assert again == event
    assert again.name == "ClusterDeleted"
    assert again.version == 1
    assert again.type == "io.skyclust.ClusterDeleted.v1"
    assert again.specversion == "1.0"
    assert again.source == "skyclust/provisioning"
    assert event_subject(again) == "skyclust.evt.ws1.ClusterDeleted"


def test_envelope_refuses_unknown_attributes_and_bad_types():
    event = new_event("WorkspaceCreated", {}, source="identity").model_dump(mode="json")
    with pytest.raises(ValueError):
        CloudEvent.model_validate({**event, "surprise": 1})
    with pytest.raises(ValueError):
        CloudEvent.model_validate({**event, "type": "com.other.Thing"})


def test_every_contract_has_exactly_one_owner_that_is_a_service():
    from skyclust_common.contracts import EVERY_SERVICE
    from skyclust_common.nats_permissions import SERVICES

    everyone = []
    for contract in load_registry():
        owner = contract.schema.get("x-skyclust-owner")
        assert isinstance(owner, str), contract.name
        if owner == EVERY_SERVICE:
            everyone.append(contract.name)
            continue
        assert owner in SERVICES, (contract.name, owner)
        others = contract.schema.get("x-skyclust-publishers", [])
        assert contract.kind == "events" or not others, contract.name
        assert set(others) <= set(SERVICES) and owner not in others, contract.name
    # Only the dead letters every service writes, each on its own subject.
    assert everyone == ["MessageDeadLettered"]
    owners = {c.name: c.owner for c in load_registry()}
    assert owners["ClusterDeleted"] == "provisioning"
    assert owners["SessionsRevoked"] == "identity"
    assert owners["DecryptCredential"] == "credential-vault"
    assert owners["SendAccountEmail"] == "identity"
    assert load_registry().get("AuditRecorded").publishers == {
        "identity",
        "gateway",
        "provisioning",
        "cost",
    }


def test_a_contract_without_its_owner_is_refused(tmp_path):
    for kind in KINDS:
        (tmp_path / kind).mkdir()
    source = find_contracts_dir() / "events" / "ClusterReady.v1.schema.json"
    schema = json.loads(source.read_text())
    del schema["x-skyclust-owner"]
    (tmp_path / "events" / source.name).write_text(json.dumps(schema))
    with pytest.raises(ValueError, match="x-skyclust-owner"):
        ContractRegistry(tmp_path)
