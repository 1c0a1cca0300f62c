"""The CIDR planner's rules, and properties over random layouts: whatever is proposed,
nothing it accepts overlaps, and every block it suggests is free, aligned and private."""

from __future__ import annotations

import ipaddress
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skyclust_common.errors import SkyclustError
from skyclust_network.domain import cidr
from skyclust_network.domain.model import cluster_network_name, cluster_rules, validate_rules

pytestmark = pytest.mark.unit

Net = ipaddress.IPv4Network


def known(name: str, *ranges: str, provider: str = "aws", managed: bool = True):
    return cidr.KnownNetwork(
        id=f"id-{name}",
        name=name,
        provider=provider,
        region="us-east-1",
        cidrs=tuple(Net(r) for r in ranges),
        managed=managed,
    )


def test_an_aws_network_blocks_an_overlapping_gcp_range_naming_it():
    aws = known("prod", "10.0.0.0/16")
    with pytest.raises(SkyclustError) as info:
        cidr.check_vpc("10.0.128.0/17", [aws], provider="gcp")
    assert info.value.code == "CIDR_OVERLAP" and info.value.status == 409
    assert "network 'prod' (aws us-east-1, id id-prod)" in info.value.message
    assert info.value.details["conflicts"][0]["cidr_block"] == "10.0.0.0/16"
    net, accepted = cidr.check_vpc("10.0.128.0/17", [aws], provider="gcp", allow_overlap=True)
    assert net == Net("10.0.128.0/17") and [o.network.name for o in accepted] == ["prod"]
    assert cidr.suggest(16, [aws]) == Net("10.1.0.0/16")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("10.0.0.0", "INVALID_CIDR"),
        ("10.0.0.1/16", "INVALID_CIDR"),
        ("10.300.0.0/16", "INVALID_CIDR"),
        ("fd00::/64", "INVALID_CIDR"),
        (None, "INVALID_CIDR"),
        ("8.8.0.0/16", "CIDR_NOT_PRIVATE"),
        ("172.32.0.0/16", "CIDR_NOT_PRIVATE"),
        ("10.0.0.0/8", "CIDR_PREFIX_OUT_OF_RANGE"),
        ("10.0.0.0/29", "CIDR_PREFIX_OUT_OF_RANGE"),
    ],
)
def test_bad_network_ranges_are_refused_with_stable_codes(value, code):
    with pytest.raises(SkyclustError) as info:
        cidr.check_vpc(value, [], provider="aws")
    assert info.value.code == code
    assert info.value.status == 422
    assert info.value.details["field"] == "cidr_block"


def test_subnets_are_inside_and_apart():
    vpc = [Net("10.1.0.0/16")]
    siblings = [cidr.Sibling("s1", "nodes", Net("10.1.0.0/24"))]
    assert cidr.check_subnet("10.1.1.0/24", vpc, siblings) == Net("10.1.1.0/24")
    for value, code in (
        ("10.2.0.0/24", "SUBNET_OUTSIDE_VPC"),
        ("10.1.0.128/25", "SUBNET_OVERLAP"),
        ("10.0.0.0/15", "SUBNET_OUTSIDE_VPC"),
    ):
        with pytest.raises(SkyclustError) as info:
            cidr.check_subnet(value, vpc, siblings)
        assert info.value.code == code, value


def test_suggestions_skip_what_is_taken_and_move_to_the_next_private_range():
    assert cidr.suggest(16, []) == Net("10.0.0.0/16")
    assert cidr.suggest(20, [known("a", "10.0.0.0/24")]) == Net("10.0.16.0/20")
    with pytest.raises(SkyclustError) as too_big:
        cidr.suggest(8, [known("a", "10.5.0.0/16")])
    assert too_big.value.code == "NO_FREE_CIDR"
    everything = known("all-of-10", "10.0.0.0/8")
    assert cidr.suggest(16, [everything], provider="gcp") == Net("172.16.0.0/16")
    with pytest.raises(SkyclustError) as info:
        cidr.suggest(16, [everything, known("b", "172.16.0.0/12"), known("c", "192.168.0.0/16")])
    assert info.value.code == "NO_FREE_CIDR"
    with pytest.raises(SkyclustError) as bad:
        cidr.suggest(30, [])
    assert bad.value.code == "CIDR_PREFIX_OUT_OF_RANGE"


def test_carving_subnets_for_a_cluster():
    blocks = cidr.carve(Net("10.4.0.0/16"), 20, 3, [Net("10.4.0.0/24")])
    assert blocks == [Net("10.4.16.0/20"), Net("10.4.32.0/20"), Net("10.4.48.0/20")]
    with pytest.raises(SkyclustError):
        cidr.carve(Net("10.4.0.0/24"), 25, 3)


def test_cluster_rules_and_names_suit_each_cloud():
    for provider in ("aws", "gcp", "azure"):
        rules = cluster_rules(provider, "10.9.0.0/16")
        assert rules and all(r.direction == "ingress" for r in rules)
        assert any(r.cidr == "10.9.0.0/16" for r in rules)
    azure = cluster_rules("azure", "10.9.0.0/16")
    assert len({r.priority for r in azure}) == len(azure)
    name = cluster_network_name("9_Prod Cluster!" * 5, "0b7c1d1e-8a63-4bd4-9a35-0d8b6f2d1f00")
    assert name.startswith("c9-prod-cluster") and name.endswith("-0b7c1d1e") and len(name) <= 40


def test_azure_rules_get_unique_priorities_and_aws_refuses_deny():
    rules = validate_rules(
        "azure",
        [
            {"direction": "ingress", "protocol": "tcp", "cidr": "0.0.0.0/0", "from_port": 443},
            {"direction": "ingress", "protocol": "tcp", "cidr": "0.0.0.0/0", "priority": 100},
            {"direction": "egress", "protocol": "udp", "cidr": "10.0.0.0/8", "from_port": 53},
        ],
    )
    assert [r.priority for r in rules] == [110, 100, 100]
    with pytest.raises(SkyclustError) as info:
        validate_rules(
            "aws",
            [{"direction": "ingress", "protocol": "all", "cidr": "0.0.0.0/0", "action": "deny"}],
        )
    assert info.value.code == "RULE_NOT_SUPPORTED"


# properties -----------------------------------------------------------------------------


def private_blocks(min_prefix: int = 8, max_prefix: int = 28) -> st.SearchStrategy[str]:
    """Random private ranges, deliberately crowded into a few /12s so overlaps are common."""

    def build(pool: int, offset: int, prefix: int) -> str:
        base = [Net("10.0.0.0/12"), Net("10.16.0.0/12"), Net("172.16.0.0/12")][pool]
        start = int(base.network_address) + offset % (2**20)
        return str(Net((start, prefix), strict=False))

    return st.builds(
        build,
        st.integers(0, 2),
        st.integers(0, 2**20 - 1),
        st.integers(max(min_prefix, 12), max_prefix),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["aws", "gcp", "azure"]), private_blocks(), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_no_two_accepted_networks_overlap_unless_asked(proposals):
    accepted: list[cidr.KnownNetwork] = []
    for i, (provider, block, _) in enumerate(proposals):
        try:
            net, _ = cidr.check_vpc(block, accepted, provider=provider)
        except SkyclustError as exc:
            assert exc.code in ("CIDR_OVERLAP", "CIDR_PREFIX_OUT_OF_RANGE")
            if exc.code == "CIDR_OVERLAP":
                assert any(Net(block).overlaps(c) for n in accepted for c in n.cidrs)
            continue
        accepted.append(known(f"n{i}", str(net), provider=provider))
    for a, b in combinations(accepted, 2):
        assert not a.cidrs[0].overlaps(b.cidrs[0]), (a, b)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(private_blocks(), max_size=25),
    st.integers(12, 28),
    st.sampled_from([None, "aws", "gcp", "azure"]),
)
def test_a_suggested_block_is_free_aligned_and_private(taken, prefix, provider):
    existing = [known(f"t{i}", t) for i, t in enumerate(taken)]
    low, high = cidr.limits_for(provider).vpc
    if not low <= prefix <= high:
        with pytest.raises(SkyclustError):
            cidr.suggest(prefix, existing, provider=provider)
        return
    block = cidr.suggest(prefix, existing, provider=provider)
    assert block.prefixlen == prefix
    assert cidr.is_private(block)
    assert not any(block.overlaps(Net(t)) for t in taken)
    # It is the lowest such block: nothing free sits before it in its pool.
    cidr.check_vpc(str(block), existing, provider=provider)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), st.integers(17, 26)), max_size=40))
def test_a_layout_check_accepts_no_overlapping_subnets(proposals):
    subnets = [
        {
            "cidr_block": str(
                Net((int(Net("10.7.0.0/16").network_address) + (o << 8), p), strict=False)
            )
        }
        for o, p in proposals
    ]
    problems = cidr.check_layout([{"cidr_block": "10.7.0.0/16", "subnets": subnets}], [])
    refused = {p.subnet_index for p in problems}
    kept = [Net(s["cidr_block"]) for j, s in enumerate(subnets) if j not in refused]
    for a, b in combinations(kept, 2):
        assert not a.overlaps(b)
    assert all(k.subnet_of(Net("10.7.0.0/16")) for k in kept)
