"""Each provider's credential schema and how it is shown masked."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skyclust_common.errors import SkyclustError, ValidationFailed


class AwsCredential(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_key_id: str = Field(pattern=r"^[A-Z0-9]{16,128}$")
    secret_access_key: str = Field(min_length=16, max_length=256)
    session_token: str | None = Field(default=None, min_length=1, max_length=4096)
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")

    def masked(self) -> dict[str, str]:
        key = self.access_key_id
        shown = {"access_key_id": f"{key[:4]}…{key[-4:]}"}
        if self.region:
            shown["region"] = self.region
        return shown


SCHEMAS: dict[str, type[AwsCredential]] = {"aws": AwsCredential}


class ProviderNotSupported(SkyclustError):
    code = "PROVIDER_NOT_SUPPORTED"
    status = 422


def parse(provider: str, data: dict[str, Any]) -> AwsCredential:
    schema = SCHEMAS.get(provider)
    if schema is None:
        raise ProviderNotSupported(
            f"{provider} credentials are not supported yet", details={"provider": provider}
        )
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        # Name the fields, never echo the values: they are secrets.
        fields = [
            {"field": "data." + ".".join(str(p) for p in err["loc"]), "problem": err["type"]}
            for err in exc.errors()
        ]
        raise ValidationFailed(
            "invalid credential data: " + ", ".join(f["field"] for f in fields),
            code="INVALID_CREDENTIAL_DATA",
            details={"errors": fields},
        ) from None
