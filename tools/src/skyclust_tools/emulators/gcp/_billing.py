"""What the local GCP bills, and the Cloud Billing API: ``projects/{p}/billingInfo`` and the
Catalog (``services``, ``services/{id}/skus``) for Compute Engine and Kubernetes Engine.

A GKE cluster pays the management fee (``Kubernetes Engine``, one SKU per zonal or regional
cluster); each node pool's VMs pay Compute Engine core and RAM hours of their machine family,
labelled with the cluster's resource labels and the ``goog-k8s-*`` labels GKE adds.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .._billing import Meter, pairs
from .._core import JSON, Fault, Router
from .._prices import CURRENCY, GCE_FAMILIES, GCE_MACHINES, GKE_CLUSTER_HOURLY, gce_family
from ._auth import authenticate
from ._common import GoogleError, is_zone, json_response, region_of

if TYPE_CHECKING:
    from ._app import GcpEmulator

SERVICE = "cloudbilling.googleapis.com"
BILLING_ACCOUNT = "01A2B3-C4D5E6-F7A8B9"
COMPUTE_ID, COMPUTE_NAME = "6F81-5844-456A", "Compute Engine"
GKE_ID, GKE_NAME = "CCD8-9BF1-090E", "Kubernetes Engine"
SERVICES = {COMPUTE_ID: COMPUTE_NAME, GKE_ID: GKE_NAME}
REGIONS = ("us-central1", "us-east1", "us-west1", "europe-west1", "europe-west4", "asia-east1")
PAGE_SIZE = 5000
EFFECTIVE = "2026-11-01T00:00:00Z"


def sku_id(*parts: str) -> str:
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest().upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:12]}"


def _core_sku(family: str, region: str) -> tuple[str, str]:
    return sku_id(COMPUTE_ID, family, "core", region), f"{family} Instance Core running in {region}"


def _ram_sku(family: str, region: str) -> tuple[str, str]:
    return sku_id(COMPUTE_ID, family, "ram", region), f"{family} Instance Ram running in {region}"


def _fee_sku(zonal: bool) -> tuple[str, str]:
    kind = "Zonal" if zonal else "Regional"
    return sku_id(GKE_ID, kind), f"{kind} Kubernetes Clusters"


def meters(emu: GcpEmulator) -> list[Meter]:
    out: list[Meter] = []
    for pid, project in emu.projects.items():
        for (location, name), cluster in project.clusters.items():
            if cluster.get("status") == "ERROR":
                continue
            region = region_of(location)
            path = f"projects/{pid}/locations/{location}/clusters/{name}"
            labels = {**(cluster.get("resourceLabels") or {}), "goog-k8s-cluster-name": name}
            fee_id, fee_name = _fee_sku(is_zone(location))
            extra = pairs({"location": location, "project_number": project.number})
            out.append(
                Meter(
                    f"{path}#fee",
                    pid,
                    GKE_NAME,
                    region,
                    fee_name,
                    fee_id,
                    GKE_CLUSTER_HOURLY,
                    unit="hour",
                    resource_id=path,
                    tags=pairs(labels),
                    extra=extra,
                )
            )
            for pool in cluster.get("nodePools") or []:
                machine_type = str((pool.get("config") or {}).get("machineType") or "e2-medium")
                machine, family = GCE_MACHINES.get(machine_type), gce_family(machine_type)
                if machine is None or family is None or pool.get("status") == "ERROR":
                    continue
                nodes = int(pool.get("_nodeCount", 0)) * len(pool.get("locations") or [location])
                pool_labels = pairs(
                    {
                        **labels,
                        **((pool.get("config") or {}).get("resourceLabels") or {}),
                        "goog-k8s-node-pool-name": pool["name"],
                    }
                )
                pool_path = f"{path}/nodePools/{pool['name']}"
                core_id, core_name = _core_sku(family.name, region)
                ram_id, ram_name = _ram_sku(family.name, region)
                out += [
                    Meter(
                        f"{pool_path}#core",
                        pid,
                        COMPUTE_NAME,
                        region,
                        core_name,
                        core_id,
                        family.core_hourly,
                        nodes * machine.vcpus,
                        "hour",
                        pool_path,
                        pool_labels,
                        extra,
                    ),
                    Meter(
                        f"{pool_path}#ram",
                        pid,
                        COMPUTE_NAME,
                        region,
                        ram_name,
                        ram_id,
                        family.ram_gib_hourly,
                        nodes * machine.memory_gib,
                        "gibibyte hour",
                        pool_path,
                        pool_labels,
                        extra,
                    ),
                ]
    return out


def _money(value: float) -> JSON:
    units = int(value)
    return {"currencyCode": CURRENCY, "units": str(units), "nanos": round((value - units) * 1e9)}


def _sku(
    service_id: str,
    sid: str,
    description: str,
    group: str,
    regions: list[str],
    price: float,
    unit: str,
    unit_description: str,
) -> JSON:
    return {
        "name": f"services/{service_id}/skus/{sid}",
        "skuId": sid,
        "description": description,
        "category": {
            "serviceDisplayName": SERVICES[service_id],
            "resourceFamily": "Compute",
            "resourceGroup": group,
            "usageType": "OnDemand",
        },
        "serviceRegions": regions,
        "pricingInfo": [
            {
                "effectiveTime": EFFECTIVE,
                "summary": "",
                "pricingExpression": {
                    "usageUnit": unit,
                    "usageUnitDescription": unit_description,
                    "baseUnit": "s" if unit == "h" else "By.s",
                    "baseUnitDescription": "second" if unit == "h" else "byte second",
                    "baseUnitConversionFactor": 3600 if unit == "h" else 3600 * 2**30,
                    "displayQuantity": 1,
                    "tieredRates": [{"startUsageAmount": 0, "unitPrice": _money(price)}],
                },
                "currencyConversionRate": 1,
            }
        ],
        "serviceProviderName": "Google",
        "geoTaxonomy": {"type": "REGIONAL", "regions": regions},
    }


def catalog(service_id: str) -> list[JSON]:
    if service_id == GKE_ID:
        return [
            _sku(
                GKE_ID,
                *_fee_sku(zonal),
                "Kubernetes",
                list(REGIONS),
                GKE_CLUSTER_HOURLY,
                "h",
                "hour",
            )
            for zonal in (False, True)
        ]
    out: list[JSON] = []
    for family in GCE_FAMILIES.values():
        for region in REGIONS:
            out.append(
                _sku(
                    COMPUTE_ID,
                    *_core_sku(family.name, region),
                    "CPU",
                    [region],
                    family.core_hourly,
                    "h",
                    "hour",
                )
            )
            out.append(
                _sku(
                    COMPUTE_ID,
                    *_ram_sku(family.name, region),
                    "RAM",
                    [region],
                    family.ram_gib_hourly,
                    "GiBy.h",
                    "gibibyte hour",
                )
            )
    return out


def _page(request: Request, items: list[JSON], key: str) -> Response:
    size = int(request.query_params.get("pageSize") or PAGE_SIZE)
    token = request.query_params.get("pageToken") or "0"
    if not token.isdigit() or not 0 < size <= PAGE_SIZE:
        raise GoogleError(400, "Invalid page token or page size.")
    offset = int(token)
    body: JSON = {key: items[offset : offset + size], "nextPageToken": ""}
    if offset + size < len(items):
        body["nextPageToken"] = str(offset + size)
    return json_response(body)


def register(emu: GcpEmulator, router: Router) -> None:
    async def billing_info(
        request: Request, params: dict[str, str], fault: Fault | None
    ) -> Response:
        principal = authenticate(emu, request)
        project = params["project"]
        if not principal.may_use(SERVICE, write=False) or principal.project_id != project:
            raise GoogleError(
                403,
                f"The caller does not have permission on resource projects/{project}",
                info_reason="IAM_PERMISSION_DENIED",
            )
        emu.project(project)
        return json_response(
            {
                "name": f"projects/{project}/billingInfo",
                "projectId": project,
                "billingAccountName": f"billingAccounts/{BILLING_ACCOUNT}",
                "billingEnabled": True,
            }
        )

    async def services(request: Request, params: dict[str, str], fault: Fault | None) -> Response:
        authenticate(emu, request)
        items = [
            {
                "name": f"services/{sid}",
                "serviceId": sid,
                "displayName": name,
                "businessEntityName": "businessEntities/GCP",
            }
            for sid, name in SERVICES.items()
        ]
        return _page(request, items, "services")

    async def skus(request: Request, params: dict[str, str], fault: Fault | None) -> Response:
        authenticate(emu, request)
        currency = request.query_params.get("currencyCode") or CURRENCY
        if params["service"] not in SERVICES:
            raise GoogleError(404, f"Service services/{params['service']} not found.")
        if currency != CURRENCY:
            raise GoogleError(400, f"Currency {currency} is not supported by the emulator.")
        return _page(request, catalog(params["service"]), "skus")

    router.add(["GET"], "/v1/projects/{project}/billingInfo", billing_info)
    router.add(["GET"], "/v1/services", services)
    router.add(["GET"], "/v1/services/{service}/skus", skus)
