# Generated from contracts/ by `uv run --frozen python -m skyclust_tools.gen_messages`:
# do not edit; change the contract and run that again (`make lint` checks it is done).
"""The data of every bus command (contracts/commands)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictInt, StrictStr, StringConstraints
from typing_extensions import TypeAliasType

from skyclust_common.messages.base import BusCommandData
from skyclust_common.messages.formats import DateTime, Uri, Uuid


class ProvisionClusterNetwork(BusCommandData):
    """
    Create (idempotently, per cluster_id) a network for a cluster: a network from the
    planner, subnets in different zones and the cluster's firewall rules; or, with vpc_id,
    use a provided network. Replies ClusterNetworkReady or ClusterNetworkFailed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "vpc_id",
                "subnet_ids",
                "cidr_block",
                "prefix_length",
                "subnet_prefix_length",
                "subnet_count",
                "resource_group",
                "tags",
            ],
            "skyclust-contract": {"name": "ProvisionClusterNetwork", "version": 1},
        },
    )
    request_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    cluster_id: Uuid
    cluster_name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    vpc_id: Uuid | None = None
    subnet_ids: Annotated[list[Uuid] | None, Field(max_length=16, min_length=2)] = None
    cidr_block: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    prefix_length: Annotated[StrictInt | None, Field(ge=16, le=24)] = None
    subnet_prefix_length: Annotated[StrictInt | None, Field(ge=16, le=28)] = None
    subnet_count: Annotated[StrictInt | None, Field(ge=2, le=6)] = None
    resource_group: Annotated[StrictStr | None, Field(max_length=90, min_length=1)] = None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            ProvisionClusterNetworkTagsAdditionalProperty,
        ]
        | None,
        Field(max_length=50),
    ] = None


ProvisionClusterNetworkTagsAdditionalProperty = TypeAliasType(
    "ProvisionClusterNetworkTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class ReleaseClusterNetwork(BusCommandData):
    """
    Remove a cluster's generated network (a provided one is left alone). Replies
    ClusterNetworkReleased or ClusterNetworkFailed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ReleaseClusterNetwork", "version": 1}},
    )
    request_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    cluster_id: Uuid


class SendAccountEmail(BusCommandData):
    """
    Send an account email (address verification, password reset) to one user. Only identity
    sends it; the notification service mails it once per command id.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SendAccountEmail", "version": 1}},
    )
    user_id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    template: Literal["verify_email", "password_reset", "change_email"]
    link: Annotated[Uri, Field(max_length=2000, min_length=1)]
    expires_at: DateTime


BY_CONTRACT: dict[tuple[str, int], type[BusCommandData]] = {
    (ProvisionClusterNetwork.CONTRACT, ProvisionClusterNetwork.VERSION): ProvisionClusterNetwork,
    (ReleaseClusterNetwork.CONTRACT, ReleaseClusterNetwork.VERSION): ReleaseClusterNetwork,
    (SendAccountEmail.CONTRACT, SendAccountEmail.VERSION): SendAccountEmail,
}
