"""The CIDR planner. Overlapping address space is what breaks peering and VPNs months
later, so a new network's range is checked against every network the workspace has, in
every cloud and region, managed or discovered, before anything is created.

Pure functions over `ipaddress` values; the handlers load the workspace's networks and
hold a per-workspace lock around check-and-insert so two requests cannot both pass."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from skyclust_common.errors import Conflict, ValidationFailed

from .errors import (
    CidrNotPrivate,
    CidrOverlap,
    CidrPrefixOutOfRange,
    InvalidCidr,
    NoFreeCidr,
    SubnetOutsideVpc,
    SubnetOverlap,
)

IPv4Network = ipaddress.IPv4Network

# RFC 1918, in the order the planner hands out blocks.
PRIVATE_RANGES: tuple[IPv4Network, ...] = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
)


@dataclass(frozen=True)
class PrefixLimits:
    vpc: tuple[int, int]
    subnet: tuple[int, int]


# What each cloud accepts; "any" is used when a layout is checked without a provider.
LIMITS: dict[str, PrefixLimits] = {
    "aws": PrefixLimits(vpc=(16, 28), subnet=(16, 28)),
    "gcp": PrefixLimits(vpc=(8, 28), subnet=(8, 29)),
    "azure": PrefixLimits(vpc=(8, 29), subnet=(8, 29)),
    "any": PrefixLimits(vpc=(8, 28), subnet=(8, 29)),
}


@dataclass(frozen=True)
class KnownNetwork:
    """A network the planner must not collide with."""

    id: str
    name: str
    provider: str
    region: str
    cidrs: tuple[IPv4Network, ...]
    managed: bool = True

    def describe(self) -> str:
        kind = "network" if self.managed else "unmanaged network"
        return f"{kind} '{self.name}' ({self.provider} {self.region}, id {self.id})"


@dataclass(frozen=True)
class Overlap:
    network: KnownNetwork
    cidr: IPv4Network

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.network.id,
            "name": self.network.name,
            "provider": self.network.provider,
            "region": self.network.region,
            "cidr_block": str(self.cidr),
            "managed": self.network.managed,
        }


def parse_cidr(value: object, field_name: str = "cidr_block") -> IPv4Network:
    """An IPv4 network in canonical form: host bits set is an error, not a silent fix,
    because `10.0.1.0/16` almost always means the user meant something else."""
    if not isinstance(value, str) or "/" not in value:
        raise InvalidCidr(
            f"{field_name} must be an IPv4 CIDR block such as 10.0.0.0/16",
            details={"field": field_name},
        )
    try:
        return IPv4Network(value.strip(), strict=True)
    except ValueError as exc:
        reason = "has host bits set" if "host bits" in str(exc) else "is not an IPv4 CIDR block"
        raise InvalidCidr(f"{field_name} {reason}", details={"field": field_name}) from None


def is_private(net: IPv4Network) -> bool:
    return any(net.subnet_of(pool) for pool in PRIVATE_RANGES)


def require_private(net: IPv4Network, field_name: str = "cidr_block") -> None:
    if not is_private(net):
        raise CidrNotPrivate(
            f"{field_name} {net} is not inside a private range "
            "(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
            details={"field": field_name, "cidr_block": str(net)},
        )


def require_prefix(net: IPv4Network, limits: tuple[int, int], field_name: str, what: str) -> None:
    low, high = limits
    if not low <= net.prefixlen <= high:
        raise CidrPrefixOutOfRange(
            f"{field_name} {net}: a {what} must be between /{low} and /{high}",
            details={"field": field_name, "min": low, "max": high},
        )


def limits_for(provider: str | None) -> PrefixLimits:
    return LIMITS.get(provider or "any", LIMITS["any"])


def overlaps(net: IPv4Network, networks: Iterable[KnownNetwork]) -> list[Overlap]:
    found = []
    for known in networks:
        for cidr in known.cidrs:
            if net.overlaps(cidr):
                found.append(Overlap(known, cidr))
                break
    return found


def overlap_error(net: IPv4Network, found: Sequence[Overlap]) -> Conflict:
    first = found[0]
    others = f" and {len(found) - 1} more" if len(found) > 1 else ""
    return CidrOverlap(
        f"{net} overlaps {first.cidr} of {first.network.describe()}{others}; choose another "
        "range, or set allow_overlap if the overlap is intended",
        details={"cidr_block": str(net), "conflicts": [o.to_dict() for o in found]},
    )


def check_vpc(
    value: object,
    existing: Iterable[KnownNetwork],
    *,
    provider: str | None = None,
    allow_overlap: bool = False,
    field_name: str = "cidr_block",
) -> tuple[IPv4Network, list[Overlap]]:
    """Validate a new network's range; an overlap is refused unless explicitly accepted.
    Returns the range and the overlaps that were accepted."""
    net = parse_cidr(value, field_name)
    require_private(net, field_name)
    require_prefix(net, limits_for(provider).vpc, field_name, "network")
    found = overlaps(net, existing)
    if found and not allow_overlap:
        raise overlap_error(net, found)
    return net, found


@dataclass(frozen=True)
class Sibling:
    id: str
    name: str
    cidr: IPv4Network


def check_subnet(
    value: object,
    vpc_cidrs: Sequence[IPv4Network],
    siblings: Iterable[Sibling],
    *,
    provider: str | None = None,
    field_name: str = "cidr_block",
) -> IPv4Network:
    """A subnet lies inside its network's range and overlaps none of its siblings."""
    net = parse_cidr(value, field_name)
    require_prefix(net, limits_for(provider).subnet, field_name, "subnet")
    if not any(net.subnet_of(cidr) for cidr in vpc_cidrs):
        ranges = ", ".join(str(c) for c in vpc_cidrs) or "(none)"
        raise SubnetOutsideVpc(
            f"{field_name} {net} is not inside the network's range {ranges}",
            details={"field": field_name, "vpc_cidr_blocks": [str(c) for c in vpc_cidrs]},
        )
    for sibling in siblings:
        if net.overlaps(sibling.cidr):
            raise SubnetOverlap(
                f"{field_name} {net} overlaps {sibling.cidr} of subnet '{sibling.name}' "
                f"(id {sibling.id})",
                details={
                    "cidr_block": str(net),
                    "conflicts": [
                        {"id": sibling.id, "name": sibling.name, "cidr_block": str(sibling.cidr)}
                    ],
                },
            )
    return net


def _start(net: IPv4Network) -> int:
    return int(net.network_address)


def _next_free(
    pool: IPv4Network, prefix_length: int, taken: Sequence[IPv4Network]
) -> IPv4Network | None:
    """The lowest aligned block of `prefix_length` inside `pool` that overlaps nothing
    in `taken` (sorted by start address)."""
    if prefix_length < pool.prefixlen:
        return None
    size = 2 ** (32 - prefix_length)
    candidate = int(pool.network_address)
    end = int(pool.broadcast_address)
    while candidate + size - 1 <= end:
        block = IPv4Network((candidate, prefix_length))
        blocker = next((t for t in taken if block.overlaps(t)), None)
        if blocker is None:
            return block
        # Jump past the blocker, rounded up to the next aligned block.
        past = int(blocker.broadcast_address) + 1
        candidate = -(-past // size) * size
    return None


def suggest(
    prefix_length: int,
    existing: Iterable[KnownNetwork],
    *,
    provider: str | None = None,
    reserved: Iterable[IPv4Network] = (),
    pools: Sequence[IPv4Network] = PRIVATE_RANGES,
) -> IPv4Network:
    """The first free private block of `prefix_length`, searching 10/8, then 172.16/12,
    then 192.168/16."""
    low, high = limits_for(provider).vpc
    if not low <= prefix_length <= high:
        raise CidrPrefixOutOfRange(
            f"prefix_length must be between {low} and {high}",
            details={"field": "prefix_length", "min": low, "max": high},
        )
    taken = sorted(
        [cidr for known in existing for cidr in known.cidrs] + list(reserved), key=_start
    )
    for pool in pools:
        block = _next_free(pool, prefix_length, taken)
        if block is not None:
            return block
    raise NoFreeCidr(
        f"no free /{prefix_length} block is left in the private ranges of this workspace",
        details={"prefix_length": prefix_length},
    )


def carve(
    vpc_cidr: IPv4Network, prefix_length: int, count: int, taken: Iterable[IPv4Network] = ()
) -> list[IPv4Network]:
    """`count` non-overlapping blocks of `prefix_length` inside `vpc_cidr`, avoiding `taken`."""
    used = list(taken)
    blocks: list[IPv4Network] = []
    for _ in range(count):
        block = _next_free(vpc_cidr, prefix_length, sorted(used, key=_start))
        if block is None:
            raise NoFreeCidr(
                f"{vpc_cidr} has no room for {count} /{prefix_length} subnets",
                details={"cidr_block": str(vpc_cidr), "prefix_length": prefix_length},
            )
        blocks.append(block)
        used.append(block)
    return blocks


# Checking a whole proposed layout ----------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    vpc_index: int
    subnet_index: int | None = None
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "vpc_index": self.vpc_index,
            "subnet_index": self.subnet_index,
            "conflicts": self.conflicts,
        }


def check_layout(vpcs: Sequence[dict[str, Any]], existing: Sequence[KnownNetwork]) -> list[Problem]:
    """Every problem of a proposed layout (networks with their subnets), without creating
    anything: each network against the workspace and against the layout's earlier ones,
    each subnet inside its network and clear of its siblings."""
    problems: list[Problem] = []
    accepted: list[KnownNetwork] = []
    for i, vpc in enumerate(vpcs):
        provider = vpc.get("provider")
        name = vpc.get("name") or f"vpcs[{i}]"
        try:
            net, _ = check_vpc(
                vpc.get("cidr_block"),
                [*existing, *accepted],
                provider=provider,
                allow_overlap=bool(vpc.get("allow_overlap", False)),
                field_name=f"vpcs[{i}].cidr_block",
            )
        except (ValidationFailed, Conflict) as exc:
            problems.append(
                Problem(exc.code, exc.message, i, None, list(exc.details.get("conflicts", [])))
            )
            continue
        accepted.append(
            KnownNetwork(
                id=f"layout:{i}",
                name=name,
                provider=provider or "any",
                region=vpc.get("region") or "-",
                cidrs=(net,),
            )
        )
        siblings: list[Sibling] = []
        for j, subnet in enumerate(vpc.get("subnets") or []):
            try:
                sub = check_subnet(
                    subnet.get("cidr_block"),
                    [net],
                    siblings,
                    provider=provider,
                    field_name=f"vpcs[{i}].subnets[{j}].cidr_block",
                )
            except (ValidationFailed, Conflict) as exc:
                problems.append(
                    Problem(exc.code, exc.message, i, j, list(exc.details.get("conflicts", [])))
                )
                continue
            siblings.append(Sibling(f"layout:{i}:{j}", subnet.get("name") or f"[{j}]", sub))
    return problems
