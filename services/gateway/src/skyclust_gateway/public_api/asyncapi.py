"""The AsyncAPI 3.0 document of the public NATS API, built from the subject map
(`skyclust_common.public_api`) and the contracts: every command, its outcome, every read
and its reply, and the workspace's events in their CloudEvents envelope. The gateway
serves it at /asyncapi.json; docs/asyncapi/public.json is the committed copy a test
holds equal to it."""

from __future__ import annotations

import copy
from typing import Any

from skyclust_common import public_api
from skyclust_common.contracts import ContractRegistry
from skyclust_common.envelope import CloudEvent

VERSION = "1.0.0"
# The contracts are JSON Schema 2020-12; AsyncAPI takes any format, named.
SCHEMA_FORMAT = "application/schema+json;version=2020-12"
# Events not on the public subjects: the audit trail has its own subject, and a
# notification is for one user (as on the SSE stream).
HIDDEN_EVENTS = frozenset({"AuditRecorded"}) | public_api.PERSONAL_EVENTS
WORKSPACE = {"description": "The workspace of the API key (a UUID)."}
KEY = {"description": "The API key's id (a UUID); a connection may use only its own."}


def _multi(schema: dict[str, Any]) -> dict[str, Any]:
    return {"schemaFormat": SCHEMA_FORMAT, "schema": schema}


def _client_body(registry: ContractRegistry, name: str) -> dict[str, Any]:
    """The contract's request without what the subject carries."""
    contract = registry.get(name)
    request = copy.deepcopy(contract.schema["$defs"]["request"])
    hidden = (*public_api.FROM_SUBJECT, *public_api.FROM_ROLE)
    taken = [f for f in hidden if f in request.get("properties", {})]
    for field in taken:
        request["properties"].pop(field)
    request["required"] = [f for f in request.get("required", []) if f not in hidden]
    if not request["required"]:
        del request["required"]
    request["description"] = (
        f"{contract.schema['$id']}#/$defs/request, less {', '.join(taken)}"
        " (the gateway sets them from the subject and the key)."
    )
    return request


def _error() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["class", "code", "message", "status", "retryable", "details"],
        "properties": {
            "class": {"type": "string"},
            "code": {"type": "string", "description": "Stable; the catalog is docs/api.md."},
            "message": {"type": "string"},
            "status": {"type": "integer", "description": "The HTTP status REST would answer."},
            "retryable": {"type": "boolean"},
            "details": {"type": "object"},
        },
    }


def _answer(data: dict[str, Any], *, command: bool) -> dict[str, Any]:
    ok: dict[str, Any] = {
        "type": "object",
        "required": ["ok", "data"],
        "properties": {"ok": {"const": True}, "data": data},
    }
    failed: dict[str, Any] = {
        "type": "object",
        "required": ["ok", "error"],
        "properties": {"ok": {"const": False}, "error": _error()},
    }
    if command:
        for branch in (ok, failed):
            branch["properties"]["command"] = {"type": "string"}
            branch["properties"]["message_id"] = {
                "type": "string",
                "description": "The command's Nats-Msg-Id (or seq-<n> without one).",
            }
    return {"oneOf": [ok, failed]}


def _envelope(event: dict[str, Any]) -> dict[str, Any]:
    schema = CloudEvent.model_json_schema()
    schema["properties"]["data"] = event
    schema["title"] = f"CloudEvent of {event.get('title')}"
    return schema


def document(registry: ContractRegistry, *, server: str = "localhost:4222") -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    prefix = public_api.PREFIX
    for op in public_api.OPERATIONS.values():
        contract = registry.get(op.name)
        reply = copy.deepcopy(contract.schema["$defs"]["reply"])
        roles = [role for role, grants in public_api.ROLE_GRANTS.items() if op.permission in grants]
        role_note = f" Needs {op.permission} (roles: {', '.join(roles)})."
        if op.kind == "command":
            channel, outcome = f"command.{op.name}", f"outcome.{op.name}"
            messages[f"{op.name}.command"] = {
                "name": op.name,
                "title": op.name,
                "summary": op.summary,
                "headers": {
                    "type": "object",
                    "properties": {
                        "Nats-Msg-Id": {
                            "type": "string",
                            "description": "Makes a retried publish idempotent within the"
                            " stream's duplicate window.",
                        }
                    },
                },
                "payload": _multi(_client_body(registry, op.name)),
            }
            messages[f"{op.name}.outcome"] = {
                "name": f"{op.name}Outcome",
                "summary": f"What became of a {op.name}.",
                "payload": _multi(_answer(reply, command=True)),
            }
            channels[channel] = {
                "address": f"{prefix}.{{workspace_id}}.{{key_id}}.cmd.{op.name}",
                "description": f"JetStream (stream {public_api.STREAM}): durable, carried out"
                " at least once, even if published while the owning service is down." + role_note,
                "parameters": {"workspace_id": WORKSPACE, "key_id": KEY},
                "messages": {"command": {"$ref": f"#/components/messages/{op.name}.command"}},
            }
            channels[outcome] = {
                "address": f"{prefix}.{{workspace_id}}.{{key_id}}.res.{op.name}",
                "description": "The outcome of each command, once carried out (core NATS).",
                "parameters": {"workspace_id": WORKSPACE, "key_id": KEY},
                "messages": {"outcome": {"$ref": f"#/components/messages/{op.name}.outcome"}},
            }
            operations[f"send{op.name}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel}"},
                "summary": op.summary,
                "security": [{"$ref": "#/components/securitySchemes/apiKey"}],
                "messages": [{"$ref": f"#/channels/{channel}/messages/command"}],
            }
            operations[f"receive{op.name}Outcome"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{outcome}"},
                "messages": [{"$ref": f"#/channels/{outcome}/messages/outcome"}],
            }
        else:
            channel, replies = f"read.{op.name}", f"read.{op.name}.reply"
            messages[f"{op.name}.request"] = {
                "name": op.name,
                "summary": op.summary,
                "payload": _multi(_client_body(registry, op.name)),
            }
            messages[f"{op.name}.reply"] = {
                "name": f"{op.name}Reply",
                "payload": _multi(_answer(reply, command=False)),
            }
            channels[channel] = {
                "address": f"{prefix}.{{workspace_id}}.{{key_id}}.rpc.{op.name}",
                "description": "Request/reply (core NATS)." + role_note,
                "parameters": {"workspace_id": WORKSPACE, "key_id": KEY},
                "messages": {"request": {"$ref": f"#/components/messages/{op.name}.request"}},
            }
            channels[replies] = {
                "address": None,
                "description": "The request's reply inbox, under _INBOX_<key_id>.",
                "messages": {"reply": {"$ref": f"#/components/messages/{op.name}.reply"}},
            }
            operations[op.name] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel}"},
                "summary": op.summary,
                "security": [{"$ref": "#/components/securitySchemes/apiKey"}],
                "messages": [{"$ref": f"#/channels/{channel}/messages/request"}],
                "reply": {
                    "channel": {"$ref": f"#/channels/{replies}"},
                    "messages": [{"$ref": f"#/channels/{replies}/messages/reply"}],
                },
            }
    events = sorted(c.name for c in registry if c.kind == "events" and c.name not in HIDDEN_EVENTS)
    event_messages: dict[str, Any] = {}
    for name in events:
        contract = registry.get(name)
        messages[f"{name}.event"] = {
            "name": name,
            "summary": contract.schema.get("description", name),
            "payload": _multi(_envelope(copy.deepcopy(contract.schema))),
        }
        event_messages[name] = {"$ref": f"#/components/messages/{name}.event"}
    channels["events"] = {
        "address": f"{prefix}.{{workspace_id}}.evt.{{event}}",
        "description": "The workspace's events, the same CloudEvents as the SSE stream,"
        " in the order they happened (core NATS: while subscribed).",
        "parameters": {
            "workspace_id": WORKSPACE,
            "event": {"description": "The event's name.", "enum": events},
        },
        "messages": event_messages,
    }
    operations["receiveEvents"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/events"},
        "security": [{"$ref": "#/components/securitySchemes/apiKey"}],
        "messages": [{"$ref": f"#/channels/events/messages/{name}"} for name in events],
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "SkyClust public NATS API",
            "version": VERSION,
            "description": "Commands, reads and events for other systems, on subjects under"
            f" {prefix}. See docs/nats-api.md.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "public": {
                "host": server,
                "protocol": "nats",
                "description": "SKYCLUST_NATS_PUBLIC_URL; authenticate with an API key as the"
                " token and connect with inbox_prefix _INBOX_<key_id>.",
                "security": [{"$ref": "#/components/securitySchemes/apiKey"}],
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "securitySchemes": {
                "apiKey": {
                    "type": "apiKey",
                    "in": "user",
                    "description": "A SkyClust API key (sk_...) as the NATS connect token;"
                    " nats-server asks identity (auth callout) what it may use.",
                }
            },
        },
    }
