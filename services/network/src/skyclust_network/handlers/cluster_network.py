"""A network for a cluster. ProvisionClusterNetwork creates, idempotently, a network from
the planner, subnets in different zones and the firewall rules a cluster of that provider
needs, all tagged as generated for the cluster, and replies ClusterNetworkReady; when a
step fails for good it deletes what it created and replies ClusterNetworkFailed.
ReleaseClusterNetwork deletes a generated network and leaves a provided one alone.

Each step persists its result before the next starts, and one run per cluster holds an
advisory lock for its whole length, so a redelivered or repeated command resumes where
the last run stopped and never creates anything twice."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from skyclust_common.db import advisory_xact_lock
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import Conflict, PermanentFailure, ProviderError, SkyclustError
from skyclust_common.messaging import Delivery

from ..adapters.db import (
    ClusterLinks,
    ClusterNetwork,
    ClusterNetworks,
    SecurityGroup,
    SecurityGroups,
    Subnet,
    Subnets,
    Vpc,
    Vpcs,
    lock_workspace_plan,
)
from ..domain import cidr
from ..domain.model import (
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
from . import security_groups, subnets, vpcs
from .common import (
    SOURCE,
    NetworkDeps,
    detached,
    failed_event,
    provider_of,
    retry_left,
    ride_out,
    secret,
    transient,
    transition,
)

PROVISIONING = "PROVISIONING"
READY = "READY"
COMPENSATING = "COMPENSATING"
FAILED = "FAILED"
RELEASING = "RELEASING"
RELEASED = "RELEASED"


def _reply(name: str, command: CloudEvent, cluster_id: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(
        name,
        {"request_id": command.data["request_id"], "cluster_id": cluster_id, **data},
        source=SOURCE,
        subject=cluster_id,
        workspace_id=command.workspaceid,
        correlation_id=command.correlationid or cluster_id,
        causation_id=command.id,
    )


@asynccontextmanager
async def _exclusive(deps: NetworkDeps, cluster_id: uuid.UUID) -> AsyncIterator[None]:
    """One run per cluster at a time: the lock lives in a transaction held open for the
    run and is released when it ends, even if the process dies."""
    async with deps.uow() as guard:
        await advisory_xact_lock(guard.session, f"cluster-network:{cluster_id}")
        yield


async def _cluster_rows(
    deps: NetworkDeps, cluster_id: uuid.UUID
) -> tuple[ClusterNetwork | None, Vpc | None, list[Subnet], list[SecurityGroup]]:
    async with deps.uow() as uow:
        row = await ClusterNetworks(uow.session).get(cluster_id)
        if row is None:
            return None, None, [], []
        vpc = None
        subnet_rows: list[Subnet] = []
        group_rows: list[SecurityGroup] = []
        if row.vpc_id is not None:
            vpc = await Vpcs(uow.session).get(row.workspace_id, row.vpc_id)
            subnet_rows = await Subnets(uow.session).of_vpc(row.vpc_id)
            group_rows = await SecurityGroups(uow.session).of_vpc(row.vpc_id)
        for item in [row, vpc, *subnet_rows, *group_rows]:
            if item is not None:
                detached(uow.session, item)
        return row, vpc, subnet_rows, group_rows


async def _set(
    deps: NetworkDeps, cluster_id: uuid.UUID, events: list[CloudEvent], **fields: Any
) -> None:
    async with deps.uow() as uow:
        row = await ClusterNetworks(uow.session).get(cluster_id, for_update=True)
        assert row is not None
        for key, value in fields.items():
            setattr(row, key, value)
        for event in events:
            uow.emit(event)
        await uow.commit()


def _ready_data(
    row: ClusterNetwork, vpc: Vpc, subnet_rows: list[Subnet], group_rows: list[SecurityGroup]
) -> dict[str, Any]:
    return {
        "provider": row.provider,
        "credential_id": str(row.credential_id),
        "region": row.region,
        "generated": row.generated,
        "vpc": {
            "id": str(vpc.id),
            "name": vpc.name,
            "cloud_id": vpc.cloud_id,
            "cidr_block": vpc.cidr_block,
            "resource_group": vpc.resource_group,
        },
        "subnets": [
            {
                "id": str(s.id),
                "name": s.name,
                "cloud_id": s.cloud_id,
                "cidr_block": s.cidr_block,
                "region": s.region,
                "availability_zone": s.availability_zone,
            }
            for s in subnet_rows
        ],
        "security_groups": [
            {"id": str(g.id), "name": g.name, "cloud_id": g.cloud_id} for g in group_rows
        ],
    }


# provisioning ---------------------------------------------------------------------------


async def _claim(deps: NetworkDeps, command: CloudEvent, workspace_id: uuid.UUID) -> str | None:
    """Record the request; None when it needs no work (a repeat answered again)."""
    data = command.data
    cluster_id = uuid.UUID(data["cluster_id"])
    async with deps.uow() as uow:
        repo = ClusterNetworks(uow.session)
        row = await repo.get(cluster_id, for_update=True)
        if row is not None and row.workspace_id != workspace_id:
            raise PermanentFailure("cluster id belongs to another workspace", code="FORBIDDEN")
        restart = row is not None and (
            row.status in (FAILED, RELEASED) and row.request_id != data["request_id"]
        )
        if row is None or restart:
            options = {
                k: data[k]
                for k in (
                    "vpc_id",
                    "subnet_ids",
                    "cidr_block",
                    "prefix_length",
                    "subnet_prefix_length",
                    "subnet_count",
                    "resource_group",
                    "tags",
                )
                if data.get(k) is not None
            }
            if row is None:
                row = ClusterNetwork(cluster_id=cluster_id)
                uow.session.add(row)
            row.workspace_id = workspace_id
            row.request_id = data["request_id"]
            row.provider = data["provider"]
            row.credential_id = uuid.UUID(data["credential_id"])
            row.region = data["region"]
            row.cluster_name = data["cluster_name"]
            row.vpc_id = None
            row.generated = "vpc_id" not in options
            row.status = PROVISIONING
            row.status_reason = row.status_message = None
            row.options = options
            await uow.commit()
            return PROVISIONING
        if row.status in (PROVISIONING, COMPENSATING):
            return row.status
        await uow.commit()
    # READY, FAILED or RELEASED for this very request: answer it again.
    row, vpc, subnet_rows, group_rows = await _cluster_rows(deps, cluster_id)
    assert row is not None
    async with deps.uow() as uow:
        if row.status == READY and vpc is not None:
            uow.emit(
                _reply(
                    "ClusterNetworkReady",
                    command,
                    str(cluster_id),
                    _ready_data(row, vpc, subnet_rows, group_rows),
                )
            )
        else:
            uow.emit(
                _reply(
                    "ClusterNetworkFailed",
                    command,
                    str(cluster_id),
                    {
                        "provider": row.provider,
                        "code": row.status_reason or "CLUSTER_NETWORK_RELEASED",
                        "message": row.status_message or "the cluster's network was released",
                        "retryable": False,
                        "operation": "provision",
                    },
                )
            )
        await uow.commit()
    return None


async def _ensure_vpc(deps: NetworkDeps, row: ClusterNetwork) -> Vpc:
    if row.vpc_id is not None:
        async with deps.uow() as uow:
            found = await Vpcs(uow.session).get(row.workspace_id, row.vpc_id)
            assert found is not None
            return detached(uow.session, found)
    options = row.options or {}
    provider = row.provider
    region = GCP_GLOBAL if provider == "gcp" else row.region
    name = cluster_network_name(row.cluster_name, str(row.cluster_id))
    async with deps.uow() as uow:
        await lock_workspace_plan(uow.session, row.workspace_id)
        existing = [v.known() for v in await Vpcs(uow.session).planned(row.workspace_id)]
        block, _ = vpcs.plan_vpc(
            existing, provider, options.get("cidr_block"), options.get("prefix_length"), False
        )
        vpc = Vpc(
            id=uuid.uuid4(),
            workspace_id=row.workspace_id,
            provider=provider,
            credential_id=row.credential_id,
            name=name,
            region=region,
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
            network_mode="CUSTOM" if provider == "gcp" else None,
            routing_mode="REGIONAL" if provider == "gcp" else None,
            mtu=1460 if provider == "gcp" else None,
            auto_subnets=False if provider == "gcp" else None,
            cluster_id=row.cluster_id,
            created_by="cluster-network",
        )
        uow.session.add(vpc)
        uow.emit(vpcs.requested_event(vpc))
        cluster_row = await ClusterNetworks(uow.session).get(row.cluster_id, for_update=True)
        assert cluster_row is not None
        cluster_row.vpc_id = vpc.id
        await uow.commit()
        await uow.session.refresh(vpc)
        return detached(uow.session, vpc)


async def _ensure_subnet_rows(
    deps: NetworkDeps, row: ClusterNetwork, vpc: Vpc, zones: list[str]
) -> list[Subnet]:
    options = row.options or {}
    async with deps.uow() as uow:
        existing = await Subnets(uow.session).of_vpc(vpc.id)
        if not existing:
            count = int(options.get("subnet_count") or 2)
            vpc_net = ipaddress.IPv4Network(vpc.cidr_block or "")
            limit = cidr.limits_for(vpc.provider).subnet[1]
            prefix = int(options.get("subnet_prefix_length") or min(vpc_net.prefixlen + 4, limit))
            blocks = cidr.carve(vpc_net, prefix, count)
            for i, block in enumerate(blocks):
                subnet = Subnet(
                    id=uuid.uuid4(),
                    workspace_id=row.workspace_id,
                    vpc_id=vpc.id,
                    provider=vpc.provider,
                    credential_id=vpc.credential_id,
                    name=f"{vpc.name}-{i + 1}",
                    region=row.region,
                    availability_zone=zones[i % len(zones)] if zones else None,
                    cidr_block=str(block),
                    is_public=False,
                    status=Status.PENDING,
                    tags={CLUSTER_TAG: str(row.cluster_id)},
                    cluster_id=row.cluster_id,
                    created_by="cluster-network",
                )
                uow.session.add(subnet)
                uow.emit(subnets.requested_event(subnet))
            await uow.commit()
            existing = await Subnets(uow.session).of_vpc(vpc.id)
        return [detached(uow.session, s) for s in existing]


async def _ensure_group_row(deps: NetworkDeps, row: ClusterNetwork, vpc: Vpc) -> SecurityGroup:
    async with deps.uow() as uow:
        existing = await SecurityGroups(uow.session).of_vpc(vpc.id)
        if existing:
            return detached(uow.session, existing[0])
        group = SecurityGroup(
            id=uuid.uuid4(),
            workspace_id=row.workspace_id,
            vpc_id=vpc.id,
            provider=vpc.provider,
            credential_id=vpc.credential_id,
            name=f"{vpc.name}-cluster",
            region=vpc.region,
            description=f"Kubernetes cluster {row.cluster_name}",
            rules=[r.to_dict() for r in cluster_rules(vpc.provider, vpc.cidr_block or "")],
            status=Status.PENDING,
            tags={CLUSTER_TAG: str(row.cluster_id)},
            cluster_id=row.cluster_id,
            created_by="cluster-network",
        )
        uow.session.add(group)
        uow.emit(security_groups.requested_event(group))
        await uow.commit()
        await uow.session.refresh(group)
        return detached(uow.session, group)


async def _provision(
    deps: NetworkDeps, command: CloudEvent, row: ClusterNetwork, credential: dict[str, Any]
) -> None:
    provider = provider_of(deps, row.provider)
    ws = str(row.workspace_id)
    pending = frozenset({Status.PENDING})

    vpc = await _ensure_vpc(deps, row)
    if vpc.status == Status.PENDING:
        cloud_vpc = await provider.create_vpc(credential, vpc.spec())
        await transition(
            deps,
            Vpc,
            ws,
            str(vpc.id),
            pending,
            Status.READY,
            lambda r: [vpcs.ready_event(r)],
            cloud_id=cloud_vpc.cloud_id,
        )
        vpc = await _ensure_vpc(deps, (await _cluster_rows(deps, row.cluster_id))[0] or row)
    if vpc.status != Status.READY:
        raise Conflict(f"network '{vpc.name}' is {vpc.status}", code="VPC_NOT_READY")

    zones = await provider.zones(credential, row.region)
    if row.provider == "aws" and len(zones) < 2:
        raise ProviderError(
            f"{row.region} has fewer than two availability zones",
            code="NOT_ENOUGH_ZONES",
            provider=row.provider,
        )

    async def make_subnet(subnet: Subnet) -> None:
        cloud_subnet = await provider.create_subnet(credential, vpc.spec(), subnet.spec())
        await transition(
            deps,
            Subnet,
            ws,
            str(subnet.id),
            pending,
            Status.READY,
            lambda r: [subnets.ready_event(r)],
            cloud_id=cloud_subnet.cloud_id,
            availability_zone=cloud_subnet.zone or subnet.availability_zone,
        )

    async def make_group() -> None:
        group = await _ensure_group_row(deps, row, vpc)
        if group.status != Status.PENDING:
            return
        cloud_group = await provider.create_security_group(credential, vpc.spec(), group.spec())
        await transition(
            deps,
            SecurityGroup,
            ws,
            str(group.id),
            pending,
            Status.READY,
            lambda r: [security_groups.ready_event(r)],
            cloud_id=cloud_group.cloud_id,
        )

    # The subnets and the firewall depend only on the network: made side by side. Every
    # one finishes (or fails) before a failure is raised, so a teardown never races a
    # create still under way.
    subnet_rows = await _ensure_subnet_rows(deps, row, vpc, zones)
    outcomes = await asyncio.gather(
        *(make_subnet(s) for s in subnet_rows if s.status == Status.PENDING),
        make_group(),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome

    current, vpc_now, subnet_rows, group_rows = await _cluster_rows(deps, row.cluster_id)
    assert current is not None and vpc_now is not None
    async with deps.uow() as uow:
        await ClusterLinks(uow.session).link(
            row.workspace_id, row.cluster_id, vpc_now.id, row.cluster_name
        )
        await uow.commit()
    await _set(
        deps,
        row.cluster_id,
        [
            _reply(
                "ClusterNetworkReady",
                command,
                str(row.cluster_id),
                _ready_data(current, vpc_now, subnet_rows, group_rows),
            )
        ],
        status=READY,
    )


async def _use_provided(deps: NetworkDeps, command: CloudEvent, row: ClusterNetwork) -> None:
    """The cluster brings its own network: check it and answer with it; create nothing."""
    options = row.options or {}
    async with deps.uow() as uow:
        vpc = await Vpcs(uow.session).get(row.workspace_id, uuid.UUID(options["vpc_id"]))
        if vpc is None or vpc.status == Status.DELETED or vpc.provider != row.provider:
            raise Conflict("the provided network does not exist", code="VPC_NOT_FOUND")
        if vpc.status != Status.READY:
            raise Conflict(f"the provided network is {vpc.status}", code="VPC_NOT_READY")
        wanted = {uuid.UUID(s) for s in options.get("subnet_ids", [])}
        subnet_rows = [
            s
            for s in await Subnets(uow.session).of_vpc(vpc.id)
            if s.status == Status.READY and (not wanted or s.id in wanted)
        ]
        if len(subnet_rows) < 2 or (wanted and len(subnet_rows) != len(wanted)):
            raise Conflict(
                "the provided network needs at least two READY subnets",
                code="NETWORK_REQUIRED",
            )
        group_rows = [
            g for g in await SecurityGroups(uow.session).of_vpc(vpc.id) if g.status == Status.READY
        ]
        await ClusterLinks(uow.session).link(
            row.workspace_id, row.cluster_id, vpc.id, row.cluster_name
        )
        current = await ClusterNetworks(uow.session).get(row.cluster_id, for_update=True)
        assert current is not None
        current.vpc_id = vpc.id
        current.status = READY
        uow.emit(
            _reply(
                "ClusterNetworkReady",
                command,
                str(row.cluster_id),
                _ready_data(current, vpc, subnet_rows, group_rows),
            )
        )
        await uow.commit()


async def _tear_down(
    deps: NetworkDeps,
    cluster_id: uuid.UUID,
    credential: dict[str, Any],
    error: SkyclustError | None,
) -> None:
    """Delete in the cloud everything generated for the cluster, groups and subnets first,
    the network last; each row is marked deleted as soon as its cloud resource is gone.
    Rows that never reached the cloud end with a ...Failed event naming `error`; the
    network's row is gone all the same, so it also ends with VpcDeleted, which is what
    releases its claim on the credential (credential-vault counts networks by it)."""
    row, vpc, subnet_rows, group_rows = await _cluster_rows(deps, cluster_id)
    if row is None or vpc is None or not row.generated:
        return
    provider = provider_of(deps, row.provider)
    ws = str(row.workspace_id)
    live = frozenset(set(Status) - {Status.DELETED})

    def ended(prefix: str, deleted: Any) -> Any:
        def events(r: Any) -> list[CloudEvent]:
            if r.cloud_id is None and error is not None:
                return [failed_event(prefix, r, error, "create")]
            return [deleted(r)]

        return events

    for group in group_rows:
        await provider.delete_security_group(credential, vpc.spec(), group.spec())
        await transition(
            deps,
            SecurityGroup,
            ws,
            str(group.id),
            live,
            Status.DELETED,
            ended("SecurityGroup", security_groups.deleted_event),
        )
    for subnet in subnet_rows:
        await provider.delete_subnet(credential, vpc.spec(), subnet.spec())
        await transition(
            deps,
            Subnet,
            ws,
            str(subnet.id),
            live,
            Status.DELETED,
            ended("Subnet", subnets.deleted_event),
        )
    if vpc.status != Status.DELETED:
        await provider.delete_vpc(credential, vpc.spec())
        if await provider.get_vpc(credential, vpc.spec()) is not None:
            raise ProviderError(
                "the cloud still shows the network", code="PROVIDER_UNAVAILABLE", retryable=True
            )

        def vpc_ended(r: Vpc) -> list[CloudEvent]:
            if r.cloud_id is None and error is not None:
                return [failed_event("Vpc", r, error, "create"), vpcs.deleted_event(r)]
            return [vpcs.deleted_event(r)]

        await transition(deps, Vpc, ws, str(vpc.id), live, Status.DELETED, vpc_ended)


def _validate(command: CloudEvent) -> uuid.UUID:
    if not command.workspaceid:
        raise PermanentFailure("the command carries no workspaceid", code="INVALID_MESSAGE")
    data = command.data
    try:
        validate_region(data["provider"], data["region"])
        validate_tags(data.get("tags"))
        plain_text(data["cluster_name"], "cluster_name")
        plain_text(data["request_id"], "request_id")
        return uuid.UUID(command.workspaceid)
    except (SkyclustError, ValueError) as exc:
        raise PermanentFailure(f"invalid command: {exc}", code="INVALID_MESSAGE") from None


async def on_provision_cluster_network(
    deps: NetworkDeps, command: CloudEvent, delivery: Delivery
) -> None:
    workspace_id = _validate(command)
    await ride_out(deps, command, lambda: _provision_run(deps, command, delivery, workspace_id))


def _retry(deps: NetworkDeps, command: CloudEvent, delivery: Delivery, exc: SkyclustError) -> bool:
    """Raise `exc` for another try (in place or by redelivery) rather than fail?"""
    return transient(exc) and (
        delivery.num_delivered < deps.max_attempts or retry_left(deps, command) > 0
    )


async def _provision_run(
    deps: NetworkDeps, command: CloudEvent, delivery: Delivery, workspace_id: uuid.UUID
) -> None:
    cluster_id = uuid.UUID(command.data["cluster_id"])
    async with _exclusive(deps, cluster_id):
        state = await _claim(deps, command, workspace_id)
        if state is None:
            return
        row = (await _cluster_rows(deps, cluster_id))[0]
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
            if state == PROVISIONING:
                if row.generated:
                    await _provision(deps, command, row, credential)
                else:
                    await _use_provided(deps, command, row)
                return
        except SkyclustError as exc:
            if _retry(deps, command, delivery, exc):
                raise
            error = exc
            await _set(
                deps,
                cluster_id,
                [],
                status=COMPENSATING,
                status_reason=exc.code[:64],
                status_message=exc.message[:2000],
            )
            if not row.generated:
                credential = None
        row = (await _cluster_rows(deps, cluster_id))[0]
        assert row is not None
        if credential is not None:
            # Transient errors while cleaning up come back with the message; the row
            # stays COMPENSATING so the next delivery carries on cleaning.
            reason = error or SkyclustError(row.status_message or "", code=row.status_reason)
            await _tear_down(deps, cluster_id, credential, reason)
        await _set(
            deps,
            cluster_id,
            [
                _reply(
                    "ClusterNetworkFailed",
                    command,
                    str(cluster_id),
                    {
                        "provider": row.provider,
                        "code": row.status_reason or "CLUSTER_NETWORK_FAILED",
                        "message": row.status_message or "the cluster network failed",
                        "retryable": False,
                        "operation": "provision",
                    },
                )
            ],
            status=FAILED,
        )


# releasing ------------------------------------------------------------------------------


async def on_release_cluster_network(
    deps: NetworkDeps, command: CloudEvent, delivery: Delivery
) -> None:
    if not command.workspaceid:
        raise PermanentFailure("the command carries no workspaceid", code="INVALID_MESSAGE")
    await ride_out(deps, command, lambda: _release_run(deps, command, delivery))


async def _release_run(deps: NetworkDeps, command: CloudEvent, delivery: Delivery) -> None:
    assert command.workspaceid is not None
    cluster_id = uuid.UUID(command.data["cluster_id"])
    async with _exclusive(deps, cluster_id):
        row, vpc, _, _ = await _cluster_rows(deps, cluster_id)
        if row is None or str(row.workspace_id) != command.workspaceid:
            async with deps.uow() as uow:
                uow.emit(
                    _reply(
                        "ClusterNetworkReleased",
                        command,
                        str(cluster_id),
                        {"vpc_id": None, "deleted": False},
                    )
                )
                await uow.commit()
            return
        vpc_id = str(row.vpc_id) if row.vpc_id else None
        if row.status == RELEASED:
            await _set(
                deps,
                cluster_id,
                [
                    _reply(
                        "ClusterNetworkReleased",
                        command,
                        str(cluster_id),
                        {"vpc_id": vpc_id, "deleted": row.generated},
                    )
                ],
            )
            return
        delete = row.generated and vpc is not None and vpc.status != Status.DELETED
        if delete:
            await _set(deps, cluster_id, [], status=RELEASING)
            try:
                credential = await secret(
                    deps,
                    command.workspaceid,
                    str(row.credential_id),
                    "delete cluster network",
                    str(cluster_id),
                )
                await _tear_down(deps, cluster_id, credential, None)
            except SkyclustError as exc:
                if _retry(deps, command, delivery, exc):
                    raise
                await _set(
                    deps,
                    cluster_id,
                    [
                        _reply(
                            "ClusterNetworkFailed",
                            command,
                            str(cluster_id),
                            {
                                "provider": row.provider,
                                "code": exc.code[:64],
                                "message": exc.message[:2000],
                                "retryable": transient(exc),
                                "operation": "release",
                            },
                        )
                    ],
                    status=READY,
                    status_reason=exc.code[:64],
                    status_message=exc.message[:2000],
                )
                return
        async with deps.uow() as uow:
            await ClusterLinks(uow.session).unlink(cluster_id)
            await uow.commit()
        await _set(
            deps,
            cluster_id,
            [
                _reply(
                    "ClusterNetworkReleased",
                    command,
                    str(cluster_id),
                    {"vpc_id": vpc_id, "deleted": bool(delete)},
                )
            ],
            status=RELEASED,
        )
