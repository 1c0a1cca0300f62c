from __future__ import annotations

from pydantic import Field

from skyclust_common.settings import CloudEndpointSettings, DatabaseServiceSettings


class CostSettings(CloudEndpointSettings, DatabaseServiceSettings):
    # How often every known credential's billing is read; 0 turns it off (reads then
    # show what on-demand collections stored).
    collect_interval_seconds: float = Field(default=60.0, ge=0)
    # Days read back each time: the clouds revise their latest days.
    collect_days: int = Field(default=7, ge=1, le=400)
    # How often every budget is checked against its thresholds; 0 turns it off (the
    # check after each collection still runs).
    budget_check_interval_seconds: float = Field(default=300.0, ge=0)
    # How often each pricing API is asked whether its cached prices are past the TTL (0
    # turns refreshing off: estimates then use the shipped table), and that TTL.
    price_refresh_interval_seconds: float = Field(default=600.0, ge=0)
    price_ttl_seconds: float = Field(default=86400.0, gt=0)
    # How long a forecast waits for the clouds' own forecasts before leaving one out.
    cloud_forecast_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The Azure Retail Prices API; unset, the Azure endpoint (the emulator serves it) or
    # https://prices.azure.com.
    azure_retail_prices_url: str | None = None
    # The BigQuery dataset the standard billing export writes to, in each project.
    gcp_billing_dataset: str = Field(default="billing_export", min_length=1, max_length=1024)
