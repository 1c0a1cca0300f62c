"""The generated models accept exactly what the contracts accept.

Each contract is checked with instances built from its own schema: a smallest one (the
required properties) and a fullest one (every property), both valid for the JSON Schema
registry, both parsed by the model and given back unchanged by `to_data()`. Then each
is broken one property at a time (left out, null, wrong type, off its enum, past its
length, an unknown key...): the registry refuses every such break, and so must the
model."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from skyclust_common.contracts import Contract, load_registry
from skyclust_common.envelope import new_event
from skyclust_common.errors import ContractViolation
from skyclust_common.messages import commands, events, rpc
from skyclust_common.messages.base import Message

pytestmark = pytest.mark.unit

UUID = "0b7c1d1e-8a63-4bd4-9a35-0d8b6f2d1f00"
WHEN = "2026-12-03T15:38:55Z"
# A value for each pattern the contracts use; a new pattern needs one here.
PATTERNED = [
    "prod",
    "1.30",
    "123",
    "us-east-1",
    "rg-prod",
    "USD",
    "2026-Q4",
    "whsec_c2VjcmV0LXNlY3JldA==",
]


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if kind is None:
        return ["object"] if "properties" in schema else []
    return [kind] if isinstance(kind, str) else list(kind)


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "uuid":
        return UUID
    if fmt == "date-time":
        return WHEN
    if fmt == "date":
        return WHEN[:10]
    if fmt == "uri":
        return "https://example.com/callback"
    low, high = schema.get("minLength", 1), schema.get("maxLength", 64)
    if "pattern" in schema:
        for value in PATTERNED:
            if re.search(schema["pattern"], value) and low <= len(value) <= high:
                return value
        raise AssertionError(f"no value in PATTERNED for {schema['pattern']}")
    return "x" * max(low, min(3, high))


def build(schema: Any, *, full: bool) -> Any:
    """A value `schema` accepts: its required properties only, or all of them."""
    if schema is True or schema == {}:
        return "anything"
    if "const" in schema:
        return schema["const"]
    if "oneOf" in schema:
        # One branch with only what it requires, the other with everything it has.
        return build(schema["oneOf"][-1 if full else 0], full=full)
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    kinds = [k for k in _types(schema) if k != "null"] or ["null"]
    kind = kinds[0]
    if kind == "null":
        return None
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return schema.get("minimum", 0)
    if kind == "number":
        return schema.get("minimum", 0.5)
    if kind == "boolean":
        return True
    if kind == "array":
        count = max(schema.get("minItems", 0), 1 if full else 0)
        return [build(schema.get("items", {}), full=full) for _ in range(count)]
    properties = schema.get("properties", {})
    names = set(schema.get("required", ()))
    for branch in schema.get("anyOf", ()):
        names |= set(branch.get("required", ()))
        break
    value = {
        name: build(sub, full=full) for name, sub in properties.items() if full or name in names
    }
    extra = schema.get("additionalProperties")
    if full and not properties and isinstance(extra, dict):
        value["key1"] = build(extra, full=full)
    return value


def message_schemas() -> Iterator[tuple[Contract, str | None, dict[str, Any], type[Message]]]:
    for contract in load_registry():
        if contract.kind == "rpc":
            pair = rpc.BY_CONTRACT[(contract.name, contract.version)]
            yield contract, "request", contract.schema["$defs"]["request"], pair.request_model
            yield contract, "reply", contract.schema["$defs"]["reply"], pair.reply_model
        else:
            module = events if contract.kind == "events" else commands
            model = module.BY_CONTRACT[(contract.name, contract.version)]
            yield contract, None, contract.schema, model


CASES = [
    pytest.param(contract, part, schema, model, id=f"{contract.name}{'.' + part if part else ''}")
    for contract, part, schema, model in message_schemas()
]


def schema_accepts(contract: Contract, part: str | None, data: Any) -> bool:
    try:
        load_registry().validate(contract.name, data, version=contract.version, part=part)
    except ContractViolation:
        return False
    return True


def model_accepts(model: type[Message], data: Any) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def test_every_contract_has_its_model():
    names = {(c.name, c.version) for c in load_registry()}
    assert set(events.BY_CONTRACT) | set(commands.BY_CONTRACT) | set(rpc.BY_CONTRACT) == names
    assert len(CASES) >= 200


@pytest.mark.parametrize(("contract", "part", "schema", "model"), CASES)
def test_a_valid_message_parses_and_comes_back_unchanged(contract, part, schema, model):
    for full in (False, True):
        data = build(schema, full=full)
        assert schema_accepts(contract, part, data), (full, data)
        parsed = model.model_validate(data)
        assert parsed.to_data() == data
        assert (contract.name, contract.version) == (model.CONTRACT, model.VERSION)


def breaks(schema: dict[str, Any], data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Copies of `data` with one thing wrong, found by walking the objects in it."""

    def at(path: list[Any], change: Any) -> dict[str, Any]:
        broken = copy.deepcopy(data)
        node = broken
        for key in path[:-1]:
            node = node[key]
        if change is _DROP:
            del node[path[-1]]
        else:
            node[path[-1]] = change
        return broken

    def walk(node_schema: dict[str, Any], value: Any, path: list[Any]) -> Iterator[Any]:
        if not isinstance(value, dict) or "properties" not in node_schema:
            return
        props = node_schema["properties"]
        required = set(node_schema.get("required", ()))
        if node_schema.get("additionalProperties") is False:
            yield "/".join(map(str, [*path, "+unknown"])), at([*path, "zz_unknown"], 1)
        for name, sub in props.items():
            if name not in value or not isinstance(sub, dict) or sub == {}:
                continue
            where = "/".join(map(str, [*path, name]))
            kinds = _types(sub)
            if name in required:
                yield f"{where} left out", at([*path, name], _DROP)
            if "null" not in kinds and "const" not in sub and kinds:
                yield f"{where} null", at([*path, name], None)
            if "enum" in sub or "const" in sub:
                yield f"{where} off its enum", at([*path, name], "NOT-IN-THE-ENUM")
            if kinds and "string" in kinds:
                yield f"{where} a number", at([*path, name], 12345)
            if "string" in kinds and "maxLength" in sub and "format" not in sub:
                yield f"{where} too long", at([*path, name], "x" * (sub["maxLength"] + 1))
            if "pattern" in sub:
                yield f"{where} off its pattern", at([*path, name], "!not matching!")
            if sub.get("format") == "uuid":
                yield f"{where} unhyphenated", at([*path, name], UUID.replace("-", ""))
            if sub.get("format") == "date-time":
                yield f"{where} naive", at([*path, name], WHEN.rstrip("Z"))
            if "integer" in kinds:
                yield f"{where} a string", at([*path, name], "1")
                yield f"{where} a boolean", at([*path, name], True)
                if "maximum" in sub:
                    yield f"{where} too big", at([*path, name], sub["maximum"] + 1)
            if "boolean" in kinds:
                yield f"{where} an integer", at([*path, name], 1)
            if isinstance(sub.get("propertyNames"), dict):
                yield f"{where} an empty key", at([*path, name], {"": "v"})
            if "maxProperties" in sub and isinstance(sub.get("additionalProperties"), dict):
                many = {f"k{i}": "v" for i in range(sub["maxProperties"] + 1)}
                yield f"{where} too many keys", at([*path, name], many)
            if isinstance(sub.get("additionalProperties"), dict) and "string" in _types(
                sub["additionalProperties"]
            ):
                yield f"{where} a number in the map", at([*path, name], {"k": 1})
            if "object" in kinds:
                yield from walk(sub, value[name], [*path, name])
            if "array" in kinds and value[name] and isinstance(sub.get("items"), dict):
                yield from walk(sub["items"], value[name][0], [*path, name, 0])

    if schema.get("anyOf"):
        for branch in schema["anyOf"]:
            for name in branch.get("required", ()):
                if name in data:
                    yield (
                        f"{name} and the other anyOf ones left out",
                        {
                            k: v
                            for k, v in data.items()
                            if k not in {n for b in schema["anyOf"] for n in b["required"]}
                        },
                    )
    yield from walk(schema, data, [])


_DROP = object()


@pytest.mark.parametrize(("contract", "part", "schema", "model"), CASES)
def test_a_model_refuses_what_its_schema_refuses(contract, part, schema, model):
    data = build(schema, full=True)
    accepted = []
    for what, broken in breaks(schema, data):
        if schema_accepts(contract, part, broken):
            continue  # not a break after all (e.g. a type list that takes it)
        if model_accepts(model, broken):
            accepted.append(what)
    assert accepted == []


def test_the_breaks_are_refused_by_the_schema_mostly():
    """The walk above must find real breaks, not only values the schema takes."""
    total = refused = 0
    for contract, part, schema, _ in message_schemas():
        for _, broken in breaks(schema, build(schema, full=True)):
            total += 1
            refused += not schema_accepts(contract, part, broken)
    assert total > 3000
    assert refused / total > 0.95


def test_a_handler_reads_typed_fields():
    req = rpc.CreateCluster.request(
        {
            "workspace_id": UUID,
            "actor_id": "user-1",
            "provider": "aws",
            "name": "prod",
            "version": "1.30",
            "region": "us-east-1",
            "credential_id": str(uuid.uuid4()),
            "aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]},
        }
    )
    assert isinstance(req, rpc.CreateCluster.Request)
    assert req.workspace_id == uuid.UUID(UUID)
    assert req.aws_config is not None and req.aws_config.subnet_ids == ["subnet-a", "subnet-b"]
    assert req.tags is None
    assert "tags" not in req.to_data()
    assert rpc.CreateCluster.KIND == "command"
    assert rpc.GetCluster.KIND == "query"


def test_an_event_is_read_from_its_envelope_and_only_from_its_own():
    data = {
        "cluster_id": UUID,
        "provider": "gcp",
        "name": "prod",
        "version": "1.30",
        "region": "europe-west1",
        "endpoint": None,
        "cloud_id": None,
    }
    event = new_event("ClusterReady", data, source="provisioning")
    ready = events.ClusterReady.from_event(event)
    assert ready.cluster_id == uuid.UUID(UUID)
    assert ready.version == "1.30"  # the Kubernetes version, a property like any other
    assert ready.to_data() == data
    other = new_event("ClusterDeleted", {"cluster_id": UUID}, source="provisioning")
    with pytest.raises(ContractViolation, match="not ClusterReady v1"):
        events.ClusterReady.from_event(other)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"provider": "ibm"}, "an enum value the schema does not list"),
        ({"name": "-starts-with-a-dash"}, "off the name pattern"),
        ({"region": None}, "a required property null"),
        ({"surprise": 1}, "an unknown property"),
        ({"workspace_id": uuid.uuid4().hex}, "a UUID without its hyphens"),
        ({"tags": None}, "an optional property null"),
        ({"tags": {"k": 5}}, "a number for a string"),
        (
            {"node_groups": [{"name": "ng", "min_size": "1", "max_size": 2, "desired_size": 1}]},
            "a string for an integer",
        ),
    ],
)
def test_representative_refusals(change, why):
    data = {
        "workspace_id": UUID,
        "actor_id": "user-1",
        "provider": "aws",
        "name": "prod",
        "version": "1.30",
        "region": "us-east-1",
        "credential_id": UUID,
        **change,
    }
    assert not schema_accepts(load_registry().get("CreateCluster"), "request", data), why
    with pytest.raises(ValidationError):
        rpc.CreateCluster.Request.model_validate(data)
    with pytest.raises(ContractViolation) as info:
        rpc.CreateCluster.request(data)
    assert info.value.message.startswith("CreateCluster v1 request invalid at ")
    assert info.value.details["contract"] == "CreateCluster"
    for value in change.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in info.value.message


def test_missing_required_is_refused():
    with pytest.raises(
        ContractViolation, match="ClusterReady v1 invalid at region: Field required"
    ):
        events.ClusterReady.parse(
            {
                "cluster_id": UUID,
                "provider": "aws",
                "name": "x",
                "version": "1",
                "endpoint": None,
                "cloud_id": None,
            }
        )


def test_an_anyof_of_required_properties_is_kept():
    base = {"workspace_id": UUID, "actor_id": "u", "security_group_id": UUID}
    with pytest.raises(ContractViolation, match="one of rules or tags is required"):
        rpc.UpdateSecurityGroup.request(base)
    assert rpc.UpdateSecurityGroup.request({**base, "tags": {}}).tags == {}


class InMemoryBus:
    """Requests answered by the handlers served on it, each checked by the contracts
    as the real bus checks them."""

    def __init__(self) -> None:
        self.handlers: dict[str, Any] = {}

    def serve(self, name: str, handler: Any) -> None:
        self.handlers[name] = handler

    async def request(
        self, service: str, name: str, data: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        load_registry().validate(name, data, part="request")
        reply = await self.handlers[name](data, {"caller": "test"})
        load_registry().validate(name, reply, part="reply")
        return reply


async def test_a_typed_rpc_handler_and_call_over_the_bus():
    bus = InMemoryBus()
    seen: list[Any] = []

    async def get_workspace(
        req: rpc.GetWorkspace.Request, ctx: dict[str, str]
    ) -> rpc.GetWorkspace.Reply:
        seen.append((req, ctx))
        return rpc.GetWorkspace.reply(build(rpc_reply_schema("GetWorkspace"), full=False))

    bus.serve("GetWorkspace", rpc.GetWorkspace.handler(get_workspace))
    request = rpc.GetWorkspace.request(build(rpc_request_schema("GetWorkspace"), full=False))
    reply = await rpc.GetWorkspace.call(bus, "identity", request)

    assert isinstance(reply, rpc.GetWorkspace.Reply)
    assert seen == [(request, {"caller": "test"})]
    assert reply.to_data() == build(rpc_reply_schema("GetWorkspace"), full=False)


async def test_a_served_handler_gets_its_deps_and_the_parsed_request():
    seen: list[Any] = []

    async def get_workspace(
        deps: str, req: rpc.GetWorkspace.Request, ctx: dict[str, str]
    ) -> dict[str, Any]:
        seen.append((deps, req, ctx))
        return {"answered": True}

    served = rpc.GetWorkspace.served(get_workspace)
    data = build(rpc_request_schema("GetWorkspace"), full=False)
    assert await served("deps", data, {"caller": "test"}) == {"answered": True}
    assert seen == [("deps", rpc.GetWorkspace.request(data), {"caller": "test"})]
    with pytest.raises(ContractViolation):
        await served("deps", {**data, "unexpected": 1}, {"caller": "test"})


async def test_a_typed_event_handler_gets_the_parsed_data():
    got: list[Any] = []

    async def on_ready(data: events.ClusterReady, event: Any, delivery: str) -> None:
        got.append((data.cluster_id, event.id, delivery))

    handle = events.ClusterReady.handler(on_ready)
    event = new_event(
        "ClusterReady",
        build(load_registry().get("ClusterReady").schema, full=False),
        source="provisioning",
    )
    await handle(event, "delivery-1")
    assert got == [(uuid.UUID(UUID), event.id, "delivery-1")]


def rpc_request_schema(name: str) -> dict[str, Any]:
    return load_registry().get(name).schema["$defs"]["request"]


def rpc_reply_schema(name: str) -> dict[str, Any]:
    return load_registry().get(name).schema["$defs"]["reply"]


def test_a_refusal_never_quotes_the_value():
    secret = "AKIA-very-secret-value"
    reply = {"provider": "aws", "data": {"secret_access_key": secret}, "extra": secret}
    with pytest.raises(ValidationError) as info:
        rpc.DecryptCredential.Reply.model_validate(reply)
    assert secret not in str(info.value)
    with pytest.raises(ContractViolation) as violation:
        rpc.DecryptCredential.reply(reply)
    assert secret not in violation.value.message
    assert violation.value.__cause__ is None
