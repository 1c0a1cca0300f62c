"""ProvisionClusterNetwork: record the request, then walk the steps of
`domain.cluster_network.next_step` (plan the network, create it, plan the subnets and
the firewall, create them side by side, finish), or check and use the network the
cluster brings; on a failure that is final, tear down what was made and reply
ClusterNetworkFailed."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import Awaitable
from typing import Any

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import Conflict, Forbidden, PermanentFailure, SkyclustError
from skyclust_common.messages.commands import ProvisionClusterNetwork
from skyclust_common.messaging import Delivery
from skyclust_common.observability import saga_step

from ...adapters.db import ClusterNetwork, SecurityGroup, Subnet, Vpc
from ...adapters.providers.base import NetworkProvider
from ...domain import cidr
from ...domain.cluster_network import Claim, State, Step, claim, next_step
from ...domain.errors import InvalidMessage, NotEnoughZones, VpcNotFound, VpcNotReady
from ...domain.lifecycle import Operation
from ...domain.model import (
    CLUSTER_TAG,
    GCP_GLOBAL,
    Status,
    cluster_network_name,
    cluster_rules,
    default_resource_group,
    plain_text,
    validate_region,
    validate_tags,
)
from .. import security_groups, subnets, vpcs
from ..common import NetworkDeps, provider_of, ride_out, secret
from ..lifecycle import Kind, transition
from .engine import (
    Snapshot,
    exclusive,
    failed_reply,
    load,
    ready_data,
    record,
    reply,
    should_retry,
    tear_down,
)

PENDING = frozenset({Status.PENDING})
# What the command may add to the cluster's record: its optional fields.
OPTIONS = tuple(
    name for name, field in ProvisionClusterNetwork.model_fields.items() if not field.is_required()
)


def _validate(command: CloudEvent) -> tuple[uuid.UUID, ProvisionClusterNetwork]:
    if not command.workspaceid:
        raise InvalidMessage("the command carries no workspaceid")
    try:
        request = ProvisionClusterNetwork.parse(command.data)
        validate_region(request.provider, request.region)
        validate_tags(request.tags)
        plain_text(request.cluster_name, "cluster_name")
        plain_text(request.request_id, "request_id")
        return uuid.UUID(command.workspaceid), request
    except (SkyclustError, ValueError) as exc:
        raise InvalidMessage(f"invalid command: {exc}") from None


async def on_provision_cluster_network(
    deps: NetworkDeps, command: CloudEvent, delivery: Delivery
) -> None:
    workspace_id, request = _validate(command)
    await ride_out(deps, command, lambda: _run(deps, command, request, delivery, workspace_id))


async def _claim(
    deps: NetworkDeps, command: CloudEvent, request: ProvisionClusterNetwork, ws: uuid.UUID
) -> Claim:
    data = command.data
    cluster_id = request.cluster_id
    async with deps.uow() as uow:
        row = await uow.cluster_networks.get(cluster_id, for_update=True)
        recorded = None
        if row is not None:
            recorded = Snapshot(row).record()
        decision = claim(recorded, request.request_id, str(ws))
        if decision is Claim.REJECT:
            raise PermanentFailure("cluster id belongs to another workspace", code=Forbidden.code)
        if decision is Claim.START:
            if row is None:
                row = ClusterNetwork(cluster_id=cluster_id)
                uow.cluster_networks.add(row)
            # As the command carried them: the record's options are the contract's JSON.
            options = {k: data[k] for k in OPTIONS if data.get(k) is not None}
            row.workspace_id = ws
            row.request_id = request.request_id
            row.provider = request.provider
            row.credential_id = request.credential_id
            row.region = request.region
            row.cluster_name = request.cluster_name
            row.vpc_id = None
            row.generated = "vpc_id" not in options
            row.status = State.PROVISIONING
            row.status_reason = row.status_message = None
            row.options = options
            await uow.commit()
        return decision


async def _answer_again(deps: NetworkDeps, command: CloudEvent, cluster_id: uuid.UUID) -> None:
    """READY, FAILED or RELEASED for this very request: the same answer once more."""
    snapshot = await load(deps, cluster_id)
    row = snapshot.row
    assert row is not None
    if row.status == State.READY and snapshot.vpc is not None:
        answer = reply("ClusterNetworkReady", command, str(cluster_id), ready_data(snapshot))
    else:
        answer = failed_reply(
            command,
            row,
            row.status_reason or "CLUSTER_NETWORK_RELEASED",
            row.status_message or "the cluster's network was released",
            operation="provision",
        )
    async with deps.uow() as uow:
        uow.emit(answer)
        await uow.commit()


async def _run(
    deps: NetworkDeps,
    command: CloudEvent,
    request: ProvisionClusterNetwork,
    delivery: Delivery,
    workspace_id: uuid.UUID,
) -> None:
    cluster_id = request.cluster_id
    async with exclusive(deps, cluster_id):
        decision = await _claim(deps, command, request, workspace_id)
        if decision is Claim.ANSWER:
            return await _answer_again(deps, command, cluster_id)
        row = (await load(deps, cluster_id)).row
        assert row is not None
        error: SkyclustError | None = None
        credential: dict[str, Any] | None = None
        try:
            credential = await secret(
                deps,
                str(workspace_id),
                str(row.credential_id),
                "create cluster network",
                str(cluster_id),
            )
            if decision is not Claim.COMPENSATE:
                if row.generated:
                    await _provision(deps, command, row, credential)
                else:
                    await _use_provided(deps, command, row)
                return
        except SkyclustError as exc:
            if should_retry(deps, command, delivery, exc):
                raise
            error = exc
            await record(
                deps,
                cluster_id,
                [],
                status=State.COMPENSATING,
                status_reason=exc.code[:64],
                status_message=exc.message[:2000],
            )
            if not row.generated:
                credential = None
        row = (await load(deps, cluster_id)).row
        assert row is not None
        if credential is not None:
            # Transient errors while cleaning up come back with the message; the row
            # stays COMPENSATING so the next delivery carries on cleaning.
            reason = error or SkyclustError(row.status_message or "", code=row.status_reason)
            await tear_down(deps, cluster_id, credential, reason)
        failed = failed_reply(
            command,
            row,
            row.status_reason or "CLUSTER_NETWORK_FAILED",
            row.status_message or "the cluster network failed",
            operation="provision",
        )
        await record(deps, cluster_id, [failed], status=State.FAILED)


# the steps of a generated network ---------------------------------------------------------


async def _provision(
    deps: NetworkDeps, command: CloudEvent, row: ClusterNetwork, credential: dict[str, Any]
) -> None:
    provider = provider_of(deps, row.provider)
    zones: list[str] | None = None
    while True:
        snapshot = await load(deps, row.cluster_id)
        step = next_step(snapshot.progress())
        vpc = snapshot.vpc
        with saga_step("cluster-network", step.value):
            if step is Step.PLAN_NETWORK:
                await _plan_network(deps, row)
            elif step is Step.CREATE_NETWORK:
                assert vpc is not None
                zones = await _create_network(deps, provider, credential, row, vpc)
            elif step is Step.BLOCKED:
                assert vpc is not None
                raise VpcNotReady(f"network '{vpc.name}' is {vpc.status}")
            elif step is Step.PLAN_MEMBERS:
                assert vpc is not None
                if zones is None:
                    zones = _enough(row, await provider.zones(credential, row.region))
                await _plan_members(deps, row, snapshot, zones)
            elif step is Step.CREATE_MEMBERS:
                await _create_members(deps, provider, credential, snapshot)
            else:
                return await _finish(deps, command, row, snapshot)


def _enough(row: ClusterNetwork, zones: list[str]) -> list[str]:
    if row.provider == "aws" and len(zones) < 2:
        raise NotEnoughZones(
            f"{row.region} has fewer than two availability zones",
            provider=row.provider,
        )
    return zones


async def _plan_network(deps: NetworkDeps, row: ClusterNetwork) -> None:
    options = row.options or {}
    provider = row.provider
    gcp = provider == "gcp"
    async with deps.uow() as uow:
        await uow.lock_plan(row.workspace_id)
        existing = [v.known() for v in await uow.vpcs.planned(row.workspace_id)]
        block, _ = vpcs.plan_vpc(
            existing, provider, options.get("cidr_block"), options.get("prefix_length"), False
        )
        vpc = Vpc(
            id=uuid.uuid4(),
            workspace_id=row.workspace_id,
            provider=provider,
            credential_id=row.credential_id,
            name=cluster_network_name(row.cluster_name, str(row.cluster_id)),
            region=GCP_GLOBAL if gcp else row.region,
            cidr_block=block,
            address_space=[block],
            resource_group=(options.get("resource_group") or default_resource_group(row.region))
            if provider == "azure"
            else None,
            managed=True,
            allow_overlap=False,
            is_default=False,
            status=Status.PENDING,
            tags={**options.get("tags", {}), CLUSTER_TAG: str(row.cluster_id)},
            network_mode="CUSTOM" if gcp else None,
            routing_mode="REGIONAL" if gcp else None,
            mtu=1460 if gcp else None,
            auto_subnets=False if gcp else None,
            cluster_id=row.cluster_id,
            created_by="cluster-network",
        )
        uow.vpcs.add(vpc)
        uow.emit(vpcs.KIND.event("Requested", vpc))
        cluster_row = await uow.cluster_networks.get(row.cluster_id, for_update=True)
        assert cluster_row is not None
        cluster_row.vpc_id = vpc.id
        await uow.commit()


async def _create_network(
    deps: NetworkDeps,
    provider: NetworkProvider,
    credential: dict[str, Any],
    row: ClusterNetwork,
    vpc: Vpc,
) -> list[str]:
    """The network, and meanwhile the zones its subnets will go in: the zones do not
    depend on it. The network's row is READY before a failure of either is raised."""
    cloud_vpc, zones = await asyncio.gather(
        provider.create_vpc(credential, vpc.spec()),
        provider.zones(credential, row.region),
        return_exceptions=True,
    )
    if isinstance(cloud_vpc, BaseException):
        raise cloud_vpc
    await transition(
        deps,
        vpcs.KIND,
        str(row.workspace_id),
        str(vpc.id),
        PENDING,
        Status.READY,
        lambda r: [vpcs.KIND.event("Ready", r)],
        cloud_id=cloud_vpc.cloud_id,
    )
    if isinstance(zones, BaseException):
        raise zones
    return _enough(row, zones)


async def _plan_members(
    deps: NetworkDeps, row: ClusterNetwork, snapshot: Snapshot, zones: list[str]
) -> None:
    """The subnets, carved from the network's range one per zone, and the firewall with
    the rules a cluster of the provider needs: recorded in one transaction."""
    vpc = snapshot.vpc
    assert vpc is not None
    options = row.options or {}
    # What a subnet and a group of the cluster's network share.
    member = {
        "workspace_id": row.workspace_id,
        "vpc_id": vpc.id,
        "provider": vpc.provider,
        "credential_id": vpc.credential_id,
        "status": Status.PENDING,
        "cluster_id": row.cluster_id,
        "created_by": "cluster-network",
    }
    tags = {CLUSTER_TAG: str(row.cluster_id)}
    async with deps.uow() as uow:
        if not snapshot.subnets:
            count = int(options.get("subnet_count") or 2)
            vpc_net = ipaddress.IPv4Network(vpc.cidr_block or "")
            limit = cidr.limits_for(vpc.provider).subnet[1]
            prefix = int(options.get("subnet_prefix_length") or min(vpc_net.prefixlen + 4, limit))
            for i, block in enumerate(cidr.carve(vpc_net, prefix, count)):
                subnet = Subnet(
                    id=uuid.uuid4(),
                    name=f"{vpc.name}-{i + 1}",
                    region=row.region,
                    availability_zone=zones[i % len(zones)] if zones else None,
                    cidr_block=str(block),
                    is_public=False,
                    tags=dict(tags),
                    **member,
                )
                uow.subnets.add(subnet)
                uow.emit(subnets.KIND.event("Requested", subnet))
        if not snapshot.groups:
            group = SecurityGroup(
                id=uuid.uuid4(),
                name=f"{vpc.name}-cluster",
                region=vpc.region,
                description=f"Kubernetes cluster {row.cluster_name}",
                rules=[r.to_dict() for r in cluster_rules(vpc.provider, vpc.cidr_block or "")],
                tags=dict(tags),
                **member,
            )
            uow.security_groups.add(group)
            uow.emit(security_groups.KIND.event("Requested", group))
        await uow.commit()


async def _create_members(
    deps: NetworkDeps, provider: NetworkProvider, credential: dict[str, Any], snapshot: Snapshot
) -> None:
    """The subnets and the firewall depend only on the network: made side by side. Every
    one finishes (or fails) before a failure is raised, so a teardown never races a
    create still under way."""
    vpc = snapshot.vpc
    assert vpc is not None
    ws = str(vpc.workspace_id)

    async def make(kind: Kind[Any], row: Subnet | SecurityGroup) -> None:
        fields = await kind.cloud[Operation.CREATE](deps, provider, credential, row, vpc) or {}
        ready = kind.event
        await transition(
            deps,
            kind,
            ws,
            str(row.id),
            PENDING,
            Status.READY,
            lambda r: [ready("Ready", r)],
            **fields,
        )

    work: list[Awaitable[None]] = [
        *(make(subnets.KIND, s) for s in snapshot.subnets if s.status == Status.PENDING),
        *(make(security_groups.KIND, g) for g in snapshot.groups if g.status == Status.PENDING),
    ]
    for outcome in await asyncio.gather(*work, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome


async def _finish(
    deps: NetworkDeps, command: CloudEvent, row: ClusterNetwork, snapshot: Snapshot
) -> None:
    assert snapshot.vpc is not None
    ready = reply("ClusterNetworkReady", command, str(row.cluster_id), ready_data(snapshot))
    async with deps.uow() as uow:
        await uow.cluster_links.link(
            row.workspace_id, row.cluster_id, snapshot.vpc.id, row.cluster_name
        )
        current = await uow.cluster_networks.get(row.cluster_id, for_update=True)
        assert current is not None
        current.status = State.READY
        uow.emit(ready)
        await uow.commit()


# a network the cluster brings -----------------------------------------------------------


async def _use_provided(deps: NetworkDeps, command: CloudEvent, row: ClusterNetwork) -> None:
    """The cluster brings its own network: check it and answer with it; create nothing."""
    options = row.options or {}
    async with deps.uow() as uow:
        vpc = await uow.vpcs.get(row.workspace_id, uuid.UUID(options["vpc_id"]))
        if vpc is None or vpc.status == Status.DELETED or vpc.provider != row.provider:
            raise Conflict("the provided network does not exist", code=VpcNotFound.code)
        if vpc.status != Status.READY:
            raise VpcNotReady(f"the provided network is {vpc.status}")
        wanted = {uuid.UUID(s) for s in options.get("subnet_ids", [])}
        ready_subnets = [
            s
            for s in await uow.subnets.of_vpc(vpc.id)
            if s.status == Status.READY and (not wanted or s.id in wanted)
        ]
        if len(ready_subnets) < 2 or (wanted and len(ready_subnets) != len(wanted)):
            raise Conflict(
                "the provided network needs at least two READY subnets",
                code="NETWORK_REQUIRED",
            )
        groups = [g for g in await uow.security_groups.of_vpc(vpc.id) if g.status == Status.READY]
        await uow.cluster_links.link(row.workspace_id, row.cluster_id, vpc.id, row.cluster_name)
        current = await uow.cluster_networks.get(row.cluster_id, for_update=True)
        assert current is not None
        current.vpc_id = vpc.id
        current.status = State.READY
        snapshot = Snapshot(current, vpc, ready_subnets, groups)
        uow.emit(reply("ClusterNetworkReady", command, str(row.cluster_id), ready_data(snapshot)))
        await uow.commit()
