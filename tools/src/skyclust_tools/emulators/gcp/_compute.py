"""Compute Engine v1: networks, subnetworks, firewalls, operations, instance group managers."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import re
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from starlette.responses import Response

from .._core import JSON
from ._common import (
    COMPUTE_HOST,
    HTTP_REASON_PHRASES,
    NAME_RE,
    Call,
    GoogleError,
    Project,
    bad_request,
    json_response,
    new_id,
    not_found,
    parse_cidr,
    resource_name,
)

SERVICE = "compute.googleapis.com"
WAIT_LIMIT_SECONDS = 120.0
DEFAULT_QUOTA_CODE = "QUOTA_EXCEEDED"
DEFAULT_QUOTA_MESSAGE = "Quota 'NETWORKS' exceeded.  Limit: 15.0 globally."
_PACIFIC = timezone(timedelta(hours=-7))
_PROTOCOLS = {"tcp", "udp", "icmp", "esp", "ah", "sctp", "ipip", "all"}
_NETWORK_PATCHABLE = {
    "routingConfig",
    "mtu",
    "networkFirewallPolicyEnforcementOrder",
    "enableUlaInternalIpv6",
    "internalIpv6Range",
    "description",
}
_SUBNET_PATCHABLE = {
    "description",
    "privateIpGoogleAccess",
    "secondaryIpRanges",
    "logConfig",
    "enableFlowLogs",
    "stackType",
    "ipv6AccessType",
    "privateIpv6GoogleAccess",
    "drainTimeoutSeconds",
    "role",
    "fingerprint",
}


def timestamp(ts: float) -> str:
    """Compute renders times in US/Pacific with a numeric offset."""
    moment = datetime.fromtimestamp(ts, tz=_PACIFIC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}-07:00"


def _link(project: Project, path: str) -> str:
    return f"{COMPUTE_HOST}/projects/{project.project_id}/{path}"


def _fingerprint() -> str:
    return base64.b64encode(secrets.token_bytes(8)).decode()


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise bad_request(
            f"Invalid value for field 'resource.name': '{name}'. Must be a match of regex "
            "'(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'"
        )
    return name


def _in_use(path: str, user: str) -> GoogleError:
    kind = path.split("/")[-2].rstrip("s")
    return GoogleError(
        400,
        f"The {kind} resource '{path}' is already being used by '{user}'",
        reason="resourceInUseByAnotherResource",
    )


def _replay(call: Call) -> Response | None:
    """Compute deduplicates mutations by ``requestId``: a retry gets the original operation."""
    request_id = call.query("requestId")
    if not request_id:
        return None
    key = call.project.request_ids.get(request_id)
    if key is None:
        return None
    op = call.project.compute_operations.get(key)
    return json_response(op) if op is not None else None


def _start_operation(
    call: Call,
    scope: str,
    op_type: str,
    target_link: str,
    target_id: str,
    *,
    apply: Callable[[], None],
    fail: Callable[[], None] | None = None,
) -> JSON:
    emu = call.emu
    project = call.project
    now = emu.clock.now()
    name = (
        f"operation-{int(now * 1000)}-{secrets.token_hex(7)[:13]}-"
        f"{secrets.token_hex(4)}-{secrets.token_hex(4)}"
    )
    op: JSON = {
        "kind": "compute#operation",
        "id": new_id(),
        "name": name,
        "operationType": op_type,
        "targetLink": target_link,
        "targetId": target_id,
        "status": "RUNNING",
        "user": call.principal.email if call.principal else "",
        "progress": 0,
        "insertTime": timestamp(now),
        "startTime": timestamp(now),
        "selfLink": _link(project, f"{scope}/operations/{name}"),
    }
    if scope.startswith("regions/"):
        op["region"] = _link(project, scope)
    elif scope.startswith("zones/"):
        op["zone"] = _link(project, scope)
    project.compute_operations[(scope, name)] = op
    request_id = call.query("requestId")
    if request_id:
        project.request_ids[request_id] = (scope, name)
    fault = call.fault if call.fault is not None and call.fault.operation_error else None

    def finish() -> None:
        if fault is not None:
            status = fault.status or 403
            op["error"] = {
                "errors": [
                    {
                        "code": fault.code or DEFAULT_QUOTA_CODE,
                        "message": fault.message or DEFAULT_QUOTA_MESSAGE,
                    }
                ]
            }
            op["httpErrorStatusCode"] = status
            op["httpErrorMessage"] = HTTP_REASON_PHRASES.get(status, "ERROR")
            if fail is not None:
                fail()
        else:
            apply()
        op["status"] = "DONE"
        op["progress"] = 100
        op["endTime"] = timestamp(emu.clock.now())

    emu.scheduler.after(emu.durations["compute"], finish)
    emu.scheduler.run_due()
    return op


def _list_response(call: Call, kind: str, items: list[JSON], self_path: str) -> Response:
    items = _apply_filter(items, call.query("filter"))
    max_results = int(call.query("maxResults") or 500)
    token = call.query("pageToken")
    start = int(base64.urlsafe_b64decode(token).decode()) if token else 0
    page = items[start : start + max_results]
    body: JSON = {
        "kind": kind,
        "id": f"projects/{call.project.project_id}/{self_path}",
        "items": page,
        "selfLink": _link(call.project, self_path),
    }
    if not page:
        body.pop("items")
    if start + max_results < len(items):
        body["nextPageToken"] = base64.urlsafe_b64encode(str(start + max_results).encode()).decode()
    return json_response(body)


_FILTER_TERM = re.compile(r'\(?\s*([\w.]+)\s*(=|!=|eq|ne)\s*"?([^"()\s]*)"?\s*\)?')


def _apply_filter(items: list[JSON], expression: str | None) -> list[JSON]:
    if not expression or not expression.strip():
        return items
    terms = list(_FILTER_TERM.finditer(expression))
    if not terms or "".join(t.group(0) for t in terms).replace(" ", "") != expression.replace(
        " ", ""
    ).replace("AND", ""):
        raise bad_request(f"Invalid list filter expression '{expression}'.")

    def field_value(item: JSON, dotted: str) -> str:
        value: object = item
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return (
            "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )

    def keep(item: JSON) -> bool:
        for term in terms:
            name, op, wanted = term.groups()
            actual = field_value(item, name)
            if op in ("=", "!="):
                pattern = "^" + re.escape(wanted).replace(r"\*", ".*") + "$"
                hit = re.match(pattern, actual) is not None
            else:
                hit = re.fullmatch(wanted, actual) is not None
            if hit != (op in ("=", "eq")):
                return False
        return True

    return [item for item in items if keep(item)]


# Networks


def render_network(project: Project, network: JSON) -> JSON:
    out = dict(network)
    out["subnetworks"] = [
        sub["selfLink"]
        for sub in project.subnetworks.values()
        if resource_name(sub["network"], "networks") == network["name"]
    ]
    if not out["subnetworks"]:
        out.pop("subnetworks")
    return out


def _get_network(call: Call, name: str) -> JSON:
    network = call.project.networks.get(name)
    if network is None:
        project_id = call.project.project_id
        raise not_found(
            f"The resource 'projects/{project_id}/global/networks/{name}' was not found"
        )
    return network


async def list_networks(call: Call) -> Response:
    items = [render_network(call.project, n) for _, n in sorted(call.project.networks.items())]
    return _list_response(call, "compute#networkList", items, "global/networks")


async def get_network(call: Call) -> Response:
    return json_response(render_network(call.project, _get_network(call, call.params["network"])))


async def insert_network(call: Call) -> Response:
    if (replay := _replay(call)) is not None:
        return replay
    project = call.project
    spec = call.body
    name = _check_name(spec.get("name"))
    if name in project.networks:
        raise GoogleError(
            409,
            f"The resource 'projects/{project.project_id}/global/networks/{name}' already exists",
        )
    mtu = int(spec.get("mtu", 1460))
    if not 1300 <= mtu <= 8896:
        raise bad_request(f"Invalid value for field 'resource.mtu': '{mtu}'.")
    resource_id = new_id()
    network: JSON = {
        **spec,
        "kind": "compute#network",
        "id": resource_id,
        "creationTimestamp": timestamp(call.emu.clock.now()),
        "name": name,
        "selfLink": _link(project, f"global/networks/{name}"),
        "selfLinkWithId": _link(project, f"global/networks/{resource_id}"),
        "autoCreateSubnetworks": bool(spec.get("autoCreateSubnetworks", False)),
        "routingConfig": spec.get("routingConfig") or {"routingMode": "REGIONAL"},
        "mtu": mtu,
        "networkFirewallPolicyEnforcementOrder": spec.get("networkFirewallPolicyEnforcementOrder")
        or "AFTER_CLASSIC_FIREWALL",
    }
    project.networks[name] = network

    def fail() -> None:
        if project.networks.get(name) is network:
            del project.networks[name]

    op = _start_operation(
        call, "global", "insert", network["selfLink"], resource_id, apply=lambda: None, fail=fail
    )
    return json_response(op)


async def patch_network(call: Call) -> Response:
    if (replay := _replay(call)) is not None:
        return replay
    network = _get_network(call, call.params["network"])
    changes = {k: v for k, v in call.body.items() if network.get(k) != v}
    illegal = set(changes) - _NETWORK_PATCHABLE
    if illegal:
        field = sorted(illegal)[0]
        raise bad_request(
            f"Invalid value for field 'resource.{field}': '{changes[field]}'. "
            "This field cannot be modified."
        )

    def apply() -> None:
        network.update(changes)

    op = _start_operation(call, "global", "patch", network["selfLink"], network["id"], apply=apply)
    return json_response(op)


async def delete_network(call: Call) -> Response:
    if (replay := _replay(call)) is not None:
        return replay
    project = call.project
    name = call.params["network"]
    network = _get_network(call, name)
    path = f"projects/{project.project_id}/global/networks/{name}"
    if network.get("_deleting"):
        raise GoogleError(400, f"The resource '{path}' is not ready", reason="resourceNotReady")
    for sub in project.subnetworks.values():
        if resource_name(sub["network"], "networks") == name:
            raise _in_use(path, sub["selfLink"].split("/compute/v1/", 1)[1])
    for fw in project.firewalls.values():
        if resource_name(fw["network"], "networks") == name:
            raise _in_use(path, f"projects/{project.project_id}/global/firewalls/{fw['name']}")
    for (location, cluster_name), cluster in project.clusters.items():
        if cluster["network"] == name:
            raise _in_use(
                path, f"projects/{project.project_id}/locations/{location}/clusters/{cluster_name}"
            )
    network["_deleting"] = True

    def apply() -> None:
        if project.networks.get(name) is network:
            del project.networks[name]

    def fail() -> None:
        network.pop("_deleting", None)

    op = _start_operation(
        call, "global", "delete", network["selfLink"], network["id"], apply=apply, fail=fail
    )
    return json_response(op)


# Subnetworks


def _subnet_ranges(sub: JSON) -> list[ipaddress.IPv4Network]:
    ranges = [ipaddress.IPv4Network(sub["ipCidrRange"])]
    ranges += [ipaddress.IPv4Network(r["ipCidrRange"]) for r in sub.get("secondaryIpRanges", [])]
    return ranges


def _check_overlap(
    project: Project, network_name: str, ranges: list[ipaddress.IPv4Network], skip: JSON | None
) -> None:
    for i, first in enumerate(ranges):
        for second in ranges[i + 1 :]:
            if first.overlaps(second):
                raise bad_request(f"Invalid IPCidrRange: {second} conflicts with {first}.")
    for (region, name), other in project.subnetworks.items():
        if other is skip or resource_name(other["network"], "networks") != network_name:
            continue
        for mine in ranges:
            if any(mine.overlaps(theirs) for theirs in _subnet_ranges(other)):
                raise bad_request(
                    f"Invalid IPCidrRange: {mine} conflicts with existing subnetwork "
                    f"'{name}' in region '{region}'."
                )


def _get_subnetwork(call: Call, region: str, name: str) -> JSON:
    sub = call.project.subnetworks.get((region, name))
    if sub is None:
        raise not_found(
            f"The resource 'projects/{call.project.project_id}/regions/{region}/subnetworks/"
            f"{name}' was not found"
        )
    return sub


async def list_subnetworks(call: Call) -> Response:
    region = call.params["region"]
    items = [s for (r, _), s in sorted(call.project.subnetworks.items()) if r == region]
    return _list_response(call, "compute#subnetworkList", items, f"regions/{region}/subnetworks")


async def aggregated_subnetworks(call: Call) -> Response:
    grouped: dict[str, JSON] = {}
    for (region, _), sub in sorted(call.project.subnetworks.items()):
        grouped.setdefault(f"regions/{region}", {"subnetworks": []})["subnetworks"].append(sub)
    return json_response(
        {
            "kind": "compute#subnetworkAggregatedList",
            "id": f"projects/{call.project.project_id}/aggregated/subnetworks",
            "items": grouped,
            "selfLink": _link(call.project, "aggregated/subnetworks"),
        }
    )


async def get_subnetwork(call: Call) -> Response:
    return json_response(_get_subnetwork(call, call.params["region"], call.params["subnetwork"]))


async def insert_subnetwork(call: Call) -> Response:
    if (replay := _replay(call)) is not None:
        return replay
    project = call.project
    region = call.params["region"]
    spec = call.body
    name = _check_name(spec.get("name"))
    network_name = resource_name(spec.get("network"), "networks")
    if not network_name or network_name not in project.networks:
        raise bad_request(
            f"Invalid value for field 'resource.network': '{spec.get('network', '')}'. "
            "The referenced network resource cannot be found."
        )
    if (region, name) in project.subnetworks:
        raise GoogleError(
            409,
            f"The resource 'projects/{project.project_id}/regions/{region}/subnetworks/{name}' "
            "already exists",
        )
    if not spec.get("ipCidrRange"):
        raise bad_request("Invalid value for field 'resource.ipCidrRange': ''. Required.")
    primary = parse_cidr(spec["ipCidrRange"], "resource.ipCidrRange")
    if primary.prefixlen > 29:
        raise bad_request(
            f"Invalid value for field 'resource.ipCidrRange': '{primary}'. "
            "The prefix length must be at most 29."
        )
    secondary = spec.get("secondaryIpRanges") or []
    for i, rng in enumerate(secondary):
        parse_cidr(rng.get("ipCidrRange"), f"resource.secondaryIpRanges[{i}].ipCidrRange")
    resource_id = new_id()
    sub: JSON = {
        **spec,
        "kind": "compute#subnetwork",
        "id": resource_id,
        "creationTimestamp": timestamp(call.emu.clock.now()),
        "name": name,
        "network": _link(project, f"global/networks/{network_name}"),
        "ipCidrRange": str(primary),
        "gatewayAddress": str(primary.network_address + 1),
        "region": _link(project, f"regions/{region}"),
        "selfLink": _link(project, f"regions/{region}/subnetworks/{name}"),
        "fingerprint": _fingerprint(),
        "privateIpGoogleAccess": bool(spec.get("privateIpGoogleAccess", False)),
        "purpose": spec.get("purpose") or "PRIVATE",
        "stackType": spec.get("stackType") or "IPV4_ONLY",
    }
    if secondary:
        sub["secondaryIpRanges"] = secondary
    _check_overlap(project, network_name, _subnet_ranges(sub), None)
    project.subnetworks[(region, name)] = sub

    def fail() -> None:
        if project.subnetworks.get((region, name)) is sub:
            del project.subnetworks[(region, name)]

    op = _start_operation(
        call,
        f"regions/{region}",
        "insert",
        sub["selfLink"],
        resource_id,
        apply=lambda: None,
        fail=fail,
    )
    return json_response(op)


async def patch_subnetwork(call: Call) -> Response:
    if (replay := _replay(call)) is not None:
        return replay
    region = call.params["region"]
    sub = _get_subnetwork(call, region, call.params["subnetwork"])
    body = call.body
    if body.get("fingerprint") != sub["fingerprint"]:
        raise GoogleError(
            412,
            "Supplied fingerprint does not match current fingerprint.",
            reason="conditionNotMet",
        )
    changes = {k: v for k, v in body.items() if sub.get(k) != v}
    illegal = set(changes) - _SUBNET_PATCHABLE
    if illegal:
        field = sorted(illegal)[0]
        raise bad_request(
            f"Invalid value for field 'resource.{field}': '{changes[field]}'. "
            "This field cannot be modified."
        )
    if "secondaryIpRanges" in changes:
        candidate = {**sub, "secondaryIpRanges": changes["secondaryIpRanges"] or []}
        for i, rng in enumerate(candidate["secondaryIpRanges"]):
            parse_cidr(rng.get("ipCidrRange"), f"resource.secondaryIpRanges[{i}].ipCidrRange")
        _check_overlap(
            call.project,
            str(resource_name(sub["network"], "networks")),
            _subnet_ranges(candidate),
            sub,
        )
    sub["fingerprint"] = _fingerprint()

    def apply() -> None:
        sub.update({k: v for k, v in changes.items() if k != "fingerprint"})
        sub["fingerprint"] = _fingerprint()

    op = _start_operation(
        call, f"regions/{region}", "patch", sub["selfLink"], sub["id"], apply=apply
    )
    return json_response(op)


async def delete_subnetwork(call: Call) -> Response:
    if (replay := _replay(call)) is not None:
        return replay
    project = call.project
    region = call.params["region"]
    name = call.params["subnetwork"]
    sub = _get_subnetwork(call, region, name)
    path = f"projects/{project.project_id}/regions/{region}/subnetworks/{name}"
    if sub.get("_deleting"):
        raise GoogleError(400, f"The resource '{path}' is not ready", reason="resourceNotReady")
    for (location, cluster_name), cluster in project.clusters.items():
        if cluster["subnetwork"] == name and location.startswith(region):
            raise _in_use(
                path, f"projects/{project.project_id}/locations/{location}/clusters/{cluster_name}"
            )
    sub["_deleting"] = True

    def apply() -> None:
        if project.subnetworks.get((region, name)) is sub:
            del project.subnetworks[(region, name)]

    def fail() -> None:
        sub.pop("_deleting", None)

    op = _start_operation(
        call, f"regions/{region}", "delete", sub["selfLink"], sub["id"], apply=apply, fail=fail
    )
    return json_response(op)


# Firewalls


def _get_firewall(call: Call, name: str) -> JSON:
    fw = call.project.firewalls.get(name)
    if fw is None:
        raise not_found(
            f"The resource 'projects/{call.project.project_id}/global/firewalls/{name}' "
            "was not found"
        )
    return fw


def _validated_firewall(call: Call, spec: JSON) -> JSON:
    project = call.project
    network_ref = spec.get("network") or "global/networks/default"
    network_name = resource_name(network_ref, "networks")
    if not network_name or network_name not in project.networks:
        raise bad_request(
            f"Invalid value for field 'resource.network': '{network_ref}'. "
            "The referenced network resource cannot be found."
        )
    allowed, denied = spec.get("allowed"), spec.get("denied")
    if bool(allowed) == bool(denied):
        raise bad_request(
            "Invalid value for field 'resource.allowed': ''. Exactly one of 'allowed' or "
            "'denied' must be specified."
        )
    key = "allowed" if allowed else "denied"
    for i, rule in enumerate(allowed or denied or []):
        protocol = str(rule.get("IPProtocol", "")).lower()
        if protocol not in _PROTOCOLS and not (protocol.isdigit() and int(protocol) < 256):
            raise bad_request(
                f"Invalid value for field 'resource.{key}[{i}].IPProtocol': "
                f"'{rule.get('IPProtocol', '')}'. Unsupported protocol."
            )
        for port in rule.get("ports", []):
            if not re.fullmatch(r"\d{1,5}(-\d{1,5})?", str(port)):
                raise bad_request(
                    f"Invalid value for field 'resource.{key}[{i}].ports': '{port}'. "
                    "Invalid port specification."
                )
    direction = spec.get("direction") or "INGRESS"
    if direction not in ("INGRESS", "EGRESS"):
        raise bad_request(f"Invalid value for field 'resource.direction': '{direction}'.")
    priority = int(spec.get("priority", 1000))
    if not 0 <= priority <= 65535:
        raise bad_request(f"Invalid value for field 'resource.priority': '{priority}'.")
    for field in ("sourceRanges", "destinationRanges"):
        for i, cidr in enumerate(spec.get(field) or []):
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise bad_request(
                    f"Invalid value for field 'resource.{field}[{i}]': '{cidr}'. "
                    "Must be a CIDR address range that is contained in the network."
                ) from exc
    out = {
        **spec,
        "network": _link(project, f"global/networks/{network_name}"),
        "direction": direction,
        "priority": priority,
        "disabled": bool(spec.get("disabled", False)),
        "logConfig": spec.get("logConfig") or {"enable": False},
    }
    if direction == "INGRESS" and not (
        spec.get("sourceRanges") or spec.get("sourceTags") or spec.get("sourceServiceAccounts")
    ):
        out["sourceRanges"] = ["0.0.0.0/0"]
    if direction == "EGRESS" and not spec.get("destinationRanges"):
        out["destinationRanges"] = ["0.0.0.0/0"]
    return out


async def list_firewalls(call: Call) -> Response:
    items = [fw for _, fw in sorted(call.project.firewalls.items())]
    return _list_response(call, "compute#firewallList", items, "global/firewalls")


async def get_firewall(call: Call) -> Response:
    return json_response(_get_firewall(call, call.params["firewall"]))


async def insert_firewall(call: Call) -> Response:
    if (replay := _replay(call)) is not None:
        return replay
    project = call.project
    name = _check_name(call.body.get("name"))
    if name in project.firewalls:
        raise GoogleError(
            409,
            f"The resource 'projects/{project.project_id}/global/firewalls/{name}' already exists",
        )
    resource_id = new_id()
    fw: JSON = {
        **_validated_firewall(call, call.body),
        "kind": "compute#firewall",
        "id": resource_id,
        "creationTimestamp": timestamp(call.emu.clock.now()),
        "name": name,
        "selfLink": _link(project, f"global/firewalls/{name}"),
    }
    project.firewalls[name] = fw

    def fail() -> None:
        if project.firewalls.get(name) is fw:
            del project.firewalls[name]

    op = _start_operation(
        call, "global", "insert", fw["selfLink"], resource_id, apply=lambda: None, fail=fail
    )
    return json_response(op)


async def _change_firewall(call: Call, *, replace: bool) -> Response:
    if (replay := _replay(call)) is not None:
        return replay
    fw = _get_firewall(call, call.params["firewall"])
    body = call.body
    if body.get("name", fw["name"]) != fw["name"]:
        raise bad_request(f"Invalid value for field 'resource.name': '{body['name']}'.")
    if replace:
        merged = {k: v for k, v in body.items() if k not in ("id", "selfLink", "kind")}
        merged.setdefault("network", fw["network"])
    else:
        merged = {**fw, **body}
        if body.get("allowed"):
            merged.pop("denied", None)
        if body.get("denied"):
            merged.pop("allowed", None)
    if resource_name(merged.get("network"), "networks") != resource_name(fw["network"], "networks"):
        raise bad_request("Invalid value for field 'resource.network': the network cannot change.")
    updated = _validated_firewall(call, merged)

    def apply() -> None:
        keep = {k: fw[k] for k in ("kind", "id", "creationTimestamp", "name", "selfLink")}
        fw.clear()
        fw.update({**updated, **keep})

    op = _start_operation(
        call, "global", "update" if replace else "patch", fw["selfLink"], fw["id"], apply=apply
    )
    return json_response(op)


async def patch_firewall(call: Call) -> Response:
    return await _change_firewall(call, replace=False)


async def update_firewall(call: Call) -> Response:
    return await _change_firewall(call, replace=True)


async def delete_firewall(call: Call) -> Response:
    if (replay := _replay(call)) is not None:
        return replay
    project = call.project
    name = call.params["firewall"]
    fw = _get_firewall(call, name)

    def apply() -> None:
        if project.firewalls.get(name) is fw:
            del project.firewalls[name]

    op = _start_operation(call, "global", "delete", fw["selfLink"], fw["id"], apply=apply)
    return json_response(op)


# Operations


def _scope(call: Call) -> str:
    if "region" in call.params:
        return f"regions/{call.params['region']}"
    if "zone" in call.params:
        return f"zones/{call.params['zone']}"
    return "global"


def _get_operation(call: Call) -> JSON:
    scope = _scope(call)
    name = call.params["operation"]
    op = call.project.compute_operations.get((scope, name))
    if op is None:
        raise not_found(
            f"The resource 'projects/{call.project.project_id}/{scope}/operations/{name}' "
            "was not found"
        )
    return op


async def get_operation(call: Call) -> Response:
    return json_response(_get_operation(call))


async def wait_operation(call: Call) -> Response:
    """Blocks until the operation is DONE or about two minutes pass, like the real ``wait``."""
    op = _get_operation(call)
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while op["status"] != "DONE" and time.monotonic() < deadline:
        if await call.request.is_disconnected():
            break
        await asyncio.sleep(0.05)
        call.emu.scheduler.run_due()
    return json_response(op)


async def delete_operation(call: Call) -> Response:
    op = _get_operation(call)
    del call.project.compute_operations[(_scope(call), op["name"])]
    return Response(status_code=204)


async def list_operations(call: Call) -> Response:
    scope = _scope(call)
    items = [op for (s, _), op in call.project.compute_operations.items() if s == scope]
    return _list_response(call, "compute#operationList", items, f"{scope}/operations")


# Instance group managers (read-only: GKE node pools own them)


def _get_igm(call: Call) -> JSON:
    key = (call.params["zone"], call.params["igm"])
    igm = call.project.instance_group_managers.get(key)
    if igm is None:
        raise not_found(
            f"The resource 'projects/{call.project.project_id}/zones/{key[0]}/"
            f"instanceGroupManagers/{key[1]}' was not found"
        )
    return igm


async def get_instance_group_manager(call: Call) -> Response:
    return json_response(_get_igm(call))


async def list_instance_group_managers(call: Call) -> Response:
    zone = call.params["zone"]
    items = [
        igm for (z, _), igm in sorted(call.project.instance_group_managers.items()) if z == zone
    ]
    return _list_response(
        call, "compute#instanceGroupManagerList", items, f"zones/{zone}/instanceGroupManagers"
    )
