"""Request bodies. Unknown fields are refused everywhere."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provider(enum.StrEnum):
    aws = "aws"
    gcp = "gcp"
    azure = "azure"


class RegisterBody(Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(min_length=1, max_length=200)
    workspace_name: str = Field(min_length=1, max_length=100)


class LoginBody(Strict):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class CredentialBody(Strict):
    provider: Provider
    name: str = Field(min_length=1, max_length=100)
    data: dict[str, Any]


class AwsConfig(Strict):
    subnet_ids: list[str] | None = Field(default=None, min_length=2, max_length=16)
    security_group_ids: list[str] | None = Field(default=None, max_length=5)
    role_arn: str | None = Field(default=None, min_length=20, max_length=2048)
    endpoint_public_access: bool | None = None
    endpoint_private_access: bool | None = None


class GcpConfig(Strict):
    network: str | None = Field(default=None, max_length=255)
    subnetwork: str | None = Field(default=None, max_length=255)
    machine_type: str | None = Field(default=None, max_length=64)
    node_count: int | None = Field(default=None, ge=1, le=1000)


class AzureConfig(Strict):
    resource_group: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._()-]{1,90}$")
    vm_size: str | None = Field(default=None, max_length=64)
    node_count: int | None = Field(default=None, ge=1, le=1000)


class ClusterBody(Strict):
    """`region` is the provider's own name: us-east-1 (AWS), us-central1 (GCP), westeurope
    (Azure). The config of the path's provider applies; the others are refused."""

    credential_id: uuid.UUID
    name: str = Field(pattern=r"^[a-zA-Z][a-zA-Z0-9-]{0,99}$")
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+$")
    region: str = Field(pattern=r"^[a-z][a-z0-9-]{1,63}$")
    tags: dict[str, str] | None = Field(default=None, max_length=50)
    aws_config: AwsConfig | None = None
    gcp_config: GcpConfig | None = None
    azure_config: AzureConfig | None = None


class Role(enum.StrEnum):
    admin = "admin"
    user = "user"
    viewer = "viewer"


class RefreshBody(Strict):
    refresh_token: str = Field(min_length=1, max_length=512)


class SwitchWorkspaceBody(Strict):
    workspace_id: uuid.UUID


class WorkspaceBody(Strict):
    name: str = Field(min_length=1, max_length=100)


class MemberBody(Strict):
    email: str = Field(min_length=3, max_length=320)
    role: Role


class MemberUpdateBody(Strict):
    role: Role


class ApiKeyBody(Strict):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    expires_at: datetime | None = None
