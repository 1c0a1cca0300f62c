"""Where a webhook may be sent: never to this machine, a private or link-local network,
multicast, the unspecified address or a cloud's metadata endpoint, unless the operator
allows that network (`SKYCLUST_WEBHOOK_ALLOWED_CIDRS`, for local test receivers). The
check is on addresses, not names: the caller resolves once and connects to the address
it checked, so a name that changes its answer (DNS rebinding) gains nothing."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from .errors import WebhookAddressRefused, WebhookUrlInvalid

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Named although most are private or link-local already: the metadata endpoints are why
# the rule exists, and fd00::/8 (AWS's IPv6 metadata, fd00:ec2::254) is in fc00::/7.
METADATA = (
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("fd00:ec2::254/128"),
    ipaddress.ip_network("100.100.100.200/32"),
)
ALWAYS_REFUSED = (
    ipaddress.ip_network("0.0.0.0/8"),
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("fc00::/7"),
    ipaddress.ip_network("64:ff9b::/96"),
)


def parse_cidrs(raw: str | Iterable[str]) -> tuple[Network, ...]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    try:
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()
        )
    except ValueError as exc:
        raise ValueError(f"not a network in the allowed CIDRs: {exc}") from None


def refusal(address: Address, allowed: Sequence[Network]) -> str | None:
    """Why `address` may not be sent to, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in allowed if net.version == address.version):
        return None
    for reason, hit in (
        ("metadata", any(address in net for net in METADATA if net.version == address.version)),
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        (
            "private",
            any(address in net for net in ALWAYS_REFUSED if net.version == address.version),
        ),
    ):
        if hit:
            return reason
    return None


def check_addresses(host: str, addresses: Sequence[Address], allowed: Sequence[Network]) -> Address:
    """The address to connect to: the first of a name's answers, if none of them is
    refused (a name that answers one public and one private address is refused)."""
    if not addresses:
        raise WebhookUrlInvalid("the webhook's host does not resolve", details={"host": host})
    for address in addresses:
        reason = refusal(address, allowed)
        if reason is not None:
            raise WebhookAddressRefused(
                details={"host": host, "address": str(address), "reason": reason}
            )
    return addresses[0]
