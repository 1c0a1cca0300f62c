"""Contract validation: compiled once per contract, cheap when a message is valid, a
detailed (value-free) reason when it is not, and the formats the contracts use checked."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_common.contracts import ContractRegistry, find_contracts_dir, load_registry
from skyclust_common.errors import ContractViolation

pytestmark = pytest.mark.unit


def fresh() -> ContractRegistry:
    return ContractRegistry(find_contracts_dir())


def cluster(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "workspace_id": str(uuid.uuid4()),
        "provider": "aws",
        "name": "prod",
        "version": "1.30",
        "region": "us-east-1",
        "credential_id": str(uuid.uuid4()),
        "status": "READY",
        "status_reason": None,
        "status_message": None,
        "endpoint": "https://example.eks.amazonaws.com",
        "cloud_id": None,
        "tags": {},
        "aws_config": None,
        "created_by": None,
        "created_at": "2026-12-03T15:38:55.123456+00:00",
        "updated_at": "2026-12-03T15:38:56+00:00",
    }
    item.update(changes)
    return item


def violation(registry: ContractRegistry, name: str, data: Any, **kw: Any) -> ContractViolation:
    with pytest.raises(ContractViolation) as info:
        registry.validate(name, data, **kw)
    return info.value


def test_every_contract_and_rpc_part_compiles() -> None:
    registry = fresh()
    for contract in registry:
        parts: list[str | None] = [None]
        if contract.kind == "rpc":
            parts = ["request", "reply"]
        for part in parts:
            registry._validator(contract.name, contract.version, part)
    assert len(registry._validators) >= 60


def test_a_valid_message_takes_the_compiled_path_only() -> None:
    registry = fresh()
    reply = {"items": [cluster(), cluster(provider="gcp", aws_config=None)]}
    for _ in range(3):
        registry.validate("ListClusters", reply, part="reply")
    assert list(registry._validators) == [("ListClusters", 1, "reply")]
    # The slow, detailed validator is built only for a message that fails.
    assert registry._explainers == {}


def test_an_invalid_message_names_the_field_and_the_check() -> None:
    registry = fresh()
    missing = {"items": [{k: v for k, v in cluster().items() if k != "region"}]}
    error = violation(registry, "ListClusters", missing, part="reply")
    assert "invalid at items/0" in error.message
    assert "'region' is a required property" in error.message
    assert error.details == {"contract": "ListClusters", "version": 1, "path": "items/0"}

    extra = violation(
        registry, "ListClusters", {"workspace_id": str(uuid.uuid4()), "x": 1}, part="request"
    )
    assert "'x' was unexpected" in extra.message

    wrong = violation(
        registry, "ListClusters", {"items": [cluster(status="SPARKLING")]}, part="reply"
    )
    assert "items/0/status" in wrong.message
    assert "'enum' check" in wrong.message
    assert "SPARKLING" not in wrong.message


@pytest.mark.parametrize(
    ("name", "part", "data", "where"),
    [
        ("ListClusters", "request", {"workspace_id": "not-a-uuid-secret"}, "workspace_id"),
        (
            "ListClusters",
            "request",
            {"workspace_id": uuid.uuid4().hex},  # a UUID, but not in its hyphenated form
            "workspace_id",
        ),
        (
            "ListClusters",
            "reply",
            {"items": [cluster(created_at="2026-12-03 noon")]},
            "items/0/created_at",
        ),
        (
            "ListClusters",
            "reply",
            {"items": [cluster(updated_at="2026-12-03T15:38:56")]},  # no offset
            "items/0/updated_at",
        ),
        (
            "StartOidcLogin",
            "request",
            {"provider": "google", "redirect_uri": "not a uri"},
            "redirect_uri",
        ),
    ],
)
def test_formats_are_checked(name: str, part: str, data: Any, where: str) -> None:
    error = violation(fresh(), name, data, part=part)
    assert f"invalid at {where}:" in error.message
    assert "'format' check" in error.message
    assert "secret" not in error.message


def test_well_formed_formats_pass() -> None:
    registry = load_registry()
    registry.validate(
        "StartOidcLogin",
        {"provider": "google", "redirect_uri": "https://app.example/callback?x=1"},
        part="request",
    )
    registry.validate("ListClusters", {"workspace_id": str(uuid.uuid4()).upper()}, part="request")
