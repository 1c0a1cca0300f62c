"""`skyclust clusters ...`: EKS, GKE and AKS clusters in one list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from .. import kubeconfig as kube
from .. import resolve
from ..client import decode
from ..errors import CliError, ExitCode, api_error
from ..output import Columns
from ..state import (
    PROVIDERS,
    OutputOption,
    State,
    TimeoutOption,
    WatchOption,
    YesOption,
    confirm,
    key_values,
    state,
    with_status,
)
from ..watch import Operation, Tracker
from ..watching import watched
from .scaling import BudgetOverrideOption, budget_warnings, node_group_sizes, scale_node_group

app = typer.Typer(help="Kubernetes clusters in every cloud.", no_args_is_help=True)

ProviderOption = Annotated[
    str | None, typer.Option("--provider", "-p", help="aws, gcp or azure (default: every one)")
]


def complete_cluster(ctx: typer.Context, incomplete: str) -> list[str]:
    """Cluster names for shell completion; nothing when the gateway cannot say."""
    try:
        names = [c["name"] for c in resolve.across(state(ctx).api(), None, resolve.clusters_path)]
    except Exception:
        return []
    return sorted(n for n in set(names) if n.startswith(incomplete))


ClusterArg = Annotated[
    str, typer.Argument(help="the cluster's name or id", autocompletion=complete_cluster)
]

COLUMNS: Columns = [
    ("NAME", "name"),
    ("PROVIDER", "provider"),
    ("REGION", "region"),
    ("VERSION", "version"),
    ("STATUS", with_status),
    ("PROGRESS", lambda c: f"{c.get('progress', 0)}%" + (f" {c['step']}" if c.get("step") else "")),
    ("ID", "id"),
]
DETAIL: Columns = [
    ("name", "name"),
    ("id", "id"),
    ("provider", "provider"),
    ("region", "region"),
    ("version", "version"),
    ("status", "status"),
    ("reason", "status_reason"),
    ("message", "status_message"),
    ("step", "step"),
    ("progress", "progress"),
    ("endpoint", "endpoint"),
    (
        "network",
        lambda c: " ".join(
            str(v)
            for v in (
                (c.get("network") or {}).get("vpc_id"),
                (c.get("network") or {}).get("cidr_block"),
            )
            if v
        ),
    ),
    ("managed", "managed"),
    ("target version", "target_version"),
    (
        "conditions",
        lambda c: ", ".join(f"{x['type']}={x['status']}" for x in c.get("conditions") or []),
    ),
    ("drift", lambda c: ", ".join(d.get("field", "") for d in c.get("drift") or [])),
    ("created", "created_at"),
]
NODE_GROUP_COLUMNS: Columns = [
    ("NAME", "name"),
    ("STATUS", with_status),
    ("DESIRED", "desired_size"),
    ("MIN", "min_size"),
    ("MAX", "max_size"),
    ("TYPE", "instance_type"),
    ("VERSION", "version"),
    ("ID", "id"),
]


def check_provider(provider: str | None) -> None:
    if provider is not None and provider not in PROVIDERS:
        raise CliError(
            "BAD_ARGUMENT", f"--provider is one of {', '.join(PROVIDERS)}", ExitCode.USAGE
        )


def show(st: State, item: dict[str, Any]) -> None:
    st.output.detail(item, DETAIL)


@app.command("list")
def list_clusters(
    ctx: typer.Context,
    provider: ProviderOption = None,
    status: Annotated[str | None, typer.Option(help="only clusters in this status")] = None,
    region: Annotated[str | None, typer.Option(help="only clusters in this region")] = None,
    output: OutputOption = None,
) -> None:
    """Clusters of the workspace, in every cloud (or one)."""
    st = state(ctx, output)
    check_provider(provider)
    items = resolve.across(st.api(), provider, resolve.clusters_path)
    items = [
        c
        for c in items
        if (status is None or c.get("status") == status.upper())
        and (region is None or c.get("region") == region)
    ]
    st.output.table(items, COLUMNS)


@app.command("get")
def get_cluster(
    ctx: typer.Context,
    cluster: ClusterArg,
    provider: ProviderOption = None,
    output: OutputOption = None,
) -> None:
    """One cluster: status, step, conditions, network, drift."""
    st = state(ctx, output)
    show(st, resolve.cluster(st.api(), cluster, provider))


def node_group_spec(spec: str) -> dict[str, Any]:
    """`name=workers,desired=2[,min=1][,max=3][,type=m5.large]`."""
    fields = key_values(spec.split(","), "--node-group")
    unknown = set(fields) - {"name", "min", "max", "desired", "type"}
    if unknown or "name" not in fields:
        raise CliError(
            "BAD_ARGUMENT",
            f"--node-group is name=N,desired=D[,min=M][,max=X][,type=T], not {spec!r}",
            ExitCode.USAGE,
        )
    try:
        desired = int(fields.get("desired", "1"))
        minimum = int(fields.get("min", str(min(1, desired))))
        maximum = int(fields.get("max", str(max(desired, minimum))))
    except ValueError as exc:
        raise CliError(
            "BAD_ARGUMENT", f"--node-group sizes are numbers: {spec!r}", ExitCode.USAGE
        ) from exc
    body: dict[str, Any] = {
        "name": fields["name"],
        "min_size": minimum,
        "max_size": maximum,
        "desired_size": desired,
    }
    if fields.get("type"):
        body["instance_type"] = fields["type"]
    return body


def _body_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    loaded = yaml.safe_load(path.read_text())
    if not isinstance(loaded, dict):
        raise CliError("BAD_ARGUMENT", f"{path} must hold a mapping", ExitCode.USAGE)
    return loaded


@app.command("create")
def create_cluster(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the new cluster's name")],
    credential: Annotated[
        str | None, typer.Option("--credential", "-C", help="the credential (name or id)")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Kubernetes version, X.Y")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", "-r", help="the cloud's region (default: the credential's)"),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option("--provider", "-p", help="aws, gcp or azure (default: the credential's)"),
    ] = None,
    node_group: Annotated[
        list[str] | None,
        typer.Option(
            "--node-group", "-n", help="name=N,desired=D[,min=M][,max=X][,type=T]; repeat for more"
        ),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="KEY=VALUE; repeat for more")
    ] = None,
    vpc: Annotated[
        str | None,
        typer.Option("--vpc", help="an existing SkyClust network's id (default: one is made)"),
    ] = None,
    subnet: Annotated[
        list[str] | None,
        typer.Option("--subnet", help="a subnet id of --vpc; repeat (two or more)"),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            "-f",
            help="the request body as YAML or JSON; options override it",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    budget_override: BudgetOverrideOption = False,
    watch: WatchOption = False,
    timeout: TimeoutOption = 3600.0,
    output: OutputOption = None,
) -> None:
    """Ask for a cluster (202: it is PENDING); with --watch, follow it to READY. Its
    monthly estimate is checked against the workspace's budgets first."""
    st = state(ctx, output)
    check_provider(provider)
    api = st.api()
    body = _body_file(from_file)
    body["name"] = name
    cred_ref = credential or body.get("credential_id")
    if not cred_ref:
        raise CliError(
            "BAD_ARGUMENT", "give --credential (a credential's name or id)", ExitCode.USAGE
        )
    cred = resolve.credential(api, str(cred_ref))
    body["credential_id"] = cred["id"]
    provider = provider or body.pop("provider", None) or cred["provider"]
    body["version"] = version or body.get("version")
    body["region"] = region or body.get("region") or (cred.get("masked") or {}).get("region")
    for field, flag in (("version", "--version"), ("region", "--region")):
        if not body.get(field):
            raise CliError("BAD_ARGUMENT", f"give {flag}", ExitCode.USAGE)
    if node_group:
        body["node_groups"] = [node_group_spec(spec) for spec in node_group]
    if tag:
        body["tags"] = {**(body.get("tags") or {}), **key_values(tag, "--tag")}
    if vpc:
        body["network"] = {"vpc_id": vpc, **({"subnet_ids": subnet} if subnet else {})}
    if budget_override:
        body["budget_override"] = True
    path = resolve.clusters_path(str(provider))

    def start() -> dict[str, Any]:
        created: dict[str, Any] = api.post(path, body)
        st.output.note(f"cluster {name} requested ({created['id']})")
        budget_warnings(st, created)
        return created

    if not watch:
        show(st, start())
        return
    groups = len(body.get("node_groups") or [])
    final = watched(
        st,
        start,
        lambda c: Tracker(Operation.create, c["id"], name=name, node_groups=groups),
        lambda c: api.get(f"{path}/{c['id']}"),
        timeout=timeout,
    )
    st.output.note(f"cluster {name} is {final.get('status')}")
    show(st, final)


@app.command("scale")
def scale_cluster(
    ctx: typer.Context,
    cluster: ClusterArg,
    desired: Annotated[int | None, typer.Option("--desired", help="nodes wanted")] = None,
    minimum: Annotated[int | None, typer.Option("--min", help="the autoscaler's minimum")] = None,
    maximum: Annotated[int | None, typer.Option("--max", help="the autoscaler's maximum")] = None,
    node_group: Annotated[
        str | None,
        typer.Option("--node-group", "-n", help="which node group (needed when there are several)"),
    ] = None,
    provider: ProviderOption = None,
    budget_override: BudgetOverrideOption = False,
    watch: WatchOption = False,
    timeout: TimeoutOption = 1800.0,
    output: OutputOption = None,
) -> None:
    """Resize one of the cluster's node groups."""
    st = state(ctx, output)
    sizes = node_group_sizes(desired, minimum, maximum)
    api = st.api()
    item = resolve.cluster(api, cluster, provider)
    if node_group:
        group = resolve.node_group(api, item, node_group)
    else:
        groups = list(api.items(f"{resolve.cluster_path(item)}/node-groups"))
        if len(groups) != 1:
            raise CliError(
                "BAD_ARGUMENT",
                f"{item['name']} has {len(groups)} node groups: give --node-group",
                ExitCode.USAGE,
            )
        group = groups[0]
    scaled = scale_node_group(
        st, item, group, sizes, watch=watch, timeout=timeout, budget_override=budget_override
    )
    st.output.table(scaled, NODE_GROUP_COLUMNS)


def _node_group_count(st: State, item: dict[str, Any]) -> int:
    return len(list(st.api().items(f"{resolve.cluster_path(item)}/node-groups")))


def _changed(
    st: State,
    item: dict[str, Any],
    start: Callable[[], dict[str, Any]],
    operation: Operation,
    watch: bool,
    timeout: float,
    **tracked: Any,
) -> dict[str, Any] | None:
    """Ask for a change of the cluster with `start`. Without `watch`, show its answer and
    return None; with it, follow the change to its end and return the cluster then."""
    if not watch:
        show(st, start())
        return None
    groups = _node_group_count(st, item)
    path = resolve.cluster_path(item)
    return watched(
        st,
        start,
        lambda c: Tracker(operation, item["id"], name=item["name"], node_groups=groups, **tracked),
        lambda c: st.api().get(path),
        timeout=timeout,
        resource=item["id"],
    )


@app.command("upgrade")
def upgrade_cluster(
    ctx: typer.Context,
    cluster: ClusterArg,
    version: Annotated[
        str, typer.Option("--version", help="the Kubernetes version to move to (one minor up)")
    ],
    provider: ProviderOption = None,
    watch: WatchOption = False,
    timeout: TimeoutOption = 5400.0,
    output: OutputOption = None,
) -> None:
    """Upgrade the control plane, then the node groups."""
    st = state(ctx, output)
    api = st.api()
    item = resolve.cluster(api, cluster, provider)
    path = resolve.cluster_path(item)

    def start() -> dict[str, Any]:
        changed: dict[str, Any] = api.patch(path, {"version": version})
        st.output.note(f"cluster {item['name']}: upgrading to {version}")
        return changed

    final = _changed(st, item, start, Operation.upgrade, watch, timeout, target_version=version)
    if final is not None:
        show(st, final)


@app.command("delete")
def delete_cluster(
    ctx: typer.Context,
    cluster: ClusterArg,
    provider: ProviderOption = None,
    yes: YesOption = False,
    watch: WatchOption = False,
    timeout: TimeoutOption = 3600.0,
    output: OutputOption = None,
) -> None:
    """Delete the cluster: node groups, control plane, then the network made for it."""
    st = state(ctx, output)
    api = st.api()
    item = resolve.cluster(api, cluster, provider)
    confirm(st, f"delete cluster {item['name']} ({item['provider']}, {item['region']})?", yes)
    path = resolve.cluster_path(item)

    def start() -> dict[str, Any]:
        changed: dict[str, Any] = api.delete(path)
        st.output.note(f"cluster {item['name']}: deleting")
        return changed

    final = _changed(st, item, start, Operation.delete, watch, timeout)
    if final is not None:
        st.output.note(f"cluster {item['name']} deleted")
        st.output.data({**final, "status": "DELETED"})


@app.command("kubeconfig")
def kubeconfig(
    ctx: typer.Context,
    cluster: ClusterArg,
    provider: ProviderOption = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="merge into this file (default: $KUBECONFIG's first file, else ~/.kube/config)",
        ),
    ] = None,
    alias: Annotated[
        str | None,
        typer.Option("--alias", help="the kubectl context's name (default: the cluster's)"),
    ] = None,
    print_only: Annotated[
        bool, typer.Option("--print", help="print it instead of merging it")
    ] = False,
    static: Annotated[
        bool, typer.Option("--static", help="a short-lived token in the file, no exec plugin")
    ] = False,
    set_current: Annotated[
        bool,
        typer.Option("--set-current/--no-set-current", help="make it kubectl's current context"),
    ] = True,
) -> None:
    """A kubeconfig whose user runs `skyclust kubeconfig token` (or, --static, holds a
    short-lived token), merged into yours as `aws eks update-kubeconfig` does."""
    st = state(ctx)
    api = st.api()
    item = resolve.cluster(api, cluster, provider)
    mode = {"mode": "static" if static else "exec"}
    response = api.send("GET", f"{resolve.cluster_path(item)}/kubeconfig", params=mode)
    if response.is_error:
        raise api_error(response.status_code, decode(response))
    new = kube.pin_context(kube.parse(response.text, "the gateway's kubeconfig"), st.context().name)
    if alias:
        new = kube.rename(new, alias)
    if print_only:
        st.output.text(yaml.safe_dump(new, sort_keys=False))
        return
    path = file or kube.default_path()
    merged = kube.update(path, new, set_current=set_current)
    expires = response.headers.get("x-credential-expires-at")
    st.output.note(
        f"merged cluster {item['name']} into {path}; "
        f"kubectl context {merged.get('current-context')!r}"
        + (f"; its credential expires at {expires}" if expires else "")
    )
