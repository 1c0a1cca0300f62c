"""`skyclust node-groups ...`: a cluster's node groups (EKS node groups, GKE node pools,
AKS agent pools)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .. import resolve
from ..output import Columns
from ..state import (
    OutputOption,
    State,
    TimeoutOption,
    WatchOption,
    YesOption,
    confirm,
    key_values,
    state,
)
from ..watch import Operation, Tracker
from ..watching import watched
from .clusters import NODE_GROUP_COLUMNS, ClusterArg, ProviderOption
from .scaling import BudgetOverrideOption, budget_warnings, node_group_sizes, scale_node_group

app = typer.Typer(help="A cluster's node groups.", no_args_is_help=True)
GroupArg = Annotated[str, typer.Argument(help="the node group's name or id")]

COLUMNS: Columns = NODE_GROUP_COLUMNS


def _group_path(item: dict[str, Any], group_id: str | None = None) -> str:
    base = f"{resolve.cluster_path(item)}/node-groups"
    return f"{base}/{group_id}" if group_id else base


@app.command("list")
def list_groups(
    ctx: typer.Context,
    cluster: ClusterArg,
    provider: ProviderOption = None,
    output: OutputOption = None,
) -> None:
    """The cluster's node groups."""
    st = state(ctx, output)
    item = resolve.cluster(st.api(), cluster, provider)
    st.output.table(list(st.api().items(_group_path(item))), COLUMNS)


@app.command("get")
def get_group(
    ctx: typer.Context,
    cluster: ClusterArg,
    group: GroupArg,
    provider: ProviderOption = None,
    output: OutputOption = None,
) -> None:
    """One node group."""
    st = state(ctx, output)
    item = resolve.cluster(st.api(), cluster, provider)
    found = resolve.node_group(st.api(), item, group)
    st.output.detail(
        found,
        [
            *COLUMNS,
            ("LABELS", "labels"),
            (
                "TAINTS",
                lambda g: [
                    f"{t['key']}={t.get('value', '')}:{t['effect']}" for t in g.get("taints") or []
                ],
            ),
            ("CREATED", "created_at"),
        ],
    )


def _taints(values: list[str] | None) -> list[dict[str, str]] | None:
    if not values:
        return None
    taints = []
    for raw in values:
        pair, _, effect = raw.rpartition(":")
        key, _, value = pair.partition("=")
        taints.append({"key": key, "value": value, "effect": effect})
    return taints


@app.command("create")
def create_group(
    ctx: typer.Context,
    cluster: ClusterArg,
    name: Annotated[str, typer.Argument(help="the node group's name")],
    desired: Annotated[int, typer.Option("--desired", help="nodes wanted")] = 1,
    minimum: Annotated[
        int | None, typer.Option("--min", help="the autoscaler's minimum (default: --desired)")
    ] = None,
    maximum: Annotated[
        int | None, typer.Option("--max", help="the autoscaler's maximum (default: --desired)")
    ] = None,
    instance_type: Annotated[
        str | None,
        typer.Option("--instance-type", help="machine type (the cloud's default otherwise)"),
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="KEY=VALUE; repeat for more")
    ] = None,
    taint: Annotated[
        list[str] | None, typer.Option("--taint", help="KEY=VALUE:EFFECT; repeat for more")
    ] = None,
    provider: ProviderOption = None,
    budget_override: BudgetOverrideOption = False,
    watch: WatchOption = False,
    timeout: TimeoutOption = 1800.0,
    output: OutputOption = None,
) -> None:
    """Add a node group to a READY cluster (checked against the budgets first)."""
    st = state(ctx, output)
    api = st.api()
    item = resolve.cluster(api, cluster, provider)
    body: dict[str, Any] = {
        "name": name,
        "desired_size": desired,
        "min_size": desired if minimum is None else minimum,
        "max_size": desired if maximum is None else maximum,
    }
    if instance_type:
        body["instance_type"] = instance_type
    if label:
        body["labels"] = key_values(label, "--label")
    if taint:
        body["taints"] = _taints(taint)
    if budget_override:
        body["budget_override"] = True

    def start() -> dict[str, Any]:
        created: dict[str, Any] = api.post(_group_path(item), body)
        st.output.note(f"node group {name} of {item['name']} requested ({created['id']})")
        budget_warnings(st, created)
        return created

    if not watch:
        st.output.table(start(), COLUMNS)
        return
    final = watched(
        st,
        start,
        lambda g: Tracker(Operation.node_group_create, g["id"], name=name),
        lambda g: api.get(_group_path(item, g["id"])),
        timeout=timeout,
        resource=item["id"],
    )
    st.output.table(final, COLUMNS)


@app.command("scale")
def scale_group(
    ctx: typer.Context,
    cluster: ClusterArg,
    group: GroupArg,
    desired: Annotated[int | None, typer.Option("--desired", help="nodes wanted")] = None,
    minimum: Annotated[int | None, typer.Option("--min", help="the autoscaler's minimum")] = None,
    maximum: Annotated[int | None, typer.Option("--max", help="the autoscaler's maximum")] = None,
    provider: ProviderOption = None,
    budget_override: BudgetOverrideOption = False,
    watch: WatchOption = False,
    timeout: TimeoutOption = 1800.0,
    output: OutputOption = None,
) -> None:
    """Resize a node group (a scale-up is checked against the budgets first)."""
    st = state(ctx, output)
    sizes = node_group_sizes(desired, minimum, maximum)
    item = resolve.cluster(st.api(), cluster, provider)
    found = resolve.node_group(st.api(), item, group)
    scaled = scale_node_group(
        st, item, found, sizes, watch=watch, timeout=timeout, budget_override=budget_override
    )
    st.output.table(scaled, COLUMNS)


def delete_node_group(
    st: State, item: dict[str, Any], found: dict[str, Any], *, watch: bool, timeout: float
) -> dict[str, Any]:
    api = st.api()
    path = _group_path(item, found["id"])

    def start() -> dict[str, Any]:
        changed: dict[str, Any] = api.delete(path)
        st.output.note(f"node group {found['name']} of {item['name']}: deleting")
        return changed

    if not watch:
        return start()
    final = watched(
        st,
        start,
        lambda g: Tracker(Operation.node_group_delete, found["id"], name=found["name"]),
        lambda g: api.get(path),
        timeout=timeout,
        resource=item["id"],
    )
    return {**final, "status": "DELETED"}


@app.command("delete")
def delete_group(
    ctx: typer.Context,
    cluster: ClusterArg,
    group: GroupArg,
    provider: ProviderOption = None,
    yes: YesOption = False,
    watch: WatchOption = False,
    timeout: TimeoutOption = 1800.0,
    output: OutputOption = None,
) -> None:
    """Delete a node group."""
    st = state(ctx, output)
    item = resolve.cluster(st.api(), cluster, provider)
    found = resolve.node_group(st.api(), item, group)
    confirm(st, f"delete node group {found['name']} of {item['name']}?", yes)
    st.output.table(delete_node_group(st, item, found, watch=watch, timeout=timeout), COLUMNS)
