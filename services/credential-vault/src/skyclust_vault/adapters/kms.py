"""Key-encryption keys held by a cloud KMS. The data key leaves the process only to be
wrapped by the KMS, and only wrapped is it stored: the KMS key itself never leaves the
KMS. Each key version of the vault names one KMS key (an ARN, a key id or an alias), so
rotation works as with the keys from settings: add a version, make it active, rewrap,
retire the old one.

The associated data of the envelope goes to the KMS as its encryption context, with the
wrap nonce: a wrapped key moved to another credential, workspace or version, or given
another nonce, is refused by the KMS itself. AWS KMS logs each context in CloudTrail, and
it names only ids, never a secret."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from skyclust_common.cloud.aws_errors import PROVIDER, THROTTLING_CODES, aws_error
from skyclust_common.cloud.blocking import counted

from ..domain.crypto import NONCE_BYTES, KeyEncryptionKeys, Keyring, Keyrings
from ..domain.errors import DecryptionFailed, KeyringNotImplemented, KeyringUnavailable

# Answers that say the wrapped key does not belong to this context or key: the same
# CREDENTIAL_DECRYPTION_FAILED as a tampered local envelope.
_MISMATCH_CODES = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})
_MISMATCH = "the stored ciphertext does not belong to this credential, workspace and key version"


def _context(aad: bytes, nonce: bytes) -> dict[str, str]:
    return {"skyclust": aad.decode(), "nonce": nonce.hex()}


class AwsKmsKeyring:
    """Wraps data keys with AWS KMS Encrypt and opens them with Decrypt (a data key of
    our own rather than GenerateDataKey, so sealing is the same code for every keyring).

    boto3 is synchronous, so the keyring says it is `remote` and the handlers call it on
    the bounded pool of blocking calls, never on the event loop. A KMS that does not
    answer fails the call with KEYRING_UNAVAILABLE (retryable) within the timeouts
    below rather than hanging a request."""

    def __init__(
        self,
        key_ids: Mapping[str, str],
        active: str,
        *,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        client: Any = None,
    ) -> None:
        if active not in key_ids:
            raise ValueError("active key version not among the KMS keys")
        self._key_ids = dict(key_ids)
        self._active = active
        self._kms = client or boto3.session.Session(region_name=region).client(
            "kms",
            endpoint_url=endpoint_url,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=3,
                read_timeout=5,
            ),
        )

    @property
    def active_version(self) -> str:
        return self._active

    @property
    def versions(self) -> frozenset[str]:
        return frozenset(self._key_ids)

    @property
    def remote(self) -> bool:
        return True

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes, bytes]:
        version = self._active
        nonce = os.urandom(NONCE_BYTES)
        try:
            with counted(PROVIDER, "kms_encrypt", _throttled):
                answer = self._kms.encrypt(
                    KeyId=self._key_ids[version],
                    Plaintext=data_key,
                    EncryptionContext=_context(aad, nonce),
                )
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc, version) from None
        return version, nonce, bytes(answer["CiphertextBlob"])

    def unwrap(self, version: str, nonce: bytes, wrapped: bytes, aad: bytes) -> bytes:
        key_id = self._key_ids.get(version)
        if key_id is None:
            raise DecryptionFailed(
                f"key version {version} is not in the keyring", reason="key_version_unknown"
            )
        try:
            with counted(PROVIDER, "kms_decrypt", _throttled):
                answer = self._kms.decrypt(
                    CiphertextBlob=wrapped, KeyId=key_id, EncryptionContext=_context(aad, nonce)
                )
        except ClientError as exc:
            known = aws_error(exc)
            if known is not None and known[0] in _MISMATCH_CODES:
                raise DecryptionFailed(_MISMATCH, reason="mismatch") from None
            raise _unavailable(exc, version) from None
        except BotoCoreError as exc:
            raise _unavailable(exc, version) from None
        return bytes(answer["Plaintext"])


def _throttled(exc: Exception) -> bool:
    known = aws_error(exc)
    return known is not None and known[0] in THROTTLING_CODES


def _unavailable(exc: Exception, version: str) -> KeyringUnavailable:
    known = aws_error(exc)
    code = known[0] if known else type(exc).__name__
    # The KMS's own message can name the key's ARN and account: the log has it, the
    # answer says only which AWS error it was.
    return KeyringUnavailable(
        f"AWS KMS did not wrap or unwrap the data key ({code})",
        provider="aws",
        retryable=True,
        details={"version": version, "kms_error": code},
    )


class GcpKmsKeyring:
    """Cloud KMS (projects/…/cryptoKeys/…) behind the same interface: not built yet."""

    def __init__(self, key_ids: Mapping[str, str], active: str, **_: Any) -> None:
        raise KeyringNotImplemented(
            "the GCP Cloud KMS keyring is not implemented yet; use SKYCLUST_VAULT_KEYRING="
            "env or aws-kms",
            details={"keyring": "gcp-kms"},
        )


class AzureKeyVaultKeyring:
    """Azure Key Vault keys (wrapKey/unwrapKey) behind the same interface: not built yet."""

    def __init__(self, key_ids: Mapping[str, str], active: str, **_: Any) -> None:
        raise KeyringNotImplemented(
            "the Azure Key Vault keyring is not implemented yet; use SKYCLUST_VAULT_KEYRING="
            "env or aws-kms",
            details={"keyring": "azure-key-vault"},
        )


_KMS_KEYRINGS: dict[str, Any] = {
    "aws-kms": AwsKmsKeyring,
    "gcp-kms": GcpKmsKeyring,
    "azure-key-vault": AzureKeyVaultKeyring,
}


def build_keyring(
    kind: str,
    env_keys: Mapping[str, bytes],
    kms_keys: Mapping[str, str],
    active: str,
    *,
    region: str = "us-east-1",
    endpoint_url: str | None = None,
) -> KeyEncryptionKeys:
    """The keyring the settings choose. With a KMS, the keys from settings that are still
    configured stay readable beside it, so nothing sealed under them stops opening."""
    if kind == "env":
        return Keyring(env_keys, active)
    kms_active = active if active in kms_keys else sorted(kms_keys)[0]
    kms = _KMS_KEYRINGS[kind](kms_keys, kms_active, region=region, endpoint_url=endpoint_url)
    if not env_keys:
        return kms
    env_active = active if active in env_keys else sorted(env_keys)[0]
    return Keyrings([Keyring(env_keys, env_active), kms], active)
