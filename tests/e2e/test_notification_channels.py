"""Channels and rules through the gateway: a rule sends ClusterReady and ClusterFailed to
a webhook (a local receiver, allowed by SKYCLUST_WEBHOOK_ALLOWED_CIDRS) and to an email
channel. A cluster is created on each cloud and one more fails: the receiver verifies every
signature with the `standardwebhooks` package, answers 500 at first and then 200, and
takes each event once under a stable `webhook-id`; the delivery log shows the attempts;
each event's mail reaches the local SMTP sink once; the inbox shows them unread, then
read."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from .test_notifications import wait_for_inbox
from .test_saga_crash import Clouds, cluster_body, credentials
from .test_saga_faults import PROVIDERS, User, create, inject, network_fault

# Each test waits on clusters on three clouds and on retries; the first of a session also
# pays for the platform's start, which a loaded machine stretches past the default 300 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@dataclass
class Receiver:
    """A local webhook endpoint: answers 500 to its first `failures` requests, then 200,
    and keeps every request."""

    failures: int = 2
    # Seconds each answer takes: long enough to be killed in the middle of one.
    delay: float = 0.0
    requests: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], raw: bytes) -> int:
        with self.lock:
            status = 500 if self.failures > 0 else 200
            self.failures -= 1
            self.requests.append((headers, raw, status))
            return status


@contextlib.contextmanager
def serving(state: Receiver) -> Iterator[str]:

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            time.sleep(state.delay)
            status = state.answer({k.lower(): v for k, v in self.headers.items()}, raw)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/skyclust"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()
    with serving(state) as url:
        yield state, url


@pytest.fixture(scope="module")
def user(platform: Any) -> Iterator[User]:
    api = platform.api()
    api.signup()
    stream = api.stream()
    yield User(api, credentials(api, platform), stream, Clouds(platform))
    stream.close()


def mails_to(folder: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            found.append(message)
    return found


def until(what: str, check: Any, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        time.sleep(0.3)


def test_a_rule_sends_cluster_events_signed_to_a_webhook_and_by_mail(
    user: User, platform: Any, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    api = user.api
    hook = api.post("/api/v1/notifications/channels", json={"name": "ops hook", "url": url})
    assert hook.status_code == 201, hook.text
    secret = hook.json()["data"]["secret"]
    hook_id = hook.json()["data"]["channel"]["id"]
    address = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    mail = api.post(
        "/api/v1/notifications/channels",
        json={"name": "ops mail", "type": "email", "recipients": [address]},
    )
    assert mail.status_code == 201, mail.text
    assert "secret" not in mail.json()["data"]
    mail_id = mail.json()["data"]["channel"]["id"]
    rule = api.post(
        "/api/v1/notifications/rules",
        json={
            "name": "clusters to ops",
            "event_types": ["ClusterReady", "ClusterFailed"],
            "channel_ids": [hook_id, mail_id],
        },
    )
    assert rule.status_code == 201, rule.text
    assert [r["id"] for r in api.get("/api/v1/notifications/rules").json()["data"]["items"]] == [
        rule.json()["data"]["rule"]["id"]
    ]
    # The admins by mail, of the clusters tagged team=<this test's> only.
    team = uuid.uuid4().hex[:8]
    admins = api.post(
        "/api/v1/notifications/channels",
        json={"name": "admins", "type": "email", "recipient_roles": ["admin"]},
    )
    assert admins.status_code == 201, admins.text
    tagged_rule = api.post(
        "/api/v1/notifications/rules",
        json={
            "name": "my team's clusters",
            "event_types": ["ClusterReady", "ClusterFailed"],
            "tags": {"team": team},
            "channel_ids": [admins.json()["data"]["channel"]["id"]],
        },
    )
    assert tagged_rule.status_code == 201, tagged_rule.text
    refused = api.post(
        "/api/v1/notifications/rules",
        json={"name": "bad", "event_types": ["ClusterReady"], "tags": {"": "x"}},
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        422,
        "NOTIFICATION_RULE_TAGS_INVALID",
    )
    admin_email = api.get("/api/v1/auth/me").json()["data"]["user"]["email"]

    ready: dict[str, str] = {}
    for provider in PROVIDERS:
        name = f"r{uuid.uuid4().hex[:8]}"
        ready[create(user, provider, name)] = name
    tagged_name = f"t{uuid.uuid4().hex[:8]}"
    tagged = api.post(
        "/api/v1/gcp/kubernetes/clusters",
        json={**cluster_body("gcp", user.credential["gcp"], tagged_name), "tags": {"team": team}},
    )
    assert tagged.status_code == 202, tagged.text
    ready[str(tagged.json()["data"]["id"])] = tagged_name
    failed_name = f"f{uuid.uuid4().hex[:8]}"
    # Azure's fault names the cluster's network: no other cluster can meet it.
    inject(user, "azure", network_fault("azure", failed_name))
    failed_id = create(user, "azure", failed_name)
    expected = {**{c: "ClusterReady" for c in ready}, failed_id: "ClusterFailed"}

    def taken() -> dict[str, list[tuple[str, dict[str, Any]]]]:
        with state.lock:
            requests = list(state.requests)
        by_cluster: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for headers, raw, status in requests:
            # An independent implementation of the signature, with the channel's secret.
            event = Webhook(secret).verify(raw, headers)
            if status == 200:
                by_cluster.setdefault(event["subject"], []).append((headers["webhook-id"], event))
        return by_cluster if set(expected) <= set(by_cluster) else {}

    try:
        by_cluster = until("a delivery per event", taken, timeout=180)
    finally:
        user.clouds.admin("azure").clear_faults()
    with state.lock:
        requests = list(state.requests)
    ids_of_event: dict[str, set[str]] = {}
    for headers, raw, _ in requests:
        event = json.loads(raw)
        ids_of_event.setdefault(event["id"], set()).add(headers["webhook-id"])
    # Every retry of an event carried the same webhook-id.
    assert all(len(ids) == 1 for ids in ids_of_event.values()), ids_of_event
    assert [status for *_, status in requests][:2] == [500, 500]
    for cluster_id, kind in expected.items():
        ((_, event),) = by_cluster[cluster_id]  # taken once
        assert event["type"] == f"io.skyclust.{kind}.v1", (cluster_id, event["data"])
        assert event["source"] == "skyclust/provisioning"

    log = api.get(f"/api/v1/notifications/channels/{hook_id}/deliveries").json()["data"]["items"]
    mine = [d for d in log if d["event_type"] in ("ClusterReady", "ClusterFailed")]
    assert len(mine) == len(expected)
    assert {d["status"] for d in mine} == {"succeeded"}
    assert sum(d["attempts"] for d in mine) == len(expected) + 2
    assert {d["response_code"] for d in mine} == {200}

    folder = platform.state_dir / "mail"
    mails = until(
        "a mail per event",
        lambda: (m := mails_to(folder, address)) and len(m) >= len(expected) and m,
    )
    time.sleep(1.0)
    mails = mails_to(folder, address)
    assert len(mails) == len(expected)
    subjects = sorted(str(m["Subject"]) for m in mails)
    assert subjects == sorted(
        [f"[SkyClust] Info: Cluster {n} is ready" for n in ready.values()]
        + [f"[SkyClust] Critical: Cluster {failed_name} could not be created"]
    )
    assert len({m["Message-ID"] for m in mails}) == len(expected)
    failed_mail = next(m for m in mails if failed_name in str(m["Subject"]))
    text = failed_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/api/v1/azure/kubernetes/clusters/{failed_id}" in text
    mail_log = api.get(f"/api/v1/notifications/channels/{mail_id}/deliveries").json()["data"]
    assert {(d["recipient"], d["status"]) for d in mail_log["items"]} == {(address, "succeeded")}

    # The tagged cluster's event alone reached the admin, by role.
    def cluster_mails() -> list[email.message.EmailMessage]:
        # Not the account mails (the address's verification) sent to the same address.
        return [m for m in mails_to(folder, admin_email) if "Cluster" in str(m["Subject"])]

    until("the tagged cluster's mail", cluster_mails)
    time.sleep(1.0)
    to_admin = cluster_mails()
    assert [str(m["Subject"]) for m in to_admin] == [
        f"[SkyClust] Info: Cluster {tagged_name} is ready"
    ]

    outcomes = [
        e
        for e in user.stream.drain(1.0)
        if e.event == "NotificationDelivered" and e.data["data"]["channel_id"] == hook_id
    ]
    assert outcomes, "no NotificationDelivered on the stream"
    assert secret not in json.dumps([e.data for e in outcomes])

    inbox = wait_for_inbox(api, unread="true")
    notes = [n for n in inbox["items"] if n["resource_id"] in expected]
    assert {n["resource_id"] for n in notes} == set(expected)
    for note in notes:
        assert api.post(f"/api/v1/notifications/{note['id']}/read").status_code == 200
    left = api.get("/api/v1/notifications", params={"unread": "true"}).json()["data"]
    assert not {n["resource_id"] for n in left["items"]} & set(expected)


def test_deliveries_in_flight_survive_a_sigkill_of_the_notification_service(
    user: User, platform: Any
) -> None:
    """The service is killed while the receiver holds a request open: the launcher
    restarts it, and every event still arrives, each under one webhook-id; what the
    receiver took before the kill is sent again only if its outcome was not recorded."""
    state = Receiver(failures=0, delay=1.5)
    with serving(state) as url:
        api = user.api
        hook = api.post("/api/v1/notifications/channels", json={"name": "slow", "url": url})
        assert hook.status_code == 201, hook.text
        secret, hook_id = hook.json()["data"]["secret"], hook.json()["data"]["channel"]["id"]
        rule = api.post(
            "/api/v1/notifications/rules",
            json={
                "name": "ready to slow",
                "event_types": ["ClusterReady"],
                "channel_ids": [hook_id],
            },
        )
        assert rule.status_code == 201, rule.text
        clusters = {create(user, p, f"k{uuid.uuid4().hex[:8]}") for p in PROVIDERS}

        def in_flight() -> bool:
            with state.lock:
                return bool(state.requests)

        # The first answer takes 1.5 s: by the time one is recorded, the next is open.
        until("a first delivery", in_flight, timeout=180)
        victim = platform.pid("notification")
        os.kill(victim, signal.SIGKILL)
        until("a restart", lambda: platform.pid("notification") != victim, timeout=120)

        def all_taken() -> dict[str, set[str]]:
            with state.lock:
                requests = list(state.requests)
            ids: dict[str, set[str]] = {}
            for headers, raw, _ in requests:
                event = Webhook(secret).verify(raw, headers)
                ids.setdefault(event["subject"], set()).add(headers["webhook-id"])
            return ids if clusters <= set(ids) else {}

        # A delivery claimed when the process died waits out its lease (10 s in e2e).
        ids = until("every event after the restart", all_taken, timeout=180)
        with state.lock:
            requests = list(state.requests)
    assert all(len(ids[c]) == 1 for c in clusters), ids
    per_event: dict[str, int] = {}
    for _, raw, _ in requests:
        subject = json.loads(raw)["subject"]
        per_event[subject] = per_event.get(subject, 0) + 1
    # Once each, but for the one the kill interrupted (sent again, same webhook-id).
    assert sum(per_event[c] for c in clusters) <= len(clusters) + 1, per_event
    log = api.get(f"/api/v1/notifications/channels/{hook_id}/deliveries").json()["data"]["items"]
    assert sorted(d["status"] for d in log) == ["succeeded"] * len(clusters)
