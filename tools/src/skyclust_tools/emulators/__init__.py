"""Local AWS (moto plus), GCP and Azure cloud emulators that the official SDKs talk to
unmodified."""

from ._admin import AdminClient, AdminError, AwsAdmin, AzureAdmin, GcpAdmin

__all__ = ["AdminClient", "AdminError", "AwsAdmin", "AzureAdmin", "GcpAdmin"]
