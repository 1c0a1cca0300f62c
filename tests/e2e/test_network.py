"""Through the gateway, on each of AWS (moto), GCP and Azure (the emulators): a network,
its subnets and a security group with rules, watched on the live stream, listed, changed
and deleted in the right order; the planner across clouds; discovery of a network made
outside SkyClust."""

from __future__ import annotations

import contextlib
import json
import queue
import time
import uuid
from typing import Any

import boto3
import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.envelope import CloudEvent

from .client import Api, Sse, SseStream

pytestmark = pytest.mark.e2e

REGION = {"aws": "us-east-1", "gcp": "europe-west1", "azure": "westeurope"}
RANGE = {"aws": "10.20", "gcp": "10.30", "azure": "10.40"}


def local_credential(platform: Any, provider: str) -> dict[str, Any]:
    path = platform.state_dir / "credentials" / f"{provider}.json"
    assert path.exists(), f"the launcher wrote no local {provider} credential ({path})"
    body: dict[str, Any] = json.loads(path.read_text())
    return {**body, "name": f"local-{provider}-{uuid.uuid4().hex[:6]}"}


def add_credential(api: Api, body: dict[str, Any]) -> str:
    response = api.post("/api/v1/credentials", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def accepted(response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["success"] is True
    data: dict[str, Any] = body["data"]
    return data


class Watch:
    """Events of one workspace's stream, kept as they arrive, so waiting for one
    resource never loses another's events; each is checked against its contract."""

    def __init__(self, stream: SseStream, workspace_id: str) -> None:
        self.stream = stream
        self.workspace_id = workspace_id
        self.seen: list[Sse] = []

    def _take(self, timeout: float) -> None:
        item = self.stream.events.get(timeout=timeout)
        event = CloudEvent.model_validate(item.data)
        load_registry().validate(event.name, event.data, version=event.version)
        assert event.workspaceid == self.workspace_id
        assert item.event == event.name
        self.seen.append(item)

    def about(self, subject: str) -> list[str]:
        return [i.event for i in self.seen if i.data["subject"] == subject]

    def wait(self, name: str, subject: str, timeout: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout
        while name not in self.about(subject):
            failed = [
                i for i in self.seen if i.data["subject"] == subject and i.event.endswith("Failed")
            ]
            assert not failed, failed[0].data["data"]
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {name} for {subject}; saw {self.about(subject)}"
            with contextlib.suppress(queue.Empty):
                self._take(min(remaining, 1.0))
        return self.about(subject)


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
def test_network_lifecycle_through_the_gateway(platform, provider):
    api = platform.api()
    workspace = api.signup()["workspace"]["id"]
    credential = add_credential(api, local_credential(platform, provider))
    stream = api.stream()
    watch = Watch(stream, workspace)
    base = f"/api/v1/{provider}/network"
    prefix = RANGE[provider]
    # The local cloud account is shared by every test, so the tag is this test's own.
    team = f"platform-{uuid.uuid4().hex[:6]}"

    vpc = accepted(
        api.post(
            f"{base}/vpcs",
            json={
                "credential_id": credential,
                "name": f"net-{uuid.uuid4().hex[:6]}",
                "region": REGION[provider],
                "cidr_block": f"{prefix}.0.0/16",
                "tags": {"team": team},
            },
        )
    )
    assert (vpc["status"], vpc["managed"], vpc["cidr_block"]) == (
        "PENDING",
        True,
        f"{prefix}.0.0/16",
    )
    assert watch.wait("VpcReady", vpc["id"]) == ["VpcRequested", "VpcReady"]

    subnets = []
    for i in range(2):
        body: dict[str, Any] = {
            "vpc_id": vpc["id"],
            "name": f"nodes-{i}",
            "cidr_block": f"{prefix}.{i}.0/24",
        }
        if provider == "aws":
            body["availability_zone"] = f"us-east-1{'ab'[i]}"
        if provider == "gcp":
            body["region"] = REGION["gcp"]
        subnets.append(accepted(api.post(f"{base}/subnets", json=body)))
    for subnet in subnets:
        assert watch.wait("SubnetReady", subnet["id"])[-1] == "SubnetReady"

    overlap = api.post(
        f"{base}/subnets",
        json={"vpc_id": vpc["id"], "name": "clash", "cidr_block": f"{prefix}.0.128/25"}
        | ({"region": REGION["gcp"]} if provider == "gcp" else {}),
    )
    assert overlap.status_code == 409
    assert overlap.json()["error"]["code"] == "SUBNET_OVERLAP"
    assert "nodes-0" in overlap.json()["error"]["message"]

    rules = [
        {"direction": "ingress", "protocol": "tcp", "from_port": 443, "cidr": "0.0.0.0/0"},
        {"direction": "ingress", "protocol": "tcp", "from_port": 22, "cidr": f"{prefix}.0.0/16"},
    ]
    group = accepted(
        api.post(
            f"{base}/security-groups",
            json={"vpc_id": vpc["id"], "name": f"web-{uuid.uuid4().hex[:4]}", "rules": rules},
        )
    )
    assert watch.wait("SecurityGroupReady", group["id"]) == [
        "SecurityGroupRequested",
        "SecurityGroupReady",
    ]
    changed = accepted(
        api.request("PATCH", f"{base}/security-groups/{group['id']}", json={"rules": rules[:1]})
    )
    assert changed["status"] == "UPDATING"
    assert watch.wait("SecurityGroupUpdated", group["id"])[-1] == ("SecurityGroupUpdated")

    listed = api.get(f"{base}/vpcs", params={"tag": f"team={team}"}).json()["data"]
    assert [(v["id"], v["status"]) for v in listed] == [(vpc["id"], "READY")]
    got = api.get(f"{base}/vpcs/{vpc['id']}").json()["data"]
    assert got["cloud_id"] and got["state"] == "READY"
    if provider == "gcp":
        assert (got["region"], got["routing_mode"], got["mtu"]) == (REGION["gcp"], "REGIONAL", 1460)
        assert got["firewall_rule_count"] == 1
    if provider == "azure":
        assert got["resource_group"] == f"skyclust-network-{REGION['azure']}"
    in_vpc = api.get(f"{base}/subnets", params={"vpc_id": vpc["id"]}).json()["data"]
    assert sorted((s["name"], s["status"]) for s in in_vpc) == [
        ("nodes-0", "READY"),
        ("nodes-1", "READY"),
    ]
    if provider == "aws":
        assert sorted(s["availability_zone"] for s in in_vpc) == ["us-east-1a", "us-east-1b"]
    got_group = api.get(f"{base}/security-groups/{group['id']}").json()["data"]
    assert [(r["protocol"], r["from_port"]) for r in got_group["rules"]] == [("tcp", 443)]
    elsewhere = "gcp" if provider != "gcp" else "aws"
    assert api.get(f"/api/v1/{elsewhere}/network/vpcs/{vpc['id']}").status_code == 404

    in_use = api.delete(f"{base}/vpcs/{vpc['id']}")
    assert in_use.status_code == 409
    error = in_use.json()["error"]
    assert error["code"] == "VPC_IN_USE"
    for name in ("nodes-0", "nodes-1", group["name"]):
        assert name in error["message"]

    accepted(api.delete(f"{base}/security-groups/{group['id']}"))
    assert watch.wait("SecurityGroupDeleted", group["id"])[-1] == ("SecurityGroupDeleted")
    for subnet in subnets:
        accepted(api.delete(f"{base}/subnets/{subnet['id']}"))
    for subnet in subnets:
        assert watch.wait("SubnetDeleted", subnet["id"])[-2:] == [
            "SubnetDeleteRequested",
            "SubnetDeleted",
        ]
    deleting = accepted(api.delete(f"{base}/vpcs/{vpc['id']}"))
    assert deleting["status"] == "DELETING"
    assert watch.wait("VpcDeleted", vpc["id"])[-2:] == [
        "VpcDeleteRequested",
        "VpcDeleted",
    ]
    assert api.get(f"{base}/vpcs/{vpc['id']}").status_code == 404
    if provider == "aws":
        ec2 = boto3.client(
            "ec2",
            region_name="us-east-1",
            endpoint_url=platform.env["SKYCLUST_AWS_ENDPOINT_URL"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        left = ec2.describe_vpcs(
            Filters=[{"Name": "tag:skyclust.io/vpc-id", "Values": [vpc["id"]]}]
        )["Vpcs"]
        assert left == []
    stream.close()


def test_the_planner_refuses_an_overlap_across_clouds_and_suggests_a_free_block(
    platform, local_aws_credential
):
    api = platform.api()
    workspace = api.signup()["workspace"]["id"]
    aws = add_credential(api, {**local_aws_credential, "name": "planner-aws"})
    stream = api.stream(types="VpcReady,VpcFailed")
    watch = Watch(stream, workspace)
    vpc = accepted(
        api.post(
            "/api/v1/aws/network/vpcs",
            json={
                "credential_id": aws,
                "name": "prod",
                "region": "us-west-2",
                "cidr_block": "10.0.0.0/16",
            },
        )
    )
    assert watch.wait("VpcReady", vpc["id"]) == ["VpcReady"]

    check = api.post(
        "/api/v1/network/cidr-plan/check",
        json={"vpcs": [{"provider": "gcp", "name": "analytics", "cidr_block": "10.0.128.0/17"}]},
    )
    assert check.status_code == 200, check.text
    result = check.json()["data"]
    assert result["ok"] is False
    problem = result["problems"][0]
    assert problem["code"] == "CIDR_OVERLAP" and "'prod'" in problem["message"]
    assert problem["conflicts"][0]["id"] == vpc["id"]

    suggested = api.get("/api/v1/network/cidr-plan", params={"prefix_length": 17})
    assert suggested.status_code == 200
    block = suggested.json()["data"]["cidr_block"]
    assert block == "10.1.0.0/17"
    fine = api.post(
        "/api/v1/network/cidr-plan/check",
        json={"vpcs": [{"provider": "gcp", "cidr_block": block}]},
    ).json()["data"]
    assert fine["ok"] is True

    gcp = add_credential(api, local_credential(platform, "gcp"))
    refused = api.post(
        "/api/v1/gcp/network/vpcs",
        json={"credential_id": gcp, "name": "analytics", "cidr_block": "10.0.128.0/17"},
    )
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "CIDR_OVERLAP"
    assert "network 'prod' (aws us-west-2" in error["message"]
    assert error["details"]["conflicts"][0]["id"] == vpc["id"]
    planned = accepted(
        api.post(
            "/api/v1/gcp/network/vpcs",
            json={"credential_id": gcp, "name": "analytics", "prefix_length": 17},
        )
    )
    assert planned["cidr_block"] == block
    stream.close()


def test_discovery_shows_a_network_made_in_moto_as_unmanaged_and_the_planner_counts_it(
    platform, local_aws_credential
):
    api = platform.api()
    api.signup()
    credential = add_credential(api, {**local_aws_credential, "name": "discovery-aws"})
    region = "eu-north-1"
    ec2 = boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=platform.env["SKYCLUST_AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    made = ec2.create_vpc(
        CidrBlock="10.99.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "legacy"}]}],
    )["Vpc"]

    found = api.post(
        "/api/v1/aws/network/vpcs/discover", json={"credential_id": credential, "region": region}
    )
    assert found.status_code == 200, found.text
    legacy = next(v for v in found.json()["data"] if v["cloud_id"] == made["VpcId"])
    assert (legacy["name"], legacy["managed"], legacy["cidr_block"]) == (
        "legacy",
        False,
        "10.99.0.0/16",
    )
    listed = api.get("/api/v1/aws/network/vpcs", params={"managed": "false"}).json()["data"]
    assert legacy["id"] in [v["id"] for v in listed]

    refused = api.post(
        "/api/v1/aws/network/vpcs",
        json={
            "credential_id": credential,
            "name": "new",
            "region": region,
            "cidr_block": "10.99.128.0/17",
        },
    )
    assert refused.status_code == 409
    assert "unmanaged network 'legacy'" in refused.json()["error"]["message"]
    suggested = api.get("/api/v1/network/cidr-plan", params={"prefix_length": 9})
    assert suggested.status_code == 200, suggested.text
    assert suggested.json()["data"]["cidr_block"] == "10.128.0.0/9"
    read_only = api.delete(f"/api/v1/aws/network/vpcs/{legacy['id']}")
    assert read_only.status_code == 409
    assert read_only.json()["error"]["code"] == "NETWORK_NOT_MANAGED"
    adopted = api.post(f"/api/v1/aws/network/vpcs/{legacy['id']}/adopt")
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["data"]["managed"] is True


def test_bad_network_requests_get_clear_errors(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, {**local_aws_credential, "name": "bad-input"})
    base = "/api/v1/aws/network"
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"cidr_block": "10.1.2.3/16"}, 422, "INVALID_CIDR"),
        ({"cidr_block": "8.8.8.0/24"}, 422, "CIDR_NOT_PRIVATE"),
        ({"cidr_block": "10.0.0.0/8"}, 422, "CIDR_PREFIX_OUT_OF_RANGE"),
        ({"region": "mars-1"}, 422, "INVALID_REGION"),
        ({"tags": {"skyclust.io/vpc-id": "x"}}, 422, "RESERVED_TAG"),
        ({"color": "blue"}, 422, "VALIDATION_ERROR"),
        ({"credential_id": str(uuid.uuid4())}, 404, "CREDENTIAL_NOT_FOUND"),
    ]
    for change, status, code in cases:
        body = {
            "credential_id": credential,
            "name": "n1",
            "region": "us-east-1",
            "cidr_block": "10.70.0.0/16",
            **change,
        }
        response = api.post(f"{base}/vpcs", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
            change,
            response.text,
        )
        assert "Traceback" not in response.text
    missing = api.get(f"{base}/vpcs/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "VPC_NOT_FOUND")
    rule = api.post(
        f"{base}/security-groups",
        json={
            "vpc_id": str(uuid.uuid4()),
            "name": "g",
            "rules": [{"direction": "up", "protocol": "tcp", "cidr": "0.0.0.0/0"}],
        },
    )
    assert rule.status_code == 422 and rule.json()["error"]["code"] == "VALIDATION_ERROR"
    plan = api.get("/api/v1/network/cidr-plan", params={"prefix_length": 40})
    assert plan.status_code == 422
    other = platform.api()
    other.signup()
    mine = accepted(
        api.post(
            f"{base}/vpcs",
            json={
                "credential_id": credential,
                "name": "mine",
                "region": "ap-south-1",
                "prefix_length": 20,
            },
        )
    )
    assert other.get(f"{base}/vpcs/{mine['id']}").status_code == 404
    assert other.delete(f"{base}/vpcs/{mine['id']}").status_code == 404
    assert other.get(f"{base}/vpcs").json()["data"] == []
