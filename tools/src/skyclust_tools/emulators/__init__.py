"""Local GCP and Azure cloud emulators that the official SDKs talk to unmodified."""

from ._admin import AdminClient, AdminError, AzureAdmin, GcpAdmin

__all__ = ["AdminClient", "AdminError", "AzureAdmin", "GcpAdmin"]
