"""The console's networks, credentials and budgets pages, and the wizard's budget verdict,
in Debian's Chromium against the whole platform: a network created from the page is on
the address map, its subnets placed inside it, and an overlap asked for is marked; a
subnet and a security group with rules made and deleted from the page, and a bad block
shown with the API's code; a credential rotated from the page; a budget created from the
costs page listed with its thresholds, drawn on the chart, and edited; the wizard's
review shows the cost service's guardrail verdict, the create meets it, and an admin's
explicit override creates the cluster (audited) where a user is offered none; a viewer
reads these pages with no button to change them. Each page's screenshot is kept."""

from __future__ import annotations

import ipaddress
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from ..client import Api
from ..test_budget_guardrail import audited
from ..test_cluster_lifecycle import add_credential
from ..test_identity import join
from ..test_vault import new_key
from .conftest import Screens
from .test_console import PASSWORD, VIEWPORT, sign_in

pytestmark = pytest.mark.e2e
A_SLASH_16 = re.compile(r"^10\.[0-9]+\.0\.0/16$")


@dataclass
class Admin:
    api: Api
    email: str
    page: Page
    credential: dict[str, Any]


@pytest.fixture(scope="module")
def admin(platform: Any, browser: Browser, local_aws_credential: dict[str, Any]) -> Any:
    api = platform.api()
    account = api.signup(PASSWORD)
    credential = {**local_aws_credential, "name": f"pages-aws-{uuid.uuid4().hex[:6]}"}
    credential["id"] = add_credential(api, credential)["id"]
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sign_in(page, platform.gateway_url, account["email"])
    yield Admin(api, account["email"], page, credential)
    context.close()


def ready_vpc(api: Api, vpc_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        vpc: dict[str, Any] = api.get(f"/api/v1/aws/network/vpcs/{vpc_id}").json()["data"]
        if vpc["status"] == "READY":
            return vpc
        assert vpc["status"] in ("PENDING", "UPDATING"), vpc
        assert time.monotonic() < deadline, f"network {vpc_id} never READY: {vpc}"
        time.sleep(1)


def test_a_network_made_on_the_page_is_on_the_map_with_its_subnets(
    admin: Admin, screens: Screens
) -> None:
    page, name = admin.page, f"net-{uuid.uuid4().hex[:6]}"
    page.get_by_role("link", name="Networks").click()
    expect(page.get_by_role("heading", name="Networks", exact=True)).to_be_visible()
    free = page.locator("#next-free")
    expect(free).to_have_text(A_SLASH_16)
    planned = free.inner_text()
    page.get_by_label("Cloud").select_option("aws")
    page.get_by_label("Network name").fill(name)
    page.get_by_role("button", name="Create network").click()
    row = page.locator("section[data-cloud=aws] tr[data-vpc]", has_text=name)
    expect(row).to_have_count(1)
    vpc_id = row.get_attribute("data-vpc")
    assert vpc_id
    # Blank block: the planner's next free /16 was taken, and the map places it by address.
    block = page.locator(f'svg.cidr-map[data-range="10.0.0.0/8"] rect[data-vpc="{vpc_id}"]')
    expect(block).to_have_attribute("data-cidr", planned)
    expect(free).not_to_have_text(planned)
    assert ipaddress.ip_network(free.inner_text()).prefixlen == 16
    ready_vpc(admin.api, vpc_id)
    network = ipaddress.ip_network(planned)
    subnets = [str(s) for s in list(network.subnets(new_prefix=24))[1:3]]
    for i, cidr in enumerate(subnets):
        made = admin.api.post(
            "/api/v1/aws/network/subnets",
            json={"vpc_id": vpc_id, "name": f"nodes-{i}", "cidr_block": cidr},
        )
        assert made.status_code == 202, made.text
    # The stream's subnet events redraw the page: no reload.
    inside = page.locator(f'svg[data-vpc-map="{vpc_id}"] rect[data-subnet]')
    expect(inside).to_have_count(2)
    assert sorted(inside.evaluate_all("r => r.map(x => x.dataset.cidr)")) == subnets
    xs = inside.evaluate_all("r => r.map(x => Number(x.getAttribute('x')))")
    assert xs[0] < xs[1], "subnets are placed by address"
    expect(page.locator(".cidr-map .overlap")).to_have_count(0)
    expect(page.locator("section[data-cloud=aws] tr[data-subnet]")).to_have_count(2)
    screens(page, "networks")
    # Overlap only when asked for: both blocks are then marked, on lanes of their own.
    twin = admin.api.post(
        "/api/v1/aws/network/vpcs",
        json={
            "credential_id": admin.credential["id"],
            "name": f"{name}-twin",
            "region": "us-east-1",
            "cidr_block": planned,
            "allow_overlap": True,
        },
    )
    assert twin.status_code == 202, twin.text
    marked = page.locator('svg.cidr-map[data-range="10.0.0.0/8"] rect.overlap')
    expect(marked).to_have_count(2)
    lanes = marked.evaluate_all("r => r.map(x => Number(x.getAttribute('y')))")
    assert len(set(lanes)) == 2, lanes
    screens(page, "networks-overlap")


def test_a_subnet_and_a_security_group_made_and_deleted_on_the_page(
    admin: Admin, screens: Screens
) -> None:
    made = admin.api.post(
        "/api/v1/aws/network/vpcs",
        json={
            "credential_id": admin.credential["id"],
            "name": f"crud-{uuid.uuid4().hex[:6]}",
            "region": "us-east-1",
            "prefix_length": 16,
        },
    )
    assert made.status_code == 202, made.text
    vpc = ready_vpc(admin.api, made.json()["data"]["id"])
    block = ipaddress.ip_network(vpc["cidr_block"])
    subnet_cidr = str(next(block.subnets(new_prefix=24)))
    page = admin.page
    page.get_by_role("link", name="Clusters", exact=True).click()
    page.get_by_role("link", name="Networks").click()
    subnet_form = page.get_by_role("form", name="Add a subnet")
    # The network list is filled once the page has read the networks.
    expect(
        subnet_form.get_by_label("Network").locator(f'option[value="{vpc["id"]}"]')
    ).to_have_count(1)

    # A block that is no CIDR goes to the API, whose code and message are shown on the field.
    subnet_form.get_by_label("Network").select_option(vpc["id"])
    subnet_form.get_by_label("Subnet name").fill("web")
    subnet_form.get_by_label("Subnet block").fill("10.0.300.0/24")
    with page.expect_response("**/api/v1/aws/network/subnets") as answered:
        subnet_form.get_by_role("button", name="Create subnet").click()
    refused = answered.value
    assert refused.status == 422, refused.text()
    error = refused.json()["error"]
    assert error["code"] == "INVALID_CIDR", error
    shown = subnet_form.get_by_role("alert")
    expect(shown).to_have_text(f"INVALID_CIDR: {error['message']}")
    expect(shown).to_have_attribute("data-code", "INVALID_CIDR")
    expect(subnet_form.get_by_label("Subnet block")).to_have_attribute("aria-invalid", "true")
    expect(subnet_form.get_by_label("Subnet name")).not_to_have_attribute("aria-invalid", "true")
    screens(page, "networks-invalid-cidr")

    subnet_form.get_by_label("Subnet block").fill(subnet_cidr)
    subnet_form.get_by_role("button", name="Create subnet").click()
    expect(subnet_form.get_by_role("alert")).to_have_count(0)
    expect(subnet_form.get_by_label("Subnet block")).not_to_have_attribute("aria-invalid", "true")
    subnet = page.locator("section[data-cloud=aws] tr[data-subnet]", has_text=subnet_cidr)
    expect(subnet).to_contain_text("web")
    expect(subnet).to_have_attribute("data-status", "READY", timeout=60_000)
    subnet_id = subnet.get_attribute("data-subnet")
    listed = admin.api.get("/api/v1/aws/network/subnets", params={"vpc_id": vpc["id"]})
    assert [(s["id"], s["cidr_block"]) for s in listed.json()["data"]] == [(subnet_id, subnet_cidr)]

    group_form = page.get_by_role("form", name="Add a security group")
    group_form.get_by_label("Network").select_option(vpc["id"])
    group_form.get_by_label("Group name").fill("web-in")
    group_form.get_by_label("Block of rule 1").fill(str(block))
    group_form.get_by_label("From port of rule 1").fill("443")
    group_form.get_by_role("button", name="Add rule").click()
    # Keyboard: the new rule's first control has the focus.
    expect(group_form.get_by_label("Direction of rule 2")).to_be_focused()
    group_form.get_by_label("Direction of rule 2").select_option("egress")
    group_form.get_by_label("Protocol of rule 2").select_option("all")
    expect(group_form.get_by_label("From port of rule 2")).to_be_disabled()
    group_form.get_by_label("Block of rule 2").fill("0.0.0.0/0")
    # A rule the service refuses is named by its index: that row's controls are marked.
    group_form.get_by_label("To port of rule 1").fill("400")
    group_form.get_by_role("button", name="Create security group").click()
    shown = group_form.get_by_role("alert")
    expect(shown).to_have_attribute("data-code", "INVALID_RULE")
    expect(shown).to_contain_text("INVALID_RULE: rules[0]: ports must be 0-65535")
    expect(group_form.get_by_label("To port of rule 1")).to_have_attribute("aria-invalid", "true")
    expect(group_form.get_by_label("Block of rule 2")).not_to_have_attribute("aria-invalid", "true")
    group_form.get_by_label("To port of rule 1").fill("")
    group_form.get_by_role("button", name="Create security group").click()
    group = page.locator("section[data-cloud=aws] tr[data-security-group]", has_text="web-in")
    expect(group).to_have_attribute("data-status", "READY", timeout=60_000)
    expect(group.locator("td.rules")).to_have_text(
        f"ingress tcp {block} 443-443; egress all 0.0.0.0/0"
    )
    group_id = group.get_attribute("data-security-group")
    stored = admin.api.get(f"/api/v1/aws/network/security-groups/{group_id}").json()["data"]
    assert [(r["direction"], r["protocol"], r["cidr"]) for r in stored["rules"]] == [
        ("ingress", "tcp", str(block)),
        ("egress", "all", "0.0.0.0/0"),
    ]
    screens(page, "networks-subnet-and-group")

    for label, row in (("security group web-in", group), ("subnet web", subnet)):
        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name=f"Delete {label}").click()
        expect(row).to_have_count(0, timeout=60_000)
    assert admin.api.get(f"/api/v1/aws/network/subnets/{subnet_id}").status_code == 404
    assert admin.api.get(f"/api/v1/aws/network/security-groups/{group_id}").status_code == 404


def test_a_credential_rotated_from_the_page_shows_its_new_key(
    admin: Admin, platform: Any, screens: Screens
) -> None:
    page, credential_id = admin.page, admin.credential["id"]
    page.get_by_role("link", name="Credentials").click()
    row = page.locator(f'tr[data-credential="{credential_id}"]')
    expect(row).to_contain_text(admin.credential["name"])
    data = new_key(platform, admin.credential)
    row.get_by_role("button", name="Rotate").click()
    page.get_by_label(f"New secret for {admin.credential['name']} (JSON)").fill(json.dumps(data))
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("status").filter(has_text="Rotated")).to_contain_text(
        admin.credential["name"]
    )
    key = data["access_key_id"]
    expect(row).to_contain_text(f"access_key_id: {key[:4]}…{key[-4:]}")
    expect(page.locator("tr.rotate")).to_have_count(0)
    screens(page, "credentials-rotated")
    stored = admin.api.get(f"/api/v1/credentials/{credential_id}").json()["data"]
    assert stored["masked"]["access_key_id"] == f"{key[:4]}…{key[-4:]}"
    assert stored["status"] == "valid"


def test_a_budget_made_on_the_costs_page_shows_its_thresholds_and_is_edited(
    admin: Admin, screens: Screens
) -> None:
    page, name = admin.page, f"ceiling-{uuid.uuid4().hex[:4]}"
    page.get_by_role("link", name="Costs").click()
    expect(page.get_by_role("heading", name="Create a budget")).to_be_visible()
    page.get_by_label("Budget name").fill(name)
    page.get_by_label("Amount (USD)").fill("250")
    page.get_by_label("Covers").select_option("aws")
    page.get_by_label("Thresholds (%)").fill("40, 75, 100")
    page.get_by_role("button", name="Create budget").click()
    row = page.locator("tr[data-budget]", has_text=name)
    expect(row.locator("td.thresholds")).to_have_text("40%, 75%, 100%")
    expect(row).to_contain_text("provider: aws")
    budget_id = row.get_attribute("data-budget")
    marks = page.locator(f'svg.budgets-chart g[data-budget="{budget_id}"] line.threshold')
    expect(marks).to_have_count(3)
    assert marks.evaluate_all("m => m.map(x => Number(x.dataset.threshold))") == [40, 75, 100]
    xs = marks.evaluate_all("m => m.map(x => Number(x.getAttribute('x1')))")
    assert xs == sorted(xs) and len(set(xs)) == 3, xs
    screens(page, "costs-budget-created")

    row.get_by_role("button", name="Edit").click()
    expect(page.get_by_role("heading", name=f"Edit budget “{name}”")).to_be_visible()
    expect(page.get_by_label("Thresholds (%)")).to_have_value("40, 75, 100")
    page.get_by_label("Amount (USD)").fill("300")
    page.get_by_label("Thresholds (%)").fill("60, 90")
    page.get_by_label("Mode").select_option("enforce")
    page.get_by_role("button", name="Save budget").click()
    expect(row.locator("td.thresholds")).to_have_text("60%, 90%")
    expect(row).to_contain_text("$300.00")
    expect(row).to_contain_text("enforce")
    expect(marks).to_have_count(2)
    expect(page.get_by_role("heading", name="Create a budget")).to_be_visible()
    stored = admin.api.get(f"/api/v1/budgets/{budget_id}").json()["data"]
    assert (float(stored["amount"]), stored["mode"]) == (300, "enforce")
    assert [float(t) for t in stored["thresholds"]] == [60, 90]
    screens(page, "costs-budget-edited")


def to_review(page: Page, name: str) -> dict[str, Any]:
    """Through the wizard to its review: the budget-check route's answer."""
    page.get_by_role("link", name="Clusters", exact=True).click()
    page.get_by_role("link", name="Create cluster").click()
    page.get_by_label("AWS").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Credential")).to_have_value(re.compile(".+"))
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Cluster name").fill(name)
    page.get_by_role("button", name="Next").click()
    with page.expect_response("**/api/v1/cost-analysis/budget-check") as answered:
        page.get_by_role("button", name="Next").click()
    check: dict[str, Any] = answered.value.json()["data"]
    return check


def clusters_named(api: Api, prefix: str) -> list[dict[str, Any]]:
    clusters = api.get("/api/v1/kubernetes/clusters").json()["data"]
    return [c for c in clusters if c["name"].startswith(prefix)]


def sent_body(request: Request) -> dict[str, Any]:
    body = request.post_data_json
    assert isinstance(body, dict), body
    return body


OVERRIDE = "Override the enforce budget and create this cluster anyway"


def test_the_wizard_shows_the_guardrails_verdict_and_the_create_meets_it(
    admin: Admin, screens: Screens
) -> None:
    made = admin.api.post(
        "/api/v1/budgets",
        json={"name": "hard-stop", "amount": "1", "period": "monthly", "mode": "enforce"},
    )
    assert made.status_code == 201, made.text
    budget_id = made.json()["data"]["budget_id"]
    page = admin.page
    check = to_review(page, f"refused-{uuid.uuid4().hex[:6]}")
    assert check["verdict"] == "refuse" and check["can_override"] is True, check
    finding = next(f for f in check["findings"] if f["budget_id"] == budget_id)
    verdict = page.locator("#budget-verdict")
    expect(verdict).to_have_attribute("data-verdict", "refuse")
    expect(verdict).to_contain_text("BUDGET_EXCEEDED")
    shown = page.locator(f'.budget-warning[data-budget="{budget_id}"]')
    expect(shown).to_contain_text("“hard-stop” (enforce)")
    percent = str(float(finding["percent"])).rstrip("0").rstrip(".")
    expect(shown).to_contain_text(f"over $1.00 ({percent}%)")
    override = page.get_by_role("checkbox", name=OVERRIDE)
    expect(override).not_to_be_checked()
    screens(page, "wizard-budget-verdict")
    # Left unchecked, the create meets the same check: refused, with its code.
    with page.expect_request("**/api/v1/aws/kubernetes/clusters") as sent:
        page.get_by_role("button", name="Create cluster").click()
    assert "budget_override" not in sent_body(sent.value)
    expect(page.locator("p.alert", has_text="BUDGET_EXCEEDED:")).to_have_count(1)
    assert not clusters_named(admin.api, "refused-")


def test_an_admins_explicit_override_creates_the_blocked_cluster_audited(
    admin: Admin, screens: Screens
) -> None:
    page, name = admin.page, f"overridden-{uuid.uuid4().hex[:6]}"
    check = to_review(page, name)
    assert check["verdict"] == "refuse" and check["can_override"] is True, check
    override = page.get_by_role("checkbox", name=OVERRIDE)
    expect(override).to_have_attribute("aria-describedby", "budget-verdict budget-override-hint")
    # By keyboard: the box takes the focus and Space ticks it.
    override.focus()
    page.keyboard.press("Space")
    expect(override).to_be_checked()
    screens(page, "wizard-budget-override")
    with page.expect_request("**/api/v1/aws/kubernetes/clusters") as sent:
        page.get_by_role("button", name="Create cluster").click()
    assert sent_body(sent.value)["budget_override"] is True
    expect(page).to_have_url(re.compile(r"#/clusters/aws/[0-9a-f-]{36}$"))
    cluster_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#cluster-status")).to_have_attribute(
        "data-status", "READY", timeout=120_000
    )
    assert [c["id"] for c in clusters_named(admin.api, name)] == [cluster_id]
    record = audited(admin.api, "override_budget", cluster_id)
    assert record["outcome"] == "success", record


def member_page(
    admin: Admin, platform: Any, browser: Browser, role: str
) -> tuple[BrowserContext, Page]:
    """A new member of the admin's workspace with `role`, signed in to the console in a
    browser context of its own, in that workspace."""
    # join reads the verification mail with asyncio.run, which cannot run on this thread:
    # Playwright's sync API keeps an event loop here.
    with ThreadPoolExecutor(1) as pool:
        _, account = pool.submit(join, platform, admin.api, role).result()
    workspace = admin.api.get("/api/v1/auth/me").json()["data"]["workspace"]["id"]
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sign_in(page, platform.gateway_url, account["email"])
    page.get_by_label("Workspace").select_option(workspace)
    expect(page.locator("#whoami")).to_contain_text(f"· {role}")
    return context, page


def test_a_user_sees_why_the_create_is_blocked_and_no_override(
    admin: Admin, platform: Any, browser: Browser, screens: Screens
) -> None:
    context, page = member_page(admin, platform, browser, "user")
    try:
        # The switch re-renders the current page once it has the new role, which would
        # put a wizard opened meanwhile back on its first step: a reload starts the
        # console in the switched workspace (its tokens are kept) with nothing pending.
        page.reload()
        expect(page.locator("#whoami")).to_contain_text("· user")
        expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
        check = to_review(page, f"blocked-{uuid.uuid4().hex[:6]}")
        assert check["verdict"] == "refuse" and check["can_override"] is False, check
        verdict = page.locator("#budget-verdict")
        expect(verdict).to_have_attribute("role", "alert")
        expect(verdict).to_contain_text("refused with BUDGET_EXCEEDED")
        expect(verdict).to_contain_text("unless an admin of the workspace overrides it")
        expect(page.locator(".budget-warning", has_text="“hard-stop” (enforce)")).to_be_visible()
        expect(page.get_by_role("checkbox")).to_have_count(0)
        expect(page.get_by_text("Budget override")).to_have_count(0)
        screens(page, "wizard-user-refused")
        page.get_by_role("button", name="Create cluster").click()
        expect(page.locator("p.alert", has_text="BUDGET_EXCEEDED:")).to_have_count(1)
        assert not clusters_named(admin.api, "blocked-")
    finally:
        context.close()


def test_a_viewer_reads_these_pages_with_no_button_to_change_them(
    admin: Admin, platform: Any, browser: Browser, screens: Screens
) -> None:
    context, page = member_page(admin, platform, browser, "viewer")
    try:
        page.get_by_role("link", name="Networks").click()
        expect(page.locator("svg.cidr-map rect[data-vpc]").first).to_be_visible()
        expect(page.locator("svg[data-vpc-map] rect[data-subnet]").first).to_be_visible()
        expect(page.locator("section[data-cloud=aws] tr[data-subnet]").first).to_be_visible()
        for name in ("Create network", "Create subnet", "Create security group", "Delete"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        expect(page.get_by_role("form")).to_have_count(0)
        screens(page, "viewer-networks")
        page.get_by_role("link", name="Credentials").click()
        expect(page.locator("tr[data-credential]").first).to_be_visible()
        expect(page.get_by_role("button", name="Rotate")).to_have_count(0)
        page.get_by_role("link", name="Costs").click()
        # Two budgets (60/90% and the default 80/100%): a mark for each threshold.
        expect(page.locator("svg.budgets-chart line.threshold")).to_have_count(4)
        expect(page.locator("tr[data-budget]").first).to_be_visible()
        for name in ("Create budget", "Edit"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
    finally:
        context.close()
