from __future__ import annotations

import base64
import binascii

from pydantic import SecretStr, model_validator

from skyclust_common.settings import DatabaseServiceSettings


class VaultSettings(DatabaseServiceSettings):
    """SKYCLUST_VAULT_KEYS is a JSON object of key-encryption keys by version, each 32 bytes
    in base64; SKYCLUST_VAULT_ACTIVE_KEY names the one that wraps new data keys."""

    vault_keys: dict[str, SecretStr]
    vault_active_key: str
    decrypt_callers: list[str] = ["provisioning", "network", "cost"]

    @model_validator(mode="after")
    def _keys(self) -> VaultSettings:
        if self.vault_active_key not in self.vault_keys:
            raise ValueError("vault_active_key must name one of vault_keys")
        for version, key in self.vault_keys.items():
            try:
                raw = base64.b64decode(key.get_secret_value(), validate=True)
            except binascii.Error:
                raise ValueError(f"vault key {version} is not base64") from None
            if len(raw) != 32:
                raise ValueError(f"vault key {version} must be 32 bytes (256 bits)")
        return self

    def keyring_bytes(self) -> dict[str, bytes]:
        return {v: base64.b64decode(k.get_secret_value()) for v, k in self.vault_keys.items()}
