"""One workspace with an AWS and a GCP credential on in-memory clouds, over real
PostgreSQL: what the resource tests share."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_common.errors import SkyclustError
from skyclust_network.adapters.providers.fake import FakeNetworkProvider
from skyclust_network.handlers import (
    vpcs,
)
from skyclust_network.handlers.common import NetworkDeps

from ..helpers import FakeVault, call, make_deps, settle

AWS_KEY = {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "s", "region": "us-east-1"}


class World:
    """One workspace with an AWS and a GCP credential on in-memory clouds."""

    def __init__(self, sessions: Any) -> None:
        self.aws = FakeNetworkProvider(name="aws")
        self.gcp = FakeNetworkProvider(name="gcp")
        self.vault = FakeVault()
        self.workspace = str(uuid.uuid4())
        self.aws_credential = self.vault.add(self.workspace, "aws", AWS_KEY)
        self.gcp_credential = self.vault.add(self.workspace, "gcp", {"service_account_json": "{}"})
        self.deps: NetworkDeps = make_deps(sessions, {"aws": self.aws, "gcp": self.gcp}, self.vault)
        self.actor = str(uuid.uuid4())

    def body(self, **kw: Any) -> dict[str, Any]:
        return {"workspace_id": self.workspace, "actor_id": self.actor, **kw}

    def query(self, **kw: Any) -> dict[str, Any]:
        """A query's request: queries name no actor."""
        return {"workspace_id": self.workspace, **kw}

    async def vpc(self, provider: str = "aws", settle_it: bool = True, **kw: Any) -> dict[str, Any]:
        credential = self.aws_credential if provider == "aws" else self.gcp_credential
        values: dict[str, Any] = {
            "provider": provider,
            "credential_id": credential,
            "name": f"net-{uuid.uuid4().hex[:6]}",
        }
        if provider == "aws":
            values["region"] = "us-east-1"
        values.update(kw)
        created = await call(vpcs.create_vpc, self.deps, self.body(**values))
        if settle_it:
            await settle(self.deps, created["id"])
        return created

    async def get(self, vpc: dict[str, Any]) -> dict[str, Any]:
        return await call(vpcs.get_vpc, self.deps, self.query(vpc_id=vpc["id"]))


async def error_of(call: Any) -> SkyclustError:
    with pytest.raises(SkyclustError) as info:
        await call
    return info.value


def event_of(name: str, workspace: str, data: dict[str, Any]) -> Any:
    from skyclust_common.envelope import new_event

    return new_event(
        name, data, source="test", workspace_id=workspace, subject=data.get("cluster_id")
    )
