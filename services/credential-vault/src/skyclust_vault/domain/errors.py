"""Every error the vault answers with, one class per code. Status, code and message go
over the bus and out of the gateway unchanged; the docstrings are the error catalog."""

from __future__ import annotations

from typing import Any

from skyclust_common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PermanentFailure,
    ProviderError,
    SkyclustError,
    ValidationFailed,
)

# credentials ---------------------------------------------------------------------------


class CredentialNotFound(NotFound):
    """No such credential in this workspace."""

    code = "CREDENTIAL_NOT_FOUND"


class CredentialNameTaken(Conflict):
    """The workspace has a credential of this name already."""

    code = "CREDENTIAL_NAME_TAKEN"


class CredentialInUse(Conflict):
    """Clusters or networks still use the credential; `details.users` lists them."""

    code = "CREDENTIAL_IN_USE"


class ProviderNotSupported(SkyclustError):
    """The vault keeps no credentials of this cloud (aws, gcp and azure it does)."""

    code = "PROVIDER_NOT_SUPPORTED"
    status = 422


class InvalidCredentialData(ValidationFailed):
    """The secret does not match its cloud's schema; `details.errors` names each field
    and problem, never a value."""

    code = "INVALID_CREDENTIAL_DATA"


class CredentialInvalid(SkyclustError):
    """The cloud refused the secret (rotation keeps the old one)."""

    code = "CREDENTIAL_INVALID"
    status = 422


class AccountMismatch(SkyclustError):
    """The new secret reaches another cloud account than the credential's."""

    code = "CREDENTIAL_ACCOUNT_MISMATCH"
    status = 422


class CloudUnreachable(ProviderError):
    """The cloud could not be reached to check a secret, so nothing can be concluded
    about it."""

    code = "PROVIDER_UNAVAILABLE"

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        retryable: bool = False,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            message, code=self.code, retryable=retryable, provider=provider, details=details
        )


# decryption ----------------------------------------------------------------------------


class DecryptNotAllowed(Forbidden):
    """Only the services named in the vault's settings may decrypt credentials."""

    code = "DECRYPT_NOT_ALLOWED"


class DecryptionFailed(SkyclustError):
    """A sealed credential does not open: moved to another credential or workspace,
    relabelled, tampered with, or under a key version this vault no longer has;
    `details.reason` says which."""

    code = "CREDENTIAL_DECRYPTION_FAILED"
    status = 500
    # A sealed row that does not open stays so: asking again cannot help.
    default_retryable = False

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, details={"reason": reason})
        self.reason = reason


class AuditUnavailable(SkyclustError):
    """The audit trail cannot record the decryption now, so no secret is handed out."""

    code = "AUDIT_UNAVAILABLE"
    status = 503


# key-encryption keys -------------------------------------------------------------------


class KeyVersionRetired(SkyclustError):
    """The active key version has been retired: nothing is written under it."""

    code = "KEY_VERSION_RETIRED"
    status = 500


class KeyVersionInUse(SkyclustError):
    """Credentials are still sealed under the version to retire; rewrap them first."""

    code = "KEY_VERSION_IN_USE"
    status = 409


class KeyVersionActive(Conflict):
    """The version to retire is the active one."""

    code = "KEY_VERSION_ACTIVE"


class InvalidKeyVersion(ValidationFailed):
    """Not a key version name (1 to 32 of A-Z a-z 0-9 . _ -)."""

    code = "INVALID_KEY_VERSION"


class KeyringUnavailable(ProviderError):
    """The key-encryption keys' KMS could not be reached or refused the vault for now
    (throttled, down, access denied): nothing is sealed or opened until it answers."""

    code = "KEYRING_UNAVAILABLE"
    status = 503
    default_retryable = True


class KeyringNotImplemented(SkyclustError):
    """The keyring named in SKYCLUST_VAULT_KEYRING exists in the settings but has no
    adapter yet (GCP KMS, Azure Key Vault): the vault refuses to start with it."""

    code = "KEYRING_NOT_IMPLEMENTED"
    status = 500
    default_retryable = False


# messages ------------------------------------------------------------------------------


class InvalidMessage(PermanentFailure):
    """A usage event's workspace is not a UUID (its contract checks the ids in its
    data): it is dead-lettered at once."""

    code = "INVALID_MESSAGE"
