"""One NATS user per service, each allowed exactly the subjects it needs.

The point is the vault: only provisioning, network and cost may publish a
`DecryptCredential` request, and (with private inboxes) only the service that asked can
receive the answer. Everything else a SkyClust service does on NATS is listed here too:
its own request/reply endpoints, the services it calls, events and commands, its dead
letters, and the JetStream API calls of `skyclust_common.messaging` (stream set-up,
durable pull consumers, acks; the gateway's ordered push consumer for the event stream).

Private inboxes: NATS delivers every reply to the requester's inbox subject. With the
default `_INBOX.` prefix any user allowed to subscribe to `_INBOX.>` could read every
reply, decrypted credentials included. Each service therefore gets its own prefix
(`inbox_prefix(service)`, to pass to `nats.connect(inbox_prefix=...)`) and may subscribe
only to that; responders answer through `allow_responses` rather than a publish grant on
someone else's inbox.

Ownership: a service may publish only the events and commands it owns, as the
contracts' `x-skyclust-owner` (and `x-skyclust-publishers`) record it:
`skyclust.evt.*.<Event>` and `skyclust.cmd.*.<Command>`, nothing else under
`skyclust.evt.` or `skyclust.cmd.`, so no service can publish another's event (consumers
check an event's `source` against the same table, and that its subject names it). A
contract with `x-skyclust-caller-subject` is asked on `skyclust.rpc.<owner>.<caller>.<Name>`;
each service may publish only on its own name there (`DecryptCredential`: the decrypters
only), so the vault knows its caller from the subject NATS let through. Every other request
subject has four tokens: `skyclust.rpc.<callee>.*`.

The output is JSON, which nats-server's configuration format accepts as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from .contracts import ContractRegistry, load_registry

SERVICES = (
    "gateway",
    "identity",
    "credential-vault",
    "provisioning",
    "network",
    "cost",
    "notification",
)
VAULT = "credential-vault"
# Any caller's decrypt request: `skyclust.rpc.credential-vault.<caller>.DecryptCredential`.
DECRYPT_SUBJECT = "skyclust.rpc.credential-vault.*.DecryptCredential"
DECRYPTERS = frozenset({"provisioning", "network", "cost"})
# Who may ask a caller-subject rpc, when not every service that calls its owner may.
CALLER_SUBJECT_CALLERS: dict[str, frozenset[str]] = {
    "DecryptCredential": DECRYPTERS,
    # Each service audits its own actions; over request/reply only the vault does
    # (its decryptions, confirmed before the secret is returned).
    "RecordAudit": frozenset({VAULT}),
}
# Commands only one service may send: the account mails (verification, password reset)
# go to an address identity vouches for, so no other service may ask for one.
EXCLUSIVE_COMMANDS: dict[str, str] = {
    "skyclust.cmd.notification.SendAccountEmail": "identity",
}
# Subjects of an event only one of its publishers may use. The gateway's audit records
# (every change through REST) go to one subject of their own, so identity can tell them
# from another publisher's by the subject NATS enforces.
AUDIT_SUBJECT = "skyclust.evt.audit.AuditRecorded"
EXCLUSIVE_EVENTS: dict[str, str] = {AUDIT_SUBJECT: "gateway"}
STREAMS = ("SKYCLUST_EVENTS", "SKYCLUST_COMMANDS", "SKYCLUST_DLQ")
CONSUMED_STREAMS = ("SKYCLUST_EVENTS", "SKYCLUST_COMMANDS")
ADMIN_USER = "admin"

# Whose request/reply endpoints each service calls. A missing edge shows up as a request
# that times out (the server drops the publish and logs a permissions violation).
CALLS: dict[str, tuple[str, ...]] = {
    "gateway": ("identity", VAULT, "provisioning", "network", "cost", "notification"),
    "identity": (),
    VAULT: ("identity",),
    "provisioning": (VAULT, "network", "identity", "cost"),  # cost: the budget guardrail
    "network": (VAULT, "provisioning", "identity"),
    "cost": (VAULT, "provisioning", "network", "identity"),
    "notification": ("identity",),
}
# Services that answer requests; the gateway only asks.
RESPONDERS = frozenset(SERVICES) - {"gateway"}


def decrypt_subject(caller: str) -> str:
    """Where `caller` asks the vault for a secret; only `caller`'s user may publish there."""
    return f"skyclust.rpc.{VAULT}.{caller}.DecryptCredential"


def owned_subjects(service: str, registry: ContractRegistry | None = None) -> list[str]:
    """The event and command subjects `service` may publish on, from the contracts."""
    subjects: list[str] = []
    for contract in registry or load_registry():
        if service not in contract.publishers:
            continue
        if contract.kind == "events":
            subject = f"skyclust.evt.*.{contract.name}"
        elif contract.kind == "commands":
            subject = f"skyclust.cmd.*.{contract.name}"
        else:
            continue
        if subject not in subjects:
            subjects.append(subject)
    return subjects


def caller_subjects(service: str, registry: ContractRegistry | None = None) -> list[str]:
    """The caller-subject requests `service` may publish: on its own name, to the services
    it calls, for the contracts it may ask."""
    subjects: list[str] = []
    for contract in registry or load_registry():
        if not contract.caller_subject or contract.owner not in CALLS[service]:
            continue
        allowed = CALLER_SUBJECT_CALLERS.get(contract.name)
        if allowed is not None and service not in allowed:
            continue
        subject = f"skyclust.rpc.{contract.owner}.{service}.{contract.name}"
        if subject not in subjects:
            subjects.append(subject)
    return subjects


def inbox_prefix(service: str) -> str:
    """The inbox prefix `service` must connect with when inboxes are private."""
    return f"_INBOX_{service}"


@dataclass(frozen=True)
class Permissions:
    publish_allow: tuple[str, ...]
    publish_deny: tuple[str, ...]
    subscribe_allow: tuple[str, ...]
    allow_responses: bool

    def as_config(self) -> dict[str, object]:
        config: dict[str, object] = {
            "publish": {"allow": list(self.publish_allow)},
            "subscribe": {"allow": list(self.subscribe_allow)},
        }
        if self.publish_deny:
            config["publish"] = {
                "allow": list(self.publish_allow),
                "deny": list(self.publish_deny),
            }
        if self.allow_responses:
            # Each request may be answered once, only on the reply subject it carried.
            config["allow_responses"] = {"max": 1}
        return config


def _wildcard(subject: str) -> str:
    """`skyclust.evt.audit.AuditRecorded` -> `skyclust.evt.*.AuditRecorded`."""
    head, kind, _, name = subject.split(".")
    return f"{head}.{kind}.*.{name}"


def _jetstream_api() -> list[str]:
    subjects: list[str] = []
    for stream in STREAMS:
        # Bus.ensure_streams: look the stream up, create it if it is missing.
        subjects += [f"$JS.API.STREAM.INFO.{stream}", f"$JS.API.STREAM.CREATE.{stream}"]
    for stream in CONSUMED_STREAMS:
        subjects += [
            # Bus.consume: create (or update) a durable pull consumer, look it up (FastStream
            # binds its pull subscription to it that way), fetch, acknowledge.
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.*",
            f"$JS.API.CONSUMER.INFO.{stream}.*",
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.*",
            f"$JS.ACK.{stream}.>",
        ]
    return subjects


def _ordered_consumer_api() -> list[str]:
    # The gateway's event stream: one ephemeral ordered push consumer per process
    # (recreated after a gap, never deleted: the server drops it when idle) that must
    # answer the server's flow-control messages, or a large backlog stalls. A stream
    # that resumes reads what it missed by direct gets, with no consumer of its own.
    stream = "SKYCLUST_EVENTS"
    return [
        f"$JS.API.CONSUMER.CREATE.{stream}",
        f"$JS.FC.{stream}.>",
        f"$JS.API.STREAM.MSG.GET.{stream}",
    ]


def permissions(service: str, *, private_inboxes: bool = True) -> Permissions:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    registry = load_registry()
    publish = [f"skyclust.rpc.{callee}.*" for callee in CALLS[service]]
    publish += caller_subjects(service, registry)
    publish += owned_subjects(service, registry)
    publish += [f"skyclust.dlq.{service}"]
    publish += _jetstream_api()
    if service == "gateway":
        publish += _ordered_consumer_api()
    # An exclusive subject is denied to the others its wildcard grant would let through.
    exclusive = {**EXCLUSIVE_COMMANDS, **EXCLUSIVE_EVENTS}
    deny = tuple(
        subject
        for subject, owner in exclusive.items()
        if owner != service and _wildcard(subject) in publish
    )
    subscribe = [f"{inbox_prefix(service)}.>" if private_inboxes else "_INBOX.>"]
    if service in RESPONDERS:
        subscribe.append(f"skyclust.rpc.{service}.>")
    return Permissions(
        publish_allow=tuple(publish),
        publish_deny=deny,
        subscribe_allow=tuple(subscribe),
        allow_responses=service in RESPONDERS,
    )


def permission_table(*, private_inboxes: bool = True) -> dict[str, Permissions]:
    return {svc: permissions(svc, private_inboxes=private_inboxes) for svc in SERVICES}


def nats_config(
    passwords: Mapping[str, str],
    *,
    private_inboxes: bool = True,
    admin_password: str | None = None,
    store_dir: str | None = None,
) -> str:
    """A nats-server configuration: JetStream on, and one user per service in
    `passwords` (service name -> password; each must be a known service).

    `admin_password` adds an `admin` user allowed everything, for operators' tools and
    tests that inspect streams; leave it out in production."""
    unknown = sorted(set(passwords) - set(SERVICES))
    if unknown:
        raise ValueError(f"unknown services: {', '.join(unknown)}")
    users: list[dict[str, object]] = []
    for service, password in passwords.items():
        if not password:
            raise ValueError(f"empty password for {service}")
        users.append(
            {
                "user": service,
                "password": password,
                "permissions": permissions(service, private_inboxes=private_inboxes).as_config(),
            }
        )
    if admin_password is not None:
        if not admin_password:
            raise ValueError("empty admin password")
        users.append({"user": ADMIN_USER, "password": admin_password})
    jetstream: dict[str, object] = {"store_dir": store_dir} if store_dir else {}
    config = {"jetstream": jetstream or "enabled", "authorization": {"users": users}}
    return json.dumps(config, indent=2) + "\n"
