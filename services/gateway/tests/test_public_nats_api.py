"""The public NATS API's gateway side on fakes: workspace and actor from the subject,
the key's current role checked, REST's role matrix, retries only for an owning service
that is down, and an audit record for every command carried out or refused."""

from __future__ import annotations

import uuid
from typing import Any, cast

import orjson
import pytest

from skyclust_common import public_api
from skyclust_common.contracts import load_registry
from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import NoResponders, NotFound
from skyclust_common.messaging import Bus
from skyclust_gateway.permissions import ROLE_PERMISSIONS, Permission, Role, allowed
from skyclust_gateway.public_api.handling import KeyDirectory, PublicApi, snake
from skyclust_gateway.routers.deps import Services

pytestmark = pytest.mark.unit
WS, KEY = str(uuid.uuid4()), str(uuid.uuid4())


class FakeServices(Services):
    def __init__(self, role: str | None = "user") -> None:
        super().__init__(cast(Bus, None))
        self.role = role
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.down = False

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        if service == "identity" and name == "ListApiKeys":
            items = [] if self.role is None else [{"id": KEY, "role": self.role}]
            return {"items": [{"id": str(uuid.uuid4()), "role": "admin"}, *items]}
        if self.down:
            raise NoResponders(f"the {service} service is not available")
        self.calls.append((service, name, data))
        if name == "GetCluster":
            raise NotFound("cluster not found", code="CLUSTER_NOT_FOUND")
        return {"id": "c-1", "name": data.get("name"), "items": []}


def api(role: str | None = "user") -> tuple[PublicApi, FakeServices, list[CloudEvent]]:
    services = FakeServices(role)
    audited: list[CloudEvent] = []

    async def audit(event: CloudEvent) -> None:
        audited.append(event)

    return PublicApi(services, KeyDirectory(services.call, ttl=0), audit), services, audited


def body(**fields: Any) -> bytes:
    return orjson.dumps(fields)


def test_the_role_grants_are_the_gateway_matrix() -> None:
    for role in Role:
        for op in public_api.OPERATIONS.values():
            assert public_api.allowed(role.value, op) == allowed(role, Permission(op.permission))
    assert set(public_api.ROLE_GRANTS) == {r.value for r in ROLE_PERMISSIONS}


async def test_a_command_takes_workspace_and_actor_from_the_subject_and_is_audited() -> None:
    public, services, audited = api("user")
    subject = public_api.command_subject(WS, KEY, "CreateCluster")
    outcome = await public.command(subject, body(provider="gcp", name="a"), "m-1", final=False)
    assert outcome.body["ok"] is True and outcome.body["message_id"] == "m-1"
    [(service, name, data)] = services.calls
    assert (service, name) == ("provisioning", "CreateCluster")
    assert data == {
        "provider": "gcp",
        "name": "a",
        "workspace_id": WS,
        "actor_id": f"apikey:{KEY}",
        "actor_is_admin": False,
    }
    [event] = audited
    record = event.data
    assert (record["actor_type"], record["actor_id"]) == ("api_key", f"apikey:{KEY}")
    assert (record["action"], record["resource_type"], record["outcome"]) == (
        "create_cluster",
        "cluster",
        "success",
    )
    assert record["resource_id"] == "c-1" and record["request_id"] == "m-1"


async def test_a_body_naming_the_workspace_or_actor_is_refused() -> None:
    public, services, audited = api("user")
    subject = public_api.command_subject(WS, KEY, "DeleteCluster")
    forged = body(cluster_id="c", workspace_id=str(uuid.uuid4()), actor_id="someone")
    outcome = await public.command(subject, forged, "m", final=False)
    assert outcome.body["error"]["code"] == "VALIDATION_ERROR"
    assert services.calls == [] and audited[0].data["outcome"] == "failure"


async def test_a_viewer_may_read_but_not_change() -> None:
    public, services, audited = api("viewer")
    outcome = await public.command(
        public_api.command_subject(WS, KEY, "CreateCluster"), body(name="a"), "m", final=False
    )
    assert outcome.body["error"]["code"] == "FORBIDDEN"
    assert audited[0].data["outcome"] == "denied"
    read = await public.read(public_api.read_subject(WS, KEY, "ListClusters"), b"")
    assert read["ok"] is True
    assert services.calls == [("provisioning", "ListClusters", {"workspace_id": WS})]


async def test_a_revoked_key_is_refused_even_on_a_connection_still_open() -> None:
    public, services, _ = api(None)
    read = await public.read(public_api.read_subject(WS, KEY, "ListClusters"), b"{}")
    assert read["error"]["code"] == "UNAUTHORIZED"
    assert services.calls == []


async def test_an_owning_service_that_is_down_means_a_retry_until_the_last_chance() -> None:
    public, services, audited = api("user")
    services.down = True
    subject = public_api.command_subject(WS, KEY, "CreateCluster")
    assert (await public.command(subject, body(name="a"), "m", final=False)).retry
    assert audited == []
    last = await public.command(subject, body(name="a"), "m", final=True)
    assert not last.retry and last.body["error"]["code"] == "SERVICE_UNAVAILABLE"


async def test_bad_messages_get_a_clear_error() -> None:
    public, _, _ = api("user")
    cases = {
        public_api.command_subject(WS, KEY, "CreateCluster"): b"[1]",
        public_api.command_subject(WS, KEY, "ListClusters"): b"{}",
        public_api.command_subject(WS, KEY, "DropDatabase"): b"{}",
        public_api.read_subject(WS, KEY, "CreateCluster"): b"{}",
    }
    codes = []
    for subject, data in cases.items():
        if ".cmd." in subject:
            codes.append((await public.command(subject, data, "m", final=False)).body)
        else:
            codes.append(await public.read(subject, data))
    assert [c["error"]["code"] for c in codes] == [
        "VALIDATION_ERROR",
        "BAD_REQUEST",
        "BAD_REQUEST",
        "BAD_REQUEST",
    ]
    not_json = await public.read(public_api.read_subject(WS, KEY, "ListClusters"), b"{nope")
    assert not_json["error"]["code"] == "VALIDATION_ERROR"
    missing = await public.read(public_api.read_subject(WS, KEY, "GetCluster"), b"{}")
    assert missing["error"]["code"] == "CLUSTER_NOT_FOUND"


def test_action_names_are_the_rest_routes() -> None:
    assert snake("UpdateNodeGroup") == "update_node_group"
    assert snake("CreateVpc") == "create_vpc"


COST_READS = (
    "GetCostSummary",
    "GetCostBreakdown",
    "GetCostTrend",
    "GetCostComparison",
    "GetCostForecast",
)
NETWORK_COMMANDS = (
    "CreateSubnet",
    "UpdateSubnet",
    "DeleteSubnet",
    "CreateSecurityGroup",
    "UpdateSecurityGroup",
    "DeleteSecurityGroup",
)
NETWORK_READS = ("ListSubnets", "GetSubnet", "ListSecurityGroups", "GetSecurityGroup")


def test_costs_subnets_and_security_groups_are_public_with_rests_permissions() -> None:
    ops = public_api.OPERATIONS
    assert {(ops[n].service, ops[n].kind, ops[n].permission) for n in COST_READS} == {
        ("cost", "read", "read")
    }
    assert {(ops[n].service, ops[n].kind, ops[n].permission) for n in NETWORK_COMMANDS} == {
        ("network", "command", "networks:write")
    }
    assert {(ops[n].service, ops[n].kind, ops[n].permission) for n in NETWORK_READS} == {
        ("network", "read", "read")
    }
    viewer = public_api.connection_permissions(WS, KEY, "viewer")["pub"]
    user = public_api.connection_permissions(WS, KEY, "user")["pub"]
    assert isinstance(viewer, dict) and isinstance(user, dict)
    assert public_api.read_subject(WS, KEY, "GetCostForecast") in viewer["allow"]
    assert public_api.command_subject(WS, KEY, "CreateSubnet") not in viewer["allow"]
    assert public_api.command_subject(WS, KEY, "DeleteSecurityGroup") in user["allow"]


async def test_a_viewer_reads_costs_with_the_workspace_from_the_subject() -> None:
    public, services, _ = api("viewer")
    for name in COST_READS:
        reply = await public.read(public_api.read_subject(WS, KEY, name), body(period="7d"))
        assert reply["ok"] is True, name
    assert services.calls == [("cost", n, {"period": "7d", "workspace_id": WS}) for n in COST_READS]
    forged = await public.read(
        public_api.read_subject(WS, KEY, "GetCostSummary"), body(workspace_id=str(uuid.uuid4()))
    )
    assert forged["error"]["code"] == "VALIDATION_ERROR" and len(services.calls) == 5


async def test_a_subnet_create_is_carried_to_network_and_audited_as_the_new_subnet() -> None:
    public, services, audited = api("user")
    vpc = str(uuid.uuid4())
    request = {"provider": "aws", "vpc_id": vpc, "name": "a", "cidr_block": "10.0.1.0/24"}
    outcome = await public.command(
        public_api.command_subject(WS, KEY, "CreateSubnet"), body(**request), "s-1", final=False
    )
    assert outcome.body["ok"] is True and outcome.body["command"] == "CreateSubnet"
    assert services.calls == [
        ("network", "CreateSubnet", {**request, "workspace_id": WS, "actor_id": f"apikey:{KEY}"})
    ]
    record = audited[0].data
    assert (record["action"], record["resource_type"], record["resource_id"]) == (
        "create_subnet",
        "subnet",
        "c-1",  # the new subnet's id (the fake's answer), not its network's
    )


async def test_security_group_changes_are_audited_with_their_id_and_refused_to_a_viewer() -> None:
    public, services, audited = api("user")
    group = str(uuid.uuid4())
    for name in ("UpdateSecurityGroup", "DeleteSecurityGroup"):
        subject = public_api.command_subject(WS, KEY, name)
        change = body(provider="gcp", security_group_id=group)
        assert (await public.command(subject, change, name, final=False)).body["ok"] is True
    assert [(r.data["action"], r.data["resource_id"]) for r in audited] == [
        ("update_security_group", group),
        ("delete_security_group", group),
    ]
    assert {a.data["resource_type"] for a in audited} == {"security_group"}
    assert [(svc, name) for svc, name, _ in services.calls] == [
        ("network", "UpdateSecurityGroup"),
        ("network", "DeleteSecurityGroup"),
    ]
    viewer, viewer_services, viewer_audit = api("viewer")
    refused = await viewer.command(
        public_api.command_subject(WS, KEY, "DeleteSubnet"),
        body(provider="aws", subnet_id=str(uuid.uuid4())),
        "m",
        final=False,
    )
    assert refused.body["error"]["code"] == "FORBIDDEN" and viewer_services.calls == []
    assert viewer_audit[0].data["outcome"] == "denied"
    read = await viewer.read(public_api.read_subject(WS, KEY, "ListSubnets"), body(provider="aws"))
    assert read["ok"] is True
    assert viewer_services.calls == [
        ("network", "ListSubnets", {"provider": "aws", "workspace_id": WS})
    ]


async def test_whether_the_actor_may_override_a_budget_comes_from_the_keys_role() -> None:
    registry = load_registry()
    takes_it = {
        op.name
        for op in public_api.OPERATIONS.values()
        if "actor_is_admin" in registry.get(op.name).schema["$defs"]["request"]["properties"]
    }
    assert takes_it == public_api.ROLE_AWARE
    change = body(provider="gcp", cluster_id="c", node_group_id="n", desired_size=9)
    subject = public_api.command_subject(WS, KEY, "UpdateNodeGroup")
    for role, is_admin in (("user", False), ("admin", True)):
        public, services, _ = api(role)
        assert (await public.command(subject, change, "m", final=False)).body["ok"] is True
        assert services.calls[0][2]["actor_is_admin"] is is_admin
    # A user key claiming to be an admin (to override a budget's block) is refused.
    public, services, audited = api("user")
    claim = body(provider="gcp", name="a", actor_is_admin=True, budget_override=True)
    outcome = await public.command(
        public_api.command_subject(WS, KEY, "CreateCluster"), claim, "m", final=False
    )
    assert outcome.body["error"]["code"] == "VALIDATION_ERROR"
    assert outcome.body["error"]["details"]["errors"] == [
        {"field": "actor_is_admin", "problem": "not_allowed"}
    ]
    assert services.calls == [] and audited[0].data["outcome"] == "failure"
