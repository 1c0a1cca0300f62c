"""One behaviour suite for every ClusterProvider: the in-memory fake, EKS on moto, GKE
on the GCP emulator and AKS on the Azure emulator, each through its real SDK: clusters,
node groups, kubeconfigs and upgrades."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from prometheus_client import REGISTRY

from skyclust_common.errors import ProviderError
from skyclust_provisioning.adapters.providers.azure_kubeconfig import AKS_AAD_SERVER_APP
from skyclust_provisioning.adapters.providers.base import same_minor
from skyclust_provisioning.domain.node_group import Taint

from .cloud_harness import (
    Cloud,
    _active,
    _group_active,
    group_for,
    ready_cluster,
    spec_for,
    until,
)

pytestmark = pytest.mark.integration


async def test_create_is_idempotent_and_becomes_active(cloud: Cloud) -> None:
    spec = spec_for(cloud)
    first = await cloud.provider.create(spec, cloud.credential)
    again = await cloud.provider.create(spec, cloud.credential)
    assert again.cloud_id == first.cloud_id
    assert first.owner == spec.cluster_id

    async def active() -> Any:
        view = await cloud.provider.describe(spec, cloud.credential)
        return view if view is not None and view.active else None

    ready = await until(active)
    assert ready.endpoint and ready.endpoint.startswith("https://")
    assert ready.version


async def test_a_name_in_use_by_someone_else_is_refused(cloud: Cloud) -> None:
    mine = spec_for(cloud)
    await cloud.provider.create(mine, cloud.credential)
    theirs = spec_for(cloud, name=mine.name)
    with pytest.raises(ProviderError) as info:
        await cloud.provider.create(theirs, cloud.credential)
    assert info.value.code == "CLUSTER_NAME_TAKEN"
    assert not info.value.retryable
    assert await cloud.provider.describe(theirs, cloud.credential) is None
    await cloud.provider.delete(theirs, cloud.credential)  # never touches mine
    assert await cloud.provider.describe(mine, cloud.credential) is not None


async def test_delete_is_idempotent_and_ends_in_not_found(cloud: Cloud) -> None:
    spec = spec_for(cloud)
    await cloud.provider.create(spec, cloud.credential)
    await until(lambda: _active(cloud, spec))
    await cloud.provider.delete(spec, cloud.credential)
    await cloud.provider.delete(spec, cloud.credential)

    async def gone() -> bool:
        return await cloud.provider.describe(spec, cloud.credential) is None

    assert await until(gone)


async def test_wrong_credentials_are_a_permanent_auth_error(emulated: Cloud) -> None:
    cloud = emulated
    assert cloud.bad_credential is not None
    with pytest.raises(ProviderError) as info:
        await cloud.provider.create(spec_for(cloud), cloud.bad_credential)
    assert info.value.code == "PROVIDER_AUTH_FAILED"
    assert not info.value.retryable


async def test_throttling_is_retryable_and_is_not_taken_for_absence(emulated: Cloud) -> None:
    cloud = emulated
    spec = spec_for(cloud)
    await cloud.provider.create(spec, cloud.credential)
    cloud.admin.inject_fault(spec.name, method="GET", status=429, times=None)
    labels = {"provider": cloud.name, "operation": "describe", "outcome": "throttled"}
    throttles = REGISTRY.get_sample_value("skyclust_cloud_api_calls_total", labels) or 0.0
    with pytest.raises(ProviderError) as info:
        await cloud.provider.describe(spec, cloud.credential)
    assert info.value.code == "PROVIDER_THROTTLED"
    assert info.value.retryable
    # Counted where the call left the loop, as the cloud's throttle.
    assert REGISTRY.get_sample_value("skyclust_cloud_api_calls_total", labels) == throttles + 1
    cloud.admin.clear_faults()
    assert await cloud.provider.describe(spec, cloud.credential) is not None


# node groups ---------------------------------------------------------------------


async def test_node_group_lifecycle(cloud: Cloud) -> None:
    """One cluster per cloud (they are slow to make): create twice, scale and relabel,
    refuse a stranger's same-named group, delete twice."""
    cluster = await ready_cluster(cloud)
    group = group_for(cluster)
    first = await cloud.provider.create_node_group(cluster, group, cloud.credential)
    again = await cloud.provider.create_node_group(cluster, group, cloud.credential)
    assert again.cloud_id == first.cloud_id
    assert first.owner == group.node_group_id
    ready = await until(lambda: _group_active(cloud, cluster, group))
    assert (ready.min_size, ready.max_size, ready.desired_size) == (1, 3, 2)
    assert ready.labels == {"tier": "web"}
    assert ready.taints == (Taint("dedicated", "web", "NoSchedule"),)
    assert ready.matches(group)

    changed = dataclasses.replace(
        group, min_size=2, max_size=5, desired_size=4, labels={"tier": "api"}, taints=()
    )

    async def converged() -> bool:
        view = await cloud.provider.describe_node_group(cluster, changed, cloud.credential)
        assert view is not None
        if view.active and view.matches(changed):
            return True
        await cloud.provider.update_node_group(cluster, changed, cloud.credential)
        return False

    assert await until(converged)
    view = await cloud.provider.describe_node_group(cluster, changed, cloud.credential)
    assert view is not None
    assert (view.min_size, view.max_size, view.desired_size) == (2, 5, 4)
    assert (view.labels, view.taints) == ({"tier": "api"}, ())

    theirs = group_for(cluster, name=group.name)
    with pytest.raises(ProviderError) as info:
        await cloud.provider.create_node_group(cluster, theirs, cloud.credential)
    assert info.value.code == "NODE_GROUP_NAME_TAKEN"
    assert not info.value.retryable
    assert await cloud.provider.describe_node_group(cluster, theirs, cloud.credential) is None
    await cloud.provider.delete_node_group(cluster, theirs, cloud.credential)  # not mine
    assert await cloud.provider.describe_node_group(cluster, group, cloud.credential) is not None

    await cloud.provider.delete_node_group(cluster, group, cloud.credential)
    await cloud.provider.delete_node_group(cluster, group, cloud.credential)

    async def gone() -> bool:
        return await cloud.provider.describe_node_group(cluster, group, cloud.credential) is None

    assert await until(gone)


async def test_node_group_throttling_is_not_taken_for_absence(emulated: Cloud) -> None:
    cloud = emulated
    cluster = await ready_cluster(cloud)
    group = group_for(cluster)
    await cloud.provider.create_node_group(cluster, group, cloud.credential)
    cloud.admin.inject_fault(group.name, method="GET", status=429, times=None)
    with pytest.raises(ProviderError) as info:
        await cloud.provider.describe_node_group(cluster, group, cloud.credential)
    assert info.value.code == "PROVIDER_THROTTLED"
    assert info.value.retryable
    with pytest.raises(ProviderError):
        await cloud.provider.delete_node_group(cluster, group, cloud.credential)
    cloud.admin.clear_faults()
    assert await cloud.provider.describe_node_group(cluster, group, cloud.credential) is not None


# kubeconfig ----------------------------------------------------------------------


async def test_kubeconfig_has_the_endpoint_and_a_short_lived_credential(cloud: Cloud) -> None:
    with pytest.raises(ProviderError) as info:
        await cloud.provider.kubeconfig(spec_for(cloud), cloud.credential)
    assert info.value.code == "PROVIDER_RESOURCE_LOST"
    assert not info.value.retryable

    cluster = await ready_cluster(cloud)
    view = await cloud.provider.describe(cluster, cloud.credential)
    assert view is not None and view.endpoint
    issued = await cloud.provider.kubeconfig(cluster, cloud.credential)
    text = issued.kubeconfig
    config = json.loads(text)
    if cloud.name == "azure":  # the cloud's own YAML document, handed on as JSON
        assert config["kind"] == "Config"
        assert view.endpoint.removeprefix("https://") in config["clusters"][0]["cluster"]["server"]
        assert config["users"][0]["user"]["token"]
        return
    server = config["clusters"][0]["cluster"]["server"]
    assert server.rstrip("/").startswith(view.endpoint.rstrip("/"))
    assert config["clusters"][0]["cluster"]["certificate-authority-data"]
    token = config["users"][0]["user"]["token"]
    assert config["current-context"] == cluster.name
    assert issued.expires_at is not None
    assert issued.expires_at > datetime.now(UTC)
    if cloud.name == "aws":
        assert token.startswith("k8s-aws-v1.")
        url = base64.urlsafe_b64decode(token.removeprefix("k8s-aws-v1.") + "==").decode()
        assert url.startswith("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity")
        assert "x-k8s-aws-id" in url and "X-Amz-Signature=" in url
        assert cloud.credential["secret_access_key"] not in text
    if cloud.name == "gcp":
        assert token.startswith("ya29.")
        assert cloud.credential["service_account_json"] not in text


async def test_the_exec_plugin_token_is_fresh_and_expires(cloud: Cloud) -> None:
    cluster = await ready_cluster(cloud)
    first = await cloud.provider.cluster_token(cluster, cloud.credential)
    second = await cloud.provider.cluster_token(cluster, cloud.credential)
    assert first.expires_at is not None and first.expires_at > datetime.now(UTC)
    token = first.status["token"]
    if cloud.name == "azure":
        # An Entra ID token for the AKS server application, as kubelogin gets one.
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["aud"] == AKS_AAD_SERVER_APP
        assert claims["appid"] == cloud.credential["client_id"]
        assert claims["tid"] == cloud.credential["tenant_id"]
        assert abs(claims["exp"] - first.expires_at.timestamp()) < 30
        assert cloud.credential["client_secret"] not in token
    else:
        assert second.status["token"] and set(first.status) == {"token"}


# versions and upgrades -----------------------------------------------------------


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


async def test_upgrades_move_one_minor_up_control_plane_then_nodes(cloud: Cloud) -> None:
    versions = await cloud.provider.versions(cloud.region, cloud.credential)
    assert all(re.fullmatch(r"\d+\.\d+", v) for v in versions)
    assert versions == sorted(set(versions), key=_minor)
    assert cloud.version in versions
    target = versions[versions.index(cloud.version) + 1]

    cluster = await ready_cluster(cloud)
    group = group_for(cluster)
    await cloud.provider.create_node_group(cluster, group, cloud.credential)
    nodes = await until(lambda: _group_active(cloud, cluster, group))
    assert same_minor(nodes.version, cloud.version)
    assert nodes.instance_type

    await cloud.provider.upgrade(cluster, target, cloud.credential)
    await cloud.provider.upgrade(cluster, target, cloud.credential)  # on its way: nothing

    async def upgraded() -> Any:
        view = await cloud.provider.describe(cluster, cloud.credential)
        assert view is not None
        return view if view.active and same_minor(view.version, target) else None

    assert await until(upgraded)

    await cloud.provider.upgrade_node_group(cluster, group, target, cloud.credential)
    await cloud.provider.upgrade_node_group(cluster, group, target, cloud.credential)

    async def nodes_upgraded() -> Any:
        view = await _group_active(cloud, cluster, group)
        return view if view is not None and same_minor(view.version, target) else None

    assert await until(nodes_upgraded)
    await cloud.provider.upgrade(cluster, target, cloud.credential)  # there already: nothing
    view = await cloud.provider.describe(cluster, cloud.credential)
    assert view is not None and view.active and same_minor(view.version, target)
