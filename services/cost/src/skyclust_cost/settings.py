from __future__ import annotations

from pydantic import Field

from skyclust_common.settings import CloudEndpointSettings, DatabaseServiceSettings


class CostSettings(CloudEndpointSettings, DatabaseServiceSettings):
    # How often every known credential's billing is read; 0 turns it off (reads then
    # show what on-demand collections stored).
    collect_interval_seconds: float = Field(default=60.0, ge=0)
    # Days read back each time: the clouds revise their latest days.
    collect_days: int = Field(default=7, ge=1, le=400)
    # The BigQuery dataset the standard billing export writes to, in each project.
    gcp_billing_dataset: str = Field(default="billing_export", min_length=1, max_length=1024)
