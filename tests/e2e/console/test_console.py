"""The web console in Debian's Chromium against the whole platform: sign in, create a
cluster through the wizard (the estimate and a budget warning shown before submitting)
and watch it reach READY live, with no reload; the cost chart drawn from collected
spend; the ClusterReady notification read and marked read; a viewer, switched into the
workspace, offered no create, scale or delete; and the live stream back by itself after
the gateway is killed and restarted, a scale made then reaching the page. Each page's
screenshot is kept."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from skyclust_tools.emulators import AwsAdmin
from skyclust_tools.oidc_provider import Account, OidcProvider

from ..client import Api
from ..test_cluster_lifecycle import add_credential
from ..test_cost import collect
from ..test_identity import join
from .conftest import Screens

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-9"
VIEWPORT: ViewportSize = {"width": 1280, "height": 860}
READY_SECONDS = 120


@dataclass
class Admin:
    api: Api
    email: str
    page: Page


@dataclass
class Created:
    cluster_id: str
    name: str
    estimate: str
    budget_warning: str


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/console/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clusters")).to_be_visible()


@pytest.fixture(scope="module")
def admin(platform: Any, browser: Browser, local_aws_credential: dict[str, Any]) -> Any:
    api = platform.api()
    account = api.signup(PASSWORD)
    add_credential(api, {**local_aws_credential, "name": "console-aws"})
    # A small warn budget over the workspace: the wizard must say the cluster passes it.
    budget = api.post(
        "/api/v1/budgets",
        json={"name": "tight", "amount": "5", "period": "monthly", "mode": "warn"},
    )
    assert budget.status_code == 201, budget.text
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    yield Admin(api, account["email"], page)
    context.close()


@pytest.fixture(scope="module")
def created(admin: Admin, platform: Any, screens: Screens) -> Created:
    """A cluster made through the wizard, followed on its page until it is READY."""
    page, name = admin.page, f"web-{uuid.uuid4().hex[:6]}"
    sign_in(page, platform.gateway_url, admin.email)
    page.get_by_role("link", name="Create cluster").click()
    expect(page.get_by_role("heading", name="Create a cluster")).to_be_visible()
    page.get_by_label("AWS").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Credential")).to_have_value(re.compile(".+"))
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Cluster name").fill(name)
    # One minor version below the newest, for the upgrade from the cluster's page.
    page.get_by_label("Kubernetes version").fill("1.30")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("tr.node-group")).to_have_count(1)
    page.get_by_role("button", name="Next").click()
    estimate = page.locator("#estimate-monthly")
    expect(estimate).to_contain_text("$")
    warning = page.locator(".budget-warning")
    expect(warning).to_contain_text("tight")
    screens(page, "wizard-review")
    shown = estimate.inner_text(), warning.inner_text()
    # Set on this document only: a reload would lose it.
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Create cluster").click()
    expect(page).to_have_url(re.compile(r"#/clusters/aws/[0-9a-f-]{36}$"))
    cluster_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#cluster-status")).to_have_attribute(
        "data-status", "READY", timeout=READY_SECONDS * 1000
    )
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    screens(page, "cluster-detail")
    return Created(cluster_id, name, *shown)


def test_signing_in_shows_the_clusters_page_and_the_live_stream(
    admin: Admin, platform: Any, screens: Screens, browser: Browser
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{platform.gateway_url}/console/")
    expect(page.get_by_role("heading", name="Sign in to SkyClust")).to_be_visible()
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("INVALID_CREDENTIALS")
    screens(page, "login")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
    expect(page.locator("#whoami")).to_contain_text(f"{admin.email} · admin")
    expect(page.locator("#live")).to_have_text("live")
    page.close()


def test_signing_in_with_the_oidc_provider_comes_back_to_the_console(
    platform: Any, oidc_provider: OidcProvider, browser: Browser
) -> None:
    person = Account(f"sub-{uuid.uuid4().hex[:10]}", f"olive-{uuid.uuid4().hex[:8]}@example.com")
    oidc_provider.add_user(person)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()

    def as_person(route: Route) -> None:
        # The local provider has no login page: the hint says who signs in.
        hint = urlencode({"login_hint": person.sub})
        route.continue_(url=f"{route.request.url}&{hint}")

    page.route(re.compile(re.escape(oidc_provider.issuer.rstrip("/")) + "/authorize"), as_person)
    try:
        page.goto(f"{platform.gateway_url}/console/")
        page.get_by_role("link", name="local").click()
        expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
        expect(page.locator("#whoami")).to_contain_text(f"{person.email} · admin")
        assert "code=" not in page.url and page.url.endswith("/console/#/clusters"), page.url
    finally:
        context.close()


def test_a_cluster_made_in_the_wizard_reaches_ready_live_without_a_reload(
    created: Created, admin: Admin, screens: Screens
) -> None:
    page = admin.page
    assert re.fullmatch(r"\$[0-9,]+\.[0-9]{2}", created.estimate), created.estimate
    assert "over $5.00" in created.budget_warning and "(warn)" in created.budget_warning
    timeline = page.locator("#timeline li")
    expect(page.locator('#timeline li[data-event="ClusterReady"]')).to_have_count(1)
    events = timeline.evaluate_all("items => items.map(i => i.dataset.event)")
    assert "ClusterProvisioning" in events and events[-1] == "ClusterRequested", events
    page.get_by_role("link", name="Clusters", exact=True).click()
    row = page.locator(f'tr[data-cluster="{created.cluster_id}"]')
    expect(row).to_have_attribute("data-status", "READY")
    expect(row).to_contain_text(created.name)
    assert page.evaluate("window.__sameDocument") is True
    screens(page, "clusters")


def test_the_costs_page_draws_daily_spend_by_cloud(
    created: Created, admin: Admin, platform: Any, screens: Screens
) -> None:
    cloud = AwsAdmin(platform.env["SKYCLUST_AWS_ENDPOINT_URL"])
    cloud.advance_billing(86400)
    collected = collect(admin.api, "aws")
    assert collected["providers"]["aws"] > 0
    page = admin.page
    page.get_by_role("link", name="Costs").click()
    chart = page.locator("svg.chart").first
    expect(chart.locator('path[data-series="AWS"]')).to_have_count(1)
    amounts = chart.locator("circle.s0").evaluate_all("dots => dots.map(d => d.dataset.amount)")
    assert amounts and max(float(a) for a in amounts) > 0, amounts
    legend = page.locator(".legend li").first.inner_text()
    assert float(re.sub(r"[^0-9.]", "", legend.split("$", 1)[1])) > 0, legend
    expect(page.get_by_role("table", name=re.compile("Spend by service"))).to_contain_text(
        "Amazon Elastic"
    )
    expect(page.locator("svg.chart path.band95")).to_have_count(1)
    screens(page, "costs")


def test_the_ready_notification_is_read_and_marked_read(
    created: Created, admin: Admin, screens: Screens
) -> None:
    page = admin.page
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    note = page.locator('li[data-event-type="ClusterReady"]', has_text=created.name)
    expect(note).to_have_class("unread")
    badge = page.locator("#unread")
    before = int(badge.inner_text())
    assert before >= 1
    screens(page, "notifications")
    note.get_by_role("button", name="Mark read").click()
    expect(note).to_have_class("read")
    expect(note.get_by_role("button", name="Mark read")).to_have_count(0)
    if before == 1:
        expect(badge).to_be_hidden()
    else:
        expect(badge).to_have_text(str(before - 1))
    unread = admin.api.get("/api/v1/notifications", params={"unread": "true"}).json()["data"]
    assert note.get_attribute("data-notification") not in [n["id"] for n in unread["items"]]


def test_a_viewer_sees_no_create_scale_or_delete(
    created: Created, admin: Admin, platform: Any, browser: Browser, screens: Screens
) -> None:
    # join reads the verification mail with asyncio.run, which cannot run on this thread:
    # Playwright's sync API keeps an event loop here.
    with ThreadPoolExecutor(1) as pool:
        viewer, account = pool.submit(join, platform, admin.api, "viewer").result()
    workspace = admin.api.get("/api/v1/auth/me").json()["data"]["workspace"]["id"]
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        sign_in(page, platform.gateway_url, account["email"])
        # Signed in to their own workspace (admin there), then switched to the shared one.
        expect(page.locator("#whoami")).to_contain_text("admin")
        page.get_by_label("Workspace").select_option(workspace)
        expect(page.locator("#whoami")).to_contain_text("viewer")
        expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
        expect(page.locator(f'tr[data-cluster="{created.cluster_id}"]')).to_be_visible()
        expect(page.get_by_role("link", name="Create cluster")).to_have_count(0)
        expect(page.get_by_role("link", name="Audit log")).to_be_hidden()
        screens(page, "viewer-clusters")
        page.get_by_role("link", name=created.name).click()
        expect(page.locator("#cluster-status")).to_have_attribute("data-status", "READY")
        expect(page.get_by_role("heading", name="Node groups")).to_be_visible()
        for name in ("Delete cluster", "Scale", "Download kubeconfig"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        page.goto(f"{platform.gateway_url}/console/#/clusters/new")
        expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
        expect(page.get_by_role("heading", name="Create a cluster")).to_have_count(0)
    finally:
        context.close()
    assert viewer.get("/api/v1/auth/me").json()["data"]["workspace"]["role"] == "viewer"


def test_the_stream_reconnects_by_itself_after_the_gateway_restarts(
    created: Created, admin: Admin, platform: Any, screens: Screens
) -> None:
    page = admin.page
    page.get_by_role("link", name="Clusters", exact=True).click()
    page.get_by_role("link", name=created.name).click()
    expect(page.locator("#cluster-status")).to_have_attribute("data-status", "READY")
    live = page.locator("#live")
    expect(live).to_have_text("live")

    victim = platform.pid("gateway")
    os.kill(victim, signal.SIGKILL)
    expect(live).not_to_have_text("live", timeout=15_000)
    deadline = time.monotonic() + 60
    while not _ready(platform.gateway_url):
        assert time.monotonic() < deadline, "the launcher did not bring the gateway back"
        time.sleep(0.5)
    assert platform.pid("gateway") != victim
    expect(live).to_have_text("live", timeout=60_000)

    # A change after the restart reaches the page over the stream it reopened.
    group = page.locator("tr[data-node-group]")
    group.get_by_label(re.compile("^Desired nodes of")).fill("3")
    group.get_by_role("button", name="Scale").click()
    expect(page.locator('#timeline li[data-event="NodeGroupScaled"]')).to_have_count(
        1, timeout=60_000
    )
    expect(group.get_by_label(re.compile("^Desired nodes of"))).to_have_value("3")
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    screens(page, "cluster-after-restart")


def test_an_upgrade_and_a_reconciled_drift_from_the_clusters_page(
    created: Created, admin: Admin, platform: Any, screens: Screens
) -> None:
    page = admin.page
    page.goto(f"{platform.gateway_url}/console/#/clusters/aws/{created.cluster_id}")
    expect(page.locator("#cluster-status")).to_have_attribute("data-status", "READY")
    page.get_by_label("Upgrade to version").fill("1.31")
    page.get_by_role("button", name="Upgrade").click()
    expect(page.locator('#timeline li[data-event="ClusterUpgraded"]')).to_have_count(
        1, timeout=READY_SECONDS * 1000
    )
    expect(page.locator("#cluster-status")).to_have_attribute("data-status", "READY")
    expect(page.locator(".facts dt:text-is('Version') + dd")).to_have_text("1.31")

    # Resized behind SkyClust's back: the page shows the drift, Reconcile puts it back.
    eks = boto3.client(
        "eks",
        region_name="us-east-1",
        endpoint_url=platform.env["SKYCLUST_AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    eks.update_nodegroup_config(
        clusterName=created.name,
        nodegroupName="workers",
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 1},
    )
    drift = page.locator("#drift")
    expect(drift).to_contain_text("node_groups.workers.desired_size", timeout=60_000)
    screens(page, "cluster-drift")
    drift.get_by_role("button", name="Reconcile").click()
    expect(page.locator('#timeline li[data-event="ClusterDriftResolved"]')).to_have_count(
        1, timeout=60_000
    )
    expect(drift).to_have_count(0)
    group = eks.describe_nodegroup(clusterName=created.name, nodegroupName="workers")
    assert group["nodegroup"]["scalingConfig"]["desiredSize"] == 3


def test_the_kubeconfig_downloads_and_the_cluster_is_deleted_from_its_page(
    created: Created, admin: Admin, platform: Any
) -> None:
    page = admin.page
    page.goto(f"{platform.gateway_url}/console/#/clusters/aws/{created.cluster_id}")
    expect(page.locator("#cluster-status")).to_have_attribute("data-status", "READY")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download kubeconfig").click()
    saved = download.value
    assert saved.suggested_filename == f"{created.name}-kubeconfig.yaml"
    kubeconfig = json.loads(Path(saved.path()).read_text())
    assert kubeconfig["kind"] == "Config"
    assert kubeconfig["clusters"][0]["cluster"]["server"].startswith("https://")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete cluster").click()
    expect(page.locator("#cluster-status")).to_have_attribute(
        "data-status", "DELETED", timeout=READY_SECONDS * 1000
    )
    expect(page.locator('#timeline li[data-event="ClusterDeleted"]')).to_have_count(1)
    gone = admin.api.get(f"/api/v1/aws/kubernetes/clusters/{created.cluster_id}")
    assert gone.status_code == 404


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
