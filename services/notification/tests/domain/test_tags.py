"""The pure side of tag filters: which resources an event is about, how their tags
combine, when a rule's filter holds, and which filters are refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from skyclust_notification.domain.errors import InvalidRuleTags
from skyclust_notification.domain.model import Severity
from skyclust_notification.domain.rules import Rule, by_tags, routed_channels
from skyclust_notification.domain.tags import check_tags, effective, holds, subjects

pytestmark = pytest.mark.unit


def rule(**kwargs: object) -> Rule:
    return Rule(
        id=uuid.uuid4(),
        workspace_id=uuid.uuid4(),
        name="r",
        event_types=("Cluster*",),
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        channel_ids=(uuid.uuid4(),),
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_event_is_about_every_resource_it_names_broadest_first():
    data = {"node_group_id": "ng", "cluster_id": "c", "name": "x", "vpc_id": None}
    assert subjects(data) == ["c", "ng"]
    assert subjects({"credential_id": "k"}) == []


def test_a_narrower_resource_overrides_its_parents_tags():
    known = {"c": {"env": "prod", "team": "a"}, "ng": {"team": "b"}}
    assert effective(known, ["c", "ng"]) == {"env": "prod", "team": "b"}
    assert effective(known, ["unknown"]) == {}


def test_a_filter_holds_only_when_every_key_has_its_value():
    tags = {"env": "prod", "team": "a"}
    assert holds((), {})
    assert holds((("env", "prod"),), tags)
    assert holds((("env", "prod"), ("team", "a")), tags)
    assert not holds((("env", "prod"), ("team", "b")), tags)
    assert not holds((("owner", ""),), tags)
    assert holds((("owner", ""),), {"owner": ""})


def test_a_rule_with_tags_matches_only_events_about_tagged_resources():
    tagged = rule(tags=(("env", "prod"),))
    plain = rule()
    assert by_tags([plain, tagged]) and not by_tags([plain])
    assert tagged.matches("ClusterFailed", Severity.CRITICAL, "c", {"env": "prod"})
    assert not tagged.matches("ClusterFailed", Severity.CRITICAL, "c", {"env": "dev"})
    assert not tagged.matches("ClusterFailed", Severity.CRITICAL, "c", None)
    assert plain.matches("ClusterFailed", Severity.CRITICAL, "c", None)
    # Tags and resources together: both must hold.
    both = rule(tags=(("env", "prod"),), resource_ids=("c",))
    assert not both.matches("ClusterFailed", Severity.CRITICAL, "d", {"env": "prod"})
    routed = routed_channels([tagged, plain], "ClusterReady", Severity.INFO, "c", {"env": "dev"})
    assert routed == set(plain.channel_ids)


def test_a_filter_is_sorted_and_bad_ones_refused_with_one_code():
    assert check_tags({"team": "a", "env": "prod"}) == (("env", "prod"), ("team", "a"))
    assert check_tags({}) == ()
    for bad in (
        {"": "x"},
        {"k" * 129: "x"},
        {"env": "v" * 257},
        {" env": "prod"},
        {"env\n": "prod"},
        {"env": "pr\x00od"},
        {f"k{i}": "v" for i in range(21)},
        {"env": 3},
    ):
        with pytest.raises(InvalidRuleTags) as refused:
            check_tags(bad)
        assert refused.value.code == "NOTIFICATION_RULE_TAGS_INVALID"
        assert refused.value.status == 422
