from __future__ import annotations

import base64
import binascii
import re
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from skyclust_common.settings import CloudEndpointSettings, DatabaseServiceSettings

_VERSION = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


class VaultSettings(CloudEndpointSettings, DatabaseServiceSettings):
    """SKYCLUST_VAULT_KEYS is a JSON object of key-encryption keys by version, each 32 bytes
    in base64; SKYCLUST_VAULT_ACTIVE_KEY names the one that wraps new data keys.

    The endpoints point the validation checks at the local clouds (moto, the GCP and
    Azure emulators); unset, they reach the real ones."""

    vault_keys: dict[str, SecretStr] = {}
    vault_active_key: str
    vault_keyring: Literal["env", "aws-kms", "gcp-kms", "azure-key-vault"] = "env"
    vault_kms_keys: dict[str, str] = {}
    vault_kms_region: str = "us-east-1"
    decrypt_callers: list[str] = ["provisioning", "network", "cost"]

    # Every saga step and every cluster network asks for a secret, each answered with
    # an audit row written: a burst of creates needs more than the common default.
    database_pool_size: int = Field(default=10, ge=1, le=100)
    vault_rewrap_batch_size: int = Field(default=100, ge=1, le=10000)
    # 0 turns the background rewrap off (then run `python -m skyclust_vault keys rewrap`).
    vault_rewrap_interval_seconds: float = Field(default=300.0, ge=0)
    vault_audit_timeout_seconds: float = Field(default=5.0, gt=0)
    vault_validation_timeout_seconds: float = Field(default=8.0, gt=0)

    @model_validator(mode="after")
    def _keys(self) -> VaultSettings:
        if self.vault_keyring == "env" and self.vault_kms_keys:
            raise ValueError("vault_kms_keys needs a KMS vault_keyring")
        if self.vault_keyring != "env" and not self.vault_kms_keys:
            raise ValueError(f"vault_keyring {self.vault_keyring} needs vault_kms_keys")
        both = set(self.vault_keys) & set(self.vault_kms_keys)
        if both:
            raise ValueError(f"key versions {sorted(both)} are in vault_keys and vault_kms_keys")
        if self.vault_active_key not in {*self.vault_keys, *self.vault_kms_keys}:
            raise ValueError("vault_active_key must name one of vault_keys or vault_kms_keys")
        for version, key_id in self.vault_kms_keys.items():
            if not _VERSION.match(version):
                raise ValueError("vault key versions are 1 to 32 of A-Z a-z 0-9 . _ -")
            if not key_id.strip():
                raise ValueError(f"vault KMS key {version} names no key")
        for version, key in self.vault_keys.items():
            if not _VERSION.match(version):
                raise ValueError("vault key versions are 1 to 32 of A-Z a-z 0-9 . _ -")
            try:
                raw = base64.b64decode(key.get_secret_value(), validate=True)
            except binascii.Error:
                raise ValueError(f"vault key {version} is not base64") from None
            if len(raw) != 32:
                raise ValueError(f"vault key {version} must be 32 bytes (256 bits)")
        return self

    def keyring_bytes(self) -> dict[str, bytes]:
        return {v: base64.b64decode(k.get_secret_value()) for v, k in self.vault_keys.items()}
