"""The webhook address policy as a table: what is refused, why, and what the operator's
allowed networks let through."""

from __future__ import annotations

import ipaddress

import pytest

from skyclust_notification.domain.errors import WebhookAddressRefused, WebhookUrlInvalid
from skyclust_notification.domain.ssrf import check_addresses, parse_cidrs, refusal

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("93.184.215.14", None),
        ("2606:4700::6810:84e5", None),
    ],
)
def test_what_is_refused_and_why(address: str, reason: str | None) -> None:
    assert refusal(ipaddress.ip_address(address), ()) == reason


def test_the_operators_networks_are_allowed_and_nothing_else():
    allowed = parse_cidrs("127.0.0.0/8, 10.20.0.0/16")
    assert refusal(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert refusal(ipaddress.ip_address("10.20.3.4"), allowed) is None
    assert refusal(ipaddress.ip_address("10.21.0.1"), allowed) == "private"
    assert refusal(ipaddress.ip_address("169.254.169.254"), allowed) == "metadata"
    assert parse_cidrs("") == ()
    with pytest.raises(ValueError, match="allowed CIDRs"):
        parse_cidrs("10.0.0.0/33")


def test_a_name_with_any_refused_answer_is_refused():
    public, private = ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.5")
    assert check_addresses("example.com", [public], ()) == public
    with pytest.raises(WebhookAddressRefused) as info:
        check_addresses("rebind.example", [public, private], ())
    assert info.value.details == {
        "host": "rebind.example",
        "address": "10.0.0.5",
        "reason": "private",
    }
    with pytest.raises(WebhookUrlInvalid):
        check_addresses("nowhere.example", [], ())
