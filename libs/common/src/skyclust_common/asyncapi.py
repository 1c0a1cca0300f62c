"""The AsyncAPI 3.0 document of one service's subscriptions, from what its FastStream
broker declares. FastStream gives the channels, their subjects, queue groups and
operations; the payloads are then pointed at the contracts (`contracts/`, by their
`$id`), which stay the source of truth: a request's payload is its `$defs.request`, an
event consumer's is the CloudEvent envelope whose `data` is one of its events."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import yaml

from .contracts import ContractRegistry
from .messaging import Bus

ASYNCAPI_VERSION = "0.1.0"


def document(bus: Bus) -> dict[str, Any]:
    spec: dict[str, Any] = bus.asyncapi(version=ASYNCAPI_VERSION).to_specification().to_jsonable()
    registry = bus.registry
    channels: dict[str, Any] = spec.get("channels", {})
    messages: dict[str, Any] = spec.get("components", {}).get("messages", {})
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    for channel in channels.values():
        subjects = _subjects(channel)
        for ref in channel.get("messages", {}).values():
            message = messages[_pointer_key(ref["$ref"])]
            generated = message.get("payload", {}).get("$ref", "")
            if subjects and all(s.startswith("skyclust.rpc.") for s in subjects):
                name = subjects[0].rsplit(".", 1)[-1]
                contract = registry.get(name)
                contract_id = contract.schema["$id"]
                message["payload"] = {"$ref": f"{contract_id}#/$defs/request"}
                # A request has no correlation header; its reply goes to the NATS inbox.
                message.pop("correlationId", None)
                channel["description"] = (
                    f"{contract.schema.get('description', name)} Answered"
                    f" {{ok: true, data}} (data per {contract_id}#/$defs/reply) or"
                    " {ok: false, error: {class, code, message, status, retryable, details}}."
                )
                schemas.pop(_pointer_key(generated), None)
            else:
                refs = _event_refs(registry, subjects)
                data = refs[0] if len(refs) == 1 else {"oneOf": refs}
                message["payload"] = {
                    "allOf": [{"$ref": generated}, {"properties": {"data": data}}]
                }
                message["correlationId"] = {"location": "$message.payload#/correlationid"}
    return spec


def to_yaml(spec: dict[str, Any]) -> str:
    # Sorted: FastStream's order follows its own registries, and the committed file
    # should change only when the subscriptions do.
    return yaml.safe_dump(spec, sort_keys=True, allow_unicode=True, width=100)


def _pointer_key(ref: str) -> str:
    """The last key of a local JSON pointer (`#/components/messages/<key>`)."""
    return unquote(ref.rsplit("/", 1)[-1]).replace("~1", "/").replace("~0", "~")


def _subjects(channel: dict[str, Any]) -> list[str]:
    nats = channel.get("bindings", {}).get("nats", {})
    subject = nats.get("subject") or channel.get("address") or ""
    return [s.strip() for s in subject.split(",") if s.strip()]


def _event_refs(registry: ContractRegistry, subjects: list[str]) -> list[dict[str, str]]:
    refs = []
    for subject in subjects:
        contract = registry.get(subject.rsplit(".", 1)[-1])
        refs.append({"$ref": str(contract.schema["$id"])})
    return refs
