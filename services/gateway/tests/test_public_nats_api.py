"""The public NATS API's gateway side on fakes: workspace and actor from the subject,
the key's current role checked, REST's role matrix, retries only for an owning service
that is down, and an audit record for every command carried out or refused."""

from __future__ import annotations

import uuid
from typing import Any, cast

import orjson
import pytest

from skyclust_common import public_api
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
    assert data == {"provider": "gcp", "name": "a", "workspace_id": WS, "actor_id": f"apikey:{KEY}"}
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
