"""Each provider's credential schema, how it is shown masked, and which of its values
are secrets. Unknown fields are refused; errors name the field, never its value."""

from __future__ import annotations

import abc
import json
import re
import uuid
from typing import Any, ClassVar, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InvalidCredentialData, ProviderNotSupported

PROVIDERS = ("aws", "gcp", "azure")


def _ends(value: str, keep: int = 4) -> str:
    return f"{value[:keep]}…{value[-keep:]}" if len(value) > 2 * keep else "…"


class CloudSecret(BaseModel):
    """A provider's credential as the vault stores it (the plaintext that is sealed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    provider: ClassVar[str]

    @abc.abstractmethod
    def masked(self) -> dict[str, str]:
        """Identifiers safe to show: never a secret."""

    @abc.abstractmethod
    def secret_values(self) -> list[str]:
        """The values that must never reach a log line, an event or a response."""

    def account_hint(self) -> str | None:
        """The cloud account this secret belongs to, when the secret itself says so."""
        return None

    def plaintext(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class AwsCredential(CloudSecret):
    provider: ClassVar[str] = "aws"

    access_key_id: str = Field(pattern=r"^[A-Z0-9]{16,128}$")
    secret_access_key: str = Field(min_length=16, max_length=256)
    session_token: str | None = Field(default=None, min_length=1, max_length=4096)
    role_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}$"
    )
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")

    def masked(self) -> dict[str, str]:
        shown = {"access_key_id": _ends(self.access_key_id)}
        if self.region:
            shown["region"] = self.region
        if self.role_arn:
            shown["role_arn"] = self.role_arn
        if self.session_token:
            shown["session_token"] = "present"
        return shown

    def secret_values(self) -> list[str]:
        return [v for v in (self.secret_access_key, self.session_token) if v]


class GcpServiceAccountKey(BaseModel):
    """A service-account key file exactly as the IAM console downloads it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["service_account"]
    # Legacy projects carry a domain prefix ("example.com:project").
    project_id: str = Field(pattern=r"^([a-z0-9.-]{1,63}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    private_key_id: str = Field(pattern=r"^[0-9a-f]{40}$")
    private_key: str = Field(min_length=100, max_length=8192)
    client_email: str = Field(pattern=r"^[^@\s]{1,100}@[a-z0-9.-]{1,200}$", max_length=320)
    client_id: str | None = Field(default=None, pattern=r"^[0-9]{1,32}$")
    auth_uri: str | None = Field(default=None, pattern=r"^https://", max_length=2048)
    token_uri: str = Field(pattern=r"^https?://", max_length=2048)
    auth_provider_x509_cert_url: str | None = Field(default=None, max_length=2048)
    client_x509_cert_url: str | None = Field(default=None, max_length=2048)
    universe_domain: str | None = Field(default=None, max_length=255)

    @field_validator("private_key")
    @classmethod
    def _rsa_private_key(cls, value: str) -> str:
        try:
            key = serialization.load_pem_private_key(value.encode(), password=None)
        except (ValueError, TypeError):
            raise ValueError("is not an unencrypted PEM private key") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("must be an RSA private key")
        return value


class GcpCredential(CloudSecret):
    provider: ClassVar[str] = "gcp"

    service_account_json: GcpServiceAccountKey

    @field_validator("service_account_json", mode="before")
    @classmethod
    def _uploaded_text(cls, value: Any) -> Any:
        # The key file may arrive as its text (what an upload form sends) or as JSON.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("is not a JSON key file") from None
        return value

    @property
    def project_id(self) -> str:
        return self.service_account_json.project_id

    def masked(self) -> dict[str, str]:
        key = self.service_account_json
        return {
            "client_email": key.client_email,
            "project_id": key.project_id,
            "private_key_id": _ends(key.private_key_id),
        }

    def secret_values(self) -> list[str]:
        key = self.service_account_json.private_key
        # The PEM body, line by line, so a fragment cannot slip through either.
        lines = [line for line in key.splitlines() if len(line) >= 16 and "-----" not in line]
        return [key, *lines]

    def account_hint(self) -> str | None:
        return self.project_id

    def plaintext(self) -> bytes:
        # Stored and handed out as the key file's JSON text, whichever way it arrived,
        # which is what Google's libraries and the services using it read.
        key = self.service_account_json.model_dump_json(exclude_none=True)
        return json.dumps({"service_account_json": key}).encode()


_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class AzureCredential(CloudSecret):
    provider: ClassVar[str] = "azure"

    tenant_id: str = Field(pattern=_UUID)
    client_id: str = Field(pattern=_UUID)
    client_secret: str = Field(min_length=8, max_length=256)
    subscription_id: str = Field(pattern=_UUID)

    @field_validator("tenant_id", "client_id", "subscription_id")
    @classmethod
    def _lower(cls, value: str) -> str:
        return str(uuid.UUID(value))

    def masked(self) -> dict[str, str]:
        return {
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "subscription_id": self.subscription_id,
        }

    def secret_values(self) -> list[str]:
        return [self.client_secret]

    def account_hint(self) -> str | None:
        return self.subscription_id


SCHEMAS: dict[str, type[CloudSecret]] = {
    "aws": AwsCredential,
    "gcp": GcpCredential,
    "azure": AzureCredential,
}


def _field(loc: tuple[int | str, ...]) -> str:
    return "data." + ".".join(str(p) for p in loc) if loc else "data"


_VALUE_IN_MESSAGE = re.compile(r"input_value=.*", re.S)


def parse(provider: str, data: dict[str, Any]) -> CloudSecret:
    schema = SCHEMAS.get(provider)
    if schema is None:
        raise ProviderNotSupported(
            f"{provider} credentials are not supported", details={"provider": provider}
        )
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        # Name the fields and the problem, never echo the values: they are secrets.
        fields = [
            {
                "field": _field(err["loc"]),
                "problem": err["type"],
                "message": _VALUE_IN_MESSAGE.sub("", err["msg"]).strip(),
            }
            for err in exc.errors(include_input=False, include_url=False, include_context=False)
        ]
        raise InvalidCredentialData(
            "invalid credential data: " + ", ".join(f["field"] for f in fields),
            details={"errors": fields},
        ) from None


SECRET_FIELDS = frozenset({"secret_access_key", "session_token", "private_key", "client_secret"})


def secret_values_in(data: Any, key: str = "") -> list[str]:
    """The secret values of a stored plaintext, found by field name, so that even a row
    sealed under an older schema has its secrets registered for log redaction."""
    if isinstance(data, dict):
        return [v for k, item in data.items() for v in secret_values_in(item, str(k))]
    if isinstance(data, str) and key == "service_account_json":
        try:
            return secret_values_in(json.loads(data))
        except json.JSONDecodeError:
            return [data]
    if isinstance(data, str) and key in SECRET_FIELDS:
        lines = [line for line in data.splitlines() if len(line) >= 16 and "-----" not in line]
        return [data, *lines] if "\n" in data else [data]
    return []


def load(provider: str, plaintext: bytes) -> CloudSecret:
    """A sealed plaintext back into its schema (it was valid when it was sealed)."""
    return SCHEMAS[provider].model_validate_json(plaintext)
