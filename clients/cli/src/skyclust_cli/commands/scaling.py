"""Scaling a node group, shared by `clusters scale` and `node-groups scale`, and the
budget guardrail's option and warnings, shared by every command that adds nodes."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .. import resolve
from ..errors import CliError, ExitCode
from ..state import State
from ..watch import Operation, Tracker
from ..watching import watched

BudgetOverrideOption = Annotated[
    bool,
    typer.Option(
        "--budget-override", help="go past an enforce budget it would exceed (admins only; audited)"
    ),
]


def budget_warnings(st: State, answer: dict[str, Any]) -> None:
    """The budget guardrail's warnings of a 202, on stderr."""
    for warning in answer.get("warnings") or []:
        st.output.note(f"warning: {warning.get('code')}: {warning.get('message')}")


def node_group_sizes(
    desired: int | None, minimum: int | None, maximum: int | None
) -> dict[str, int]:
    sizes = {
        k: v
        for k, v in (("desired_size", desired), ("min_size", minimum), ("max_size", maximum))
        if v is not None
    }
    if not sizes:
        raise CliError("BAD_ARGUMENT", "give --desired, --min or --max", ExitCode.USAGE)
    return sizes


def scale_node_group(
    st: State,
    cluster_item: dict[str, Any],
    group: dict[str, Any],
    sizes: dict[str, int],
    *,
    watch: bool,
    timeout: float,
    budget_override: bool = False,
) -> dict[str, Any]:
    api = st.api()
    path = f"{resolve.cluster_path(cluster_item)}/node-groups/{group['id']}"
    body: dict[str, Any] = {**sizes, "budget_override": True} if budget_override else sizes

    def start() -> dict[str, Any]:
        changed: dict[str, Any] = api.patch(path, body)
        st.output.note(f"node group {group['name']} of {cluster_item['name']}: scaling to {sizes}")
        budget_warnings(st, changed)
        return changed

    if not watch:
        return start()
    return watched(
        st,
        start,
        lambda g: Tracker(Operation.node_group_scale, group["id"], name=group["name"]),
        lambda g: api.get(path),
        timeout=timeout,
        resource=cluster_item["id"],
    )
