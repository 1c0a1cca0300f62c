"""Clients for the emulators' ``/_emulator`` admin API (no auth), for tests and the dev launcher."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from ._billing_faults import AWS, AZURE, GCP, billing_fault


class AdminError(RuntimeError):
    pass


class AdminClient:
    def __init__(self, base_url: str, *, verify: bool | str = True, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        context: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
        )
        self._client = httpx.Client(base_url=self.base_url, verify=context, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        response = self._client.request(method, f"/_emulator/{path.lstrip('/')}", json=json)
        if response.status_code >= 400:
            raise AdminError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "health")
        return result

    def reset(self, *, keep_accounts: bool = False) -> None:
        self._call("POST", "reset", {"keep_accounts": keep_accounts})

    def durations(self) -> dict[str, float]:
        result: dict[str, float] = self._call("GET", "durations")
        return result

    def set_durations(self, default: float | None = None, **kinds: float) -> dict[str, float]:
        """``default`` applies to every operation kind; keywords override single kinds."""
        body: dict[str, float] = dict(kinds)
        if default is not None:
            body["default"] = default
        result: dict[str, float] = self._call("PUT", "durations", body)
        return result

    def inject_fault(
        self,
        path_regex: str,
        *,
        method: str = "*",
        status: int | None = None,
        times: int | None = 1,
        hang_seconds: float = 0.0,
        code: str | None = None,
        message: str | None = None,
        operation_error: bool = False,
        retry_after: int | None = None,
    ) -> dict[str, Any]:
        """Make matching requests fail with ``status``, hang, or start a failing operation.

        ``path_regex`` is searched in the URL path; ``times=None`` means every matching request.
        """
        spec: dict[str, Any] = {
            "path_regex": path_regex,
            "method": method,
            "times": times,
            "hang_seconds": hang_seconds,
            "operation_error": operation_error,
        }
        for key, value in (
            ("status", status),
            ("code", code),
            ("message", message),
            ("retry_after", retry_after),
        ):
            if value is not None:
                spec[key] = value
        result: dict[str, Any] = self._call("POST", "faults", spec)
        return result

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "faults")
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def advance_clock(self, seconds: float) -> dict[str, float]:
        """Move the emulator's clock: tokens expire and pending operations finish accordingly."""
        result: dict[str, float] = self._call("POST", "clock", {"advance_seconds": seconds})
        return result

    def resources(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "resources")
        return result

    def requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "requests")
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def billing(self) -> dict[str, float]:
        """``{"speed", "now"}``: billing time runs at ``speed`` x the emulator clock."""
        result: dict[str, float] = self._call("GET", "billing")
        return result

    def set_billing_speed(self, speed: float) -> dict[str, float]:
        """1440: a billed day per real minute (from now; what was billed stays)."""
        result: dict[str, float] = self._call("PUT", "billing", {"speed": speed})
        return result

    def advance_billing(self, seconds: float) -> dict[str, float]:
        """Bill ``seconds`` more of what runs without moving the emulator clock (whose tokens
        would look expired to the SDKs): what was billed moves that far into the past."""
        result: dict[str, float] = self._call("POST", "billing", {"advance_seconds": seconds})
        return result

    def seed_billing_history(
        self,
        account: str,
        *,
        days: int,
        daily_cost: float,
        service: str,
        region: str,
        weekly_pattern: list[float] | None = None,
        tags: dict[str, str] | None = None,
        sku: str | None = None,
        step_days_ago: int | None = None,
        step_factor: float | None = None,
        noise: float | None = None,
        seed: int | None = None,
    ) -> int:
        """Synthetic daily cost for the ``days`` before today (weekday factors Monday first;
        costs since ``step_days_ago`` days are multiplied by ``step_factor``)."""
        body: dict[str, Any] = {
            "account": account,
            "days": days,
            "daily_cost": daily_cost,
            "service": service,
            "region": region,
        }
        for key, value in (
            ("weekly_pattern", weekly_pattern),
            ("tags", tags),
            ("sku", sku),
            ("step_days_ago", step_days_ago),
            ("step_factor", step_factor),
            ("noise", noise),
            ("seed", seed),
        ):
            if value is not None:
                body[key] = value
        result: dict[str, int] = self._call("POST", "billing/history", body)
        return result["items"]

    def billing_items(
        self, start: str | None = None, end: str | None = None, account: str | None = None
    ) -> list[dict[str, Any]]:
        """The daily line items behind every billing API (dates ``YYYY-MM-DD``, end exclusive)."""
        body = {k: v for k, v in (("start", start), ("end", end), ("account", account)) if v}
        result: list[dict[str, Any]] = self._call("POST", "billing/items", body)
        return result

    def get_resource(self, path: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"resource/{path.lstrip('/')}")
        return result

    def patch_resource(self, path: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Change a resource behind the clients' backs (JSON merge patch on the stored object)."""
        result: dict[str, Any] = self._call("PATCH", f"resource/{path.lstrip('/')}", patch)
        return result

    def delete_resource(self, path: str) -> None:
        """Make a resource vanish without any API call or operation."""
        self._call("DELETE", f"resource/{path.lstrip('/')}")


class GcpAdmin(AdminClient):
    def inject_billing_fault(self, api: str, kind: str, *, times: int | None = 1) -> dict[str, Any]:
        """``api``: billing, catalog or bigquery; ``kind`` as in `_billing_faults.GCP`."""
        return self.inject_fault(**billing_fault(GCP, api, kind), times=times)

    def create_service_account_key(
        self, project_id: str, account: str = "skyclust"
    ) -> dict[str, Any]:
        """A new service-account key JSON (creating the project if needed)."""
        result: dict[str, Any] = self._call(
            "POST", f"projects/{project_id}/serviceAccountKeys", {"account": account}
        )
        return result

    def revoke_key(self, key_id: str) -> None:
        self._call("DELETE", f"serviceAccountKeys/{key_id}")

    def revoke_tokens(self) -> None:
        self._call("POST", "tokens/revoke")

    def set_node_pool_size(
        self, project: str, location: str, cluster: str, pool: str, count: int
    ) -> dict[str, Any]:
        path = f"v1/projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{pool}"
        return self.patch_resource(path, {"nodeCount": count})


class AwsAdmin(AdminClient):
    """The AWS emulator's admin API: the common one (no accounts; ``reset`` also resets moto).

    Injected faults answer as the service's protocol words errors, so botocore raises
    ``ClientError`` with the fault's ``code``; EKS updates take ``cluster_update`` /
    ``nodegroup_update`` seconds.
    """

    def inject_billing_fault(self, api: str, kind: str, *, times: int | None = 1) -> dict[str, Any]:
        """``api``: cost_explorer or pricing; ``kind`` as in `_billing_faults.AWS`."""
        return self.inject_fault(**billing_fault(AWS, api, kind), times=times)


class AzureAdmin(AdminClient):
    def inject_billing_fault(self, api: str, kind: str, *, times: int | None = 1) -> dict[str, Any]:
        """``api``: cost_management or retail_prices; ``kind`` as in `_billing_faults.AZURE`."""
        return self.inject_fault(**billing_fault(AZURE, api, kind), times=times)

    def create_account(
        self,
        *,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        subscription_id: str | None = None,
        subscription_name: str | None = None,
    ) -> dict[str, Any]:
        """A service principal (tenant, client id, secret) with access to a subscription.

        Missing ids are generated; an existing tenant or subscription is reused.
        """
        body = {
            key: value
            for key, value in (
                ("tenant_id", tenant_id),
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("subscription_id", subscription_id),
                ("subscription_name", subscription_name),
            )
            if value is not None
        }
        result: dict[str, Any] = self._call("POST", "accounts", body)
        return result

    def add_client_secret(self, client_id: str) -> str:
        result: dict[str, Any] = self._call("POST", f"accounts/{client_id}/secrets")
        return str(result["client_secret"])

    def remove_client_secret(self, client_id: str, secret: str) -> None:
        self._call("DELETE", f"accounts/{client_id}/secrets", {"client_secret": secret})

    def set_agent_pool_count(
        self, subscription: str, group: str, cluster: str, pool: str, count: int
    ) -> dict[str, Any]:
        path = (
            f"subscriptions/{subscription}/resourceGroups/{group}/providers/"
            f"Microsoft.ContainerService/managedClusters/{cluster}/agentPools/{pool}"
        )
        return self.patch_resource(path, {"properties": {"count": count}})
