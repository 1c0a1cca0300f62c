"""A cluster request's monthly estimate: line items by piece, Decimal money whose total
is the sum of its lines, the price source, and warnings for what has no price."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from skyclust_cost.domain.estimate import ClusterRequest, NodeGroupRequest, estimate
from skyclust_cost.domain.prices import LivePrice, PriceBook


def test_an_eks_cluster_with_two_groups_and_a_nat_gateway():
    request = ClusterRequest.from_dict(
        {
            "provider": "aws",
            "region": "us-east-1",
            "version": "1.30",
            "node_groups": [
                {"name": "a", "instance_type": "m5.large", "min_size": 1, "max_size": 5,
                 "desired_size": 2},
                {"name": "b", "instance_type": "m5.large", "min_size": 0, "max_size": 1,
                 "desired_size": 1},
                {"name": "c", "min_size": 1, "max_size": 1, "desired_size": 1},
            ],
            "network": {"vpc_id": "8a7c3c5e-0000-4000-8000-000000000001"},
            "network_pieces": {"nat_gateways": 1},
        }
    )  # fmt: skip
    est = estimate(request, PriceBook())
    lines = {(i.kind, i.name): i for i in est.line_items}
    assert lines["control_plane", "standard"].monthly == Decimal("73.00")
    m5 = lines["nodes", "m5.large"]
    assert (m5.quantity, m5.monthly, m5.monthly_min, m5.monthly_max) == (
        3, Decimal("210.24"), Decimal("70.08"), Decimal("420.48"),
    )  # fmt: skip
    assert lines["nodes", "t3.medium"].monthly == Decimal("30.37")  # EKS's default type
    assert lines["network", "nat_gateway"].monthly == Decimal("32.85")
    assert est.monthly == Decimal("346.46")
    assert est.currency == "USD" and est.price_source == "default_table"
    assert [w["code"] for w in est.warnings] == ["DEFAULT_PRICES"]


def test_a_gke_request_without_node_groups_prices_its_default_pool():
    est = estimate(
        ClusterRequest.from_dict(
            {"provider": "gcp", "region": "us-central1",
             "gcp_config": {"machine_type": "e2-standard-4", "node_count": 3}}
        ),
        PriceBook(),
    )  # fmt: skip
    nodes = [i for i in est.line_items if i.kind == "nodes"]
    assert len(nodes) == 1 and nodes[0].name == "e2-standard-4" and nodes[0].quantity == 3
    # 4 E2 cores and 16 GiB: (4 * 0.02181159 + 16 * 0.00292353) * 730 * 3
    assert nodes[0].monthly == Decimal("293.51")


def test_an_unknown_type_is_a_warning_and_is_left_out_not_an_error():
    est = estimate(
        ClusterRequest(
            "azure", "eastus", node_groups=(NodeGroupRequest("gpu", "Standard_ND96", 2),)
        ),
        PriceBook(),
    )
    assert [i.kind for i in est.line_items] == ["control_plane"]
    assert est.line_items[0].monthly == 0  # AKS's Free tier
    unknown = [w for w in est.warnings if w["code"] == "UNKNOWN_INSTANCE_TYPE"]
    assert unknown and "Standard_ND96" in unknown[0]["message"]
    assert unknown[0]["provider"] == "azure" and unknown[0]["resource_type"] == "vm"


def test_live_prices_make_the_source_pricing_api():
    book = PriceBook.from_live(
        [
            LivePrice("aws", "instance", "m5.large", "*", Decimal("0.1")),
            LivePrice("aws", "control_plane", "standard", "*", Decimal("0.1")),
        ]
    )
    est = estimate(
        ClusterRequest("aws", "us-east-1", node_groups=(NodeGroupRequest("a", "m5.large", 1),)),
        book,
    )
    assert est.price_source == "pricing_api" and est.warnings == ()
    assert est.monthly == Decimal("146.00")


def test_a_node_group_add_prices_only_its_nodes():
    est = estimate(
        ClusterRequest("aws", "us-east-1", node_groups=(NodeGroupRequest("a", "t3.large", 2),),
                       include_control_plane=False),
        PriceBook(),
    )  # fmt: skip
    assert [i.kind for i in est.line_items] == ["nodes"]
    assert est.monthly == Decimal("121.47")


groups = st.lists(
    st.tuples(
        st.sampled_from(["t3.medium", "m5.large", "c5.xlarge", "r5.large", "x9.huge"]),
        st.integers(0, 50),
        st.integers(0, 50),
    ),
    max_size=6,
)


@given(groups, st.integers(0, 3), st.integers(0, 3))
def test_the_total_is_the_sum_of_the_lines_and_min_le_desired_le_max(gs, nats, lbs):
    node_groups = tuple(
        NodeGroupRequest(f"g{i}", t, lo + extra, lo, lo + 2 * extra)
        for i, (t, lo, extra) in enumerate(gs)
    )
    est = estimate(
        ClusterRequest("aws", "us-east-1", node_groups=node_groups, nat_gateways=nats,
                       load_balancers=lbs),
        PriceBook(),
    )  # fmt: skip
    assert est.monthly == sum(i.monthly for i in est.line_items)
    assert est.monthly_min == sum(i.monthly_min for i in est.line_items)
    assert est.monthly_min <= est.monthly <= est.monthly_max
    assert all(i.monthly.as_tuple().exponent == -2 for i in est.line_items)
    assert len({i.name for i in est.line_items if i.kind == "nodes"}) == len(
        [i for i in est.line_items if i.kind == "nodes"]
    )
    as_json = est.as_dict()
    assert Decimal(as_json["monthly"]) == est.monthly
