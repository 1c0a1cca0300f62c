"""`skyclust networks ...`: VPCs (VNets, GCP networks), subnets and security groups in
every cloud, and the workspace's CIDR planner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from .. import resolve
from ..client import Api
from ..errors import CliError, ExitCode
from ..output import Columns
from ..state import OutputOption, YesOption, confirm, key_values, state, with_status
from .clusters import ProviderOption, check_provider

app = typer.Typer(
    help="Networks, subnets, security groups and the CIDR planner.", no_args_is_help=True
)
vpcs = typer.Typer(help="Networks (AWS VPCs, GCP networks, Azure VNets).", no_args_is_help=True)
subnets = typer.Typer(help="Subnets.", no_args_is_help=True)
groups = typer.Typer(help="Security groups (GCP firewall rules, Azure NSGs).", no_args_is_help=True)
app.add_typer(vpcs, name="vpcs")
app.add_typer(subnets, name="subnets")
app.add_typer(groups, name="security-groups")

RefArg = Annotated[str, typer.Argument(help="its name or id")]
RegionOption = Annotated[str | None, typer.Option("--region", "-r", help="only this region")]

VPC_COLUMNS: Columns = [
    ("NAME", "name"),
    ("PROVIDER", "provider"),
    ("REGION", "region"),
    ("CIDR", "cidr_block"),
    ("STATUS", with_status),
    ("MANAGED", "managed"),
    ("CLUSTER", "cluster_id"),
    ("ID", "id"),
]
SUBNET_COLUMNS: Columns = [
    ("NAME", "name"),
    ("PROVIDER", "provider"),
    ("CIDR", "cidr_block"),
    ("ZONE", "availability_zone"),
    ("PUBLIC", "is_public"),
    ("STATUS", with_status),
    ("VPC", "vpc_id"),
    ("ID", "id"),
]
GROUP_COLUMNS: Columns = [
    ("NAME", "name"),
    ("PROVIDER", "provider"),
    ("RULES", lambda g: len(g.get("rules") or [])),
    ("STATUS", with_status),
    ("VPC", "vpc_id"),
    ("ID", "id"),
]
KINDS = {
    "vpcs": ("network", "VPC_NOT_FOUND"),
    "subnets": ("subnet", "SUBNET_NOT_FOUND"),
    "security-groups": ("security group", "SECURITY_GROUP_NOT_FOUND"),
}


def _path(kind: str) -> Any:
    return lambda provider: f"/{provider}/network/{kind}"


def _find(api: Api, kind: str, ref: str, provider: str | None) -> dict[str, Any]:
    what, code = KINDS[kind]
    return resolve.one(resolve.across(api, provider, _path(kind)), ref, what, code)


def _list(
    ctx: typer.Context,
    kind: str,
    columns: Columns,
    provider: str | None,
    output: Any,
    **filters: Any,
) -> None:
    st = state(ctx, output)
    check_provider(provider)
    st.output.table(resolve.across(st.api(), provider, _path(kind), **filters), columns)


def _delete(ctx: typer.Context, kind: str, ref: str, provider: str | None, yes: bool) -> None:
    st = state(ctx)
    found = _find(st.api(), kind, ref, provider)
    confirm(st, f"delete {KINDS[kind][0]} {found['name']} ({found['provider']})?", yes)
    st.api().delete(f"/{found['provider']}/network/{kind}/{found['id']}")
    st.output.note(f"{KINDS[kind][0]} {found['name']}: deleting")


@vpcs.command("list")
def list_vpcs(
    ctx: typer.Context,
    provider: ProviderOption = None,
    region: RegionOption = None,
    output: OutputOption = None,
) -> None:
    """Networks of the workspace, managed and discovered."""
    _list(ctx, "vpcs", VPC_COLUMNS, provider, output, region=region)


@vpcs.command("get")
def get_vpc(
    ctx: typer.Context, vpc: RefArg, provider: ProviderOption = None, output: OutputOption = None
) -> None:
    """One network."""
    st = state(ctx, output)
    st.output.detail(
        _find(st.api(), "vpcs", vpc, provider),
        [*VPC_COLUMNS, ("TAGS", "tags"), ("CLOUD ID", "cloud_id")],
    )


@vpcs.command("create")
def create_vpc(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the network's name")],
    credential: Annotated[
        str, typer.Option("--credential", "-C", help="the credential (name or id)")
    ],
    region: Annotated[
        str | None, typer.Option("--region", "-r", help="required for AWS and Azure")
    ] = None,
    cidr: Annotated[
        str | None, typer.Option("--cidr", help="the block (default: the planner picks a free one)")
    ] = None,
    prefix_length: Annotated[
        int | None, typer.Option("--prefix-length", help="the planned block's size, without --cidr")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="default: the credential's")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="KEY=VALUE; repeat for more")
    ] = None,
    output: OutputOption = None,
) -> None:
    """Create a network, planned against every other network of the workspace."""
    st = state(ctx, output)
    cred = resolve.credential(st.api(), credential)
    body: dict[str, Any] = {"credential_id": cred["id"], "name": name}
    for key, value in (("region", region), ("cidr_block", cidr), ("prefix_length", prefix_length)):
        if value is not None:
            body[key] = value
    if tag:
        body["tags"] = key_values(tag, "--tag")
    created = st.api().post(f"/{provider or cred['provider']}/network/vpcs", body)
    st.output.note(f"network {name} requested ({created['id']})")
    st.output.table(created, VPC_COLUMNS)


@vpcs.command("delete")
def delete_vpc(
    ctx: typer.Context, vpc: RefArg, provider: ProviderOption = None, yes: YesOption = False
) -> None:
    """Delete a network nothing uses."""
    _delete(ctx, "vpcs", vpc, provider, yes)


@subnets.command("list")
def list_subnets(
    ctx: typer.Context,
    provider: ProviderOption = None,
    vpc: Annotated[str | None, typer.Option("--vpc", help="only this network's (id)")] = None,
    output: OutputOption = None,
) -> None:
    """Subnets of the workspace."""
    _list(ctx, "subnets", SUBNET_COLUMNS, provider, output, vpc_id=vpc)


@subnets.command("get")
def get_subnet(
    ctx: typer.Context, subnet: RefArg, provider: ProviderOption = None, output: OutputOption = None
) -> None:
    """One subnet."""
    st = state(ctx, output)
    st.output.detail(
        _find(st.api(), "subnets", subnet, provider),
        [*SUBNET_COLUMNS, ("TAGS", "tags"), ("CLOUD ID", "cloud_id")],
    )


@subnets.command("create")
def create_subnet(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the subnet's name")],
    vpc: Annotated[str, typer.Option("--vpc", help="its network (name or id)")],
    cidr: Annotated[str, typer.Option("--cidr", help="a block inside the network's")],
    zone: Annotated[str | None, typer.Option("--zone", help="availability zone")] = None,
    public: Annotated[bool, typer.Option("--public", help="a public subnet")] = False,
    provider: ProviderOption = None,
    output: OutputOption = None,
) -> None:
    """Create a subnet in a network."""
    st = state(ctx, output)
    network = _find(st.api(), "vpcs", vpc, provider)
    body: dict[str, Any] = {
        "vpc_id": network["id"],
        "name": name,
        "cidr_block": cidr,
        "is_public": public,
    }
    if zone:
        body["availability_zone"] = zone
    created = st.api().post(f"/{network['provider']}/network/subnets", body)
    st.output.note(f"subnet {name} requested ({created['id']})")
    st.output.table(created, SUBNET_COLUMNS)


@subnets.command("delete")
def delete_subnet(
    ctx: typer.Context, subnet: RefArg, provider: ProviderOption = None, yes: YesOption = False
) -> None:
    """Delete a subnet."""
    _delete(ctx, "subnets", subnet, provider, yes)


@groups.command("list")
def list_groups(
    ctx: typer.Context,
    provider: ProviderOption = None,
    vpc: Annotated[str | None, typer.Option("--vpc", help="only this network's (id)")] = None,
    output: OutputOption = None,
) -> None:
    """Security groups of the workspace."""
    _list(ctx, "security-groups", GROUP_COLUMNS, provider, output, vpc_id=vpc)


@groups.command("get")
def get_group(
    ctx: typer.Context, group: RefArg, provider: ProviderOption = None, output: OutputOption = None
) -> None:
    """One security group, with its rules."""
    st = state(ctx, output)
    found = _find(st.api(), "security-groups", group, provider)
    if st.output.data(found):
        return
    st.output.detail(found, [*GROUP_COLUMNS, ("DESCRIPTION", "description")])
    rules = [
        {**r, "ports": f"{r.get('from_port') or ''}-{r.get('to_port') or ''}".strip("-")}
        for r in found.get("rules") or []
    ]
    st.output.table(
        rules,
        [
            ("DIRECTION", "direction"),
            ("PROTOCOL", "protocol"),
            ("CIDR", "cidr"),
            ("PORTS", "ports"),
            ("ACTION", "action"),
            ("DESCRIPTION", "description"),
        ],
    )


@groups.command("delete")
def delete_group(
    ctx: typer.Context, group: RefArg, provider: ProviderOption = None, yes: YesOption = False
) -> None:
    """Delete a security group."""
    _delete(ctx, "security-groups", group, provider, yes)


@app.command("cidr-plan")
def cidr_plan(
    ctx: typer.Context,
    prefix_length: Annotated[
        int, typer.Option("--prefix-length", "-l", help="the block's size, 8 to 29")
    ] = 16,
    region: RegionOption = None,
    provider: ProviderOption = None,
    check: Annotated[
        Path | None,
        typer.Option(
            "--check",
            help="instead, check a layout against the estate "
            "(YAML or JSON: {vpcs: [{cidr_block, subnets: [...]}]})",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    output: OutputOption = None,
) -> None:
    """The next free block across every network of the workspace, in every cloud."""
    st = state(ctx, output)
    if check is not None:
        layout = yaml.safe_load(check.read_text())
        if not isinstance(layout, dict):
            raise CliError("BAD_ARGUMENT", f"{check} must hold a mapping", ExitCode.USAGE)
        result = st.api().post("/network/cidr-plan/check", layout)
        if not st.output.data(result):
            problems = result.get("problems") or []
            st.output.note("no problems" if result.get("ok") else f"{len(problems)} problem(s)")
            if problems:
                st.output.table(
                    problems,
                    [
                        ("CODE", "code"),
                        ("VPC", "vpc_index"),
                        ("SUBNET", "subnet_index"),
                        ("MESSAGE", "message"),
                    ],
                )
        if not result.get("ok"):
            raise typer.Exit(ExitCode.API)
        return
    planned = st.api().get(
        "/network/cidr-plan", prefix_length=prefix_length, region=region, provider=provider
    )
    st.output.detail(
        planned,
        [
            ("CIDR", "cidr_block"),
            ("PREFIX", "prefix_length"),
            ("REGION", "region"),
            ("PROVIDER", "provider"),
            ("NETWORKS CONSIDERED", "networks_considered"),
        ],
    )
