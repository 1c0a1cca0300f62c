"""The public NATS API's AsyncAPI document rendered as a Markdown reference
(docs/nats-reference.md): every subject, who may use it, and its messages' fields.

    uv run python -m skyclust_gateway.public_api.reference > docs/nats-reference.md

A test fails when the committed page differs from the rendering of the document, which
another test holds to the contracts and the subject map."""

from __future__ import annotations

from typing import Any

# How deep nested objects' fields are listed (`aws_config.subnet_ids`).
_DEPTH = 3


def markdown(spec: dict[str, Any]) -> str:
    info = spec["info"]
    lines = [
        f"# {info['title']}: reference",
        "",
        "Generated from the AsyncAPI 3.0 document (served by the gateway at `/asyncapi.json`,",
        "committed as [asyncapi/public.json](asyncapi/public.json)) by",
        "`uv run python -m skyclust_gateway.public_api.reference > docs/nats-reference.md`;",
        "a test fails when this page and the document differ. How to connect, the guarantees",
        "and examples: [nats-api.md](nats-api.md).",
        "",
        f"Version {info['version']}. {info.get('description', '')}".rstrip(),
        "",
    ]
    lines += _servers(spec)
    channels = spec["channels"]
    by_channel = _operations_by_channel(spec)
    sections = [
        ("Commands", "command.", "JetStream: durable, at least once"),
        ("Outcomes", "outcome.", "core NATS"),
        ("Reads", "read.", "request/reply, core NATS"),
        ("Events", "events", "core NATS"),
    ]
    lines += ["## Contents", ""]
    for title, prefix, how in sections:
        names = _names(channels, prefix)
        lines.append(f"- [{title}](#{title.lower()}) ({how}): {len(names)}")
    lines.append("")
    for title, prefix, _how in sections:
        lines += [f"## {title}", ""]
        for name in _names(channels, prefix):
            lines += _channel(spec, name, channels[name], by_channel.get(name, []))
    return "\n".join(lines).rstrip() + "\n"


def _names(channels: dict[str, Any], prefix: str) -> list[str]:
    """The channels of a section, without the reply inboxes (shown with their request)."""
    return sorted(
        name
        for name in channels
        if (name == prefix if not prefix.endswith(".") else name.startswith(prefix))
        and not name.endswith(".reply")
    )


def _servers(spec: dict[str, Any]) -> list[str]:
    lines = ["## Servers and security", ""]
    for name, server in sorted(spec.get("servers", {}).items()):
        lines.append(
            f"- `{name}`: {server['protocol']}://{server['host']}. {server.get('description', '')}"
        )
    for name, scheme in sorted(spec.get("components", {}).get("securitySchemes", {}).items()):
        lines.append(f"- Security `{name}` ({scheme['type']}): {scheme.get('description', '')}")
    return [*lines, ""]


def _operations_by_channel(spec: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for op_id, operation in sorted(spec.get("operations", {}).items()):
        channel = operation["channel"]["$ref"].rsplit("/", 1)[-1]
        found.setdefault(channel, []).append((op_id, operation))
    return found


def _channel(
    spec: dict[str, Any],
    name: str,
    channel: dict[str, Any],
    operations: list[tuple[str, dict[str, Any]]],
) -> list[str]:
    title = name.split(".", 1)[-1] if "." in name else name
    lines = [f"### {title}", "", f"`{channel['address']}`", ""]
    for op_id, operation in operations:
        summary = operation.get("summary", "")
        lines.append(f"- {operation['action']} (`{op_id}`){': ' + summary if summary else ''}")
    if operations:
        lines.append("")
    lines += [channel.get("description", ""), ""]
    for param, described in sorted(channel.get("parameters", {}).items()):
        lines.append(f"- `{{{param}}}`: {described.get('description', '')}")
    if channel.get("parameters"):
        lines.append("")
    messages = [_message(spec, ref["$ref"]) for ref in channel.get("messages", {}).values()]
    if name == "events":
        lines += _events(messages)
        return lines
    for message in messages:
        lines += _message_fields(message, "Message")
    reply = spec["channels"].get(f"{name}.reply")
    if reply is not None:
        for ref in reply.get("messages", {}).values():
            lines += _message_fields(_message(spec, ref["$ref"]), "Reply")
    return lines


def _message(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    """A message, from its components' `$ref` or through a channel's messages."""
    parts = ref.lstrip("#/").split("/")
    node: Any = spec
    for part in parts:
        node = node[part]
    if "$ref" in node:
        return _message(spec, node["$ref"])
    return dict(node)


def _message_fields(message: dict[str, Any], label: str) -> list[str]:
    lines: list[str] = []
    headers = message.get("headers", {}).get("properties", {})
    for header, schema in sorted(headers.items()):
        lines.append(f"Header `{header}`: {schema.get('description', '')}")
        lines.append("")
    schema = message["payload"]["schema"]
    branches = schema.get("oneOf")
    if branches:
        # An answer: `data` when it went well, `error` ({code, message, ...}) when not.
        data: dict[str, Any] = next(
            (b["properties"]["data"] for b in branches if "data" in b["properties"]), {}
        )
        lines += [f"{label}: `data` on success, else `error` (`code`, `message`, `retryable`).", ""]
        schema = data
    else:
        lines += [f"{label}:", ""]
    rows = _rows(schema, "", 0)
    if not rows:
        return [*lines, "(no fields)", ""]
    return [*lines, "| field | type | required | notes |", "|---|---|---|---|", *rows, ""]


def _events(messages: list[dict[str, Any]]) -> list[str]:
    lines = [
        "Each is a CloudEvent (`specversion`, `id`, `source`, `type`, `time`, `subject`,",
        "`workspaceid`, `data`); its `data`:",
        "",
        "| event | data fields | about |",
        "|---|---|---|",
    ]
    for message in sorted(messages, key=lambda m: str(m["name"])):
        data = message["payload"]["schema"]["properties"]["data"]
        fields = ", ".join(f"`{field}`" for field in sorted(data.get("properties", {})))
        about = _escaped(_cell(data, "description"))
        lines.append(f"| {message['name']} | {fields or '(none)'} | {about} |")
    return [*lines, ""]


def _rows(schema: dict[str, Any], prefix: str, depth: int) -> list[str]:
    rows = []
    required = set(schema.get("required", ()))
    for field, sub in sorted(schema.get("properties", {}).items()):
        name = f"{prefix}{field}"
        rows.append(
            f"| `{name}` | {_escaped(_type(sub))} | {'yes' if field in required else ''} "
            f"| {_escaped(_notes(sub))} |"
        )
        nested = _object_of(sub)
        if nested is not None and depth + 1 < _DEPTH:
            rows += _rows(nested, f"{name}.", depth + 1)
    return rows


def _object_of(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The object whose fields a field holds (itself, or its array's items)."""
    if schema.get("properties"):
        return schema
    items = schema.get("items")
    if isinstance(items, dict) and items.get("properties"):
        return items
    return None


def _type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema or "oneOf" in schema:
        return " or ".join(_type(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    shown = []
    for one in kinds:
        if one == "array":
            shown.append(f"array of {_type(schema.get('items', {}))}")
        elif one == "string" and "format" in schema:
            shown.append(f"string ({schema['format']})")
        else:
            shown.append(str(one))
    return " or ".join(shown)


def _notes(schema: dict[str, Any]) -> str:
    notes = []
    if "enum" in schema:
        notes.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    for key, word in (
        ("minLength", "length ≥ {}"),
        ("maxLength", "length ≤ {}"),
        ("minimum", "≥ {}"),
        ("maximum", "≤ {}"),
        ("minItems", "≥ {} items"),
        ("maxItems", "≤ {} items"),
    ):
        if key in schema:
            notes.append(word.format(schema[key]))
    if "pattern" in schema:
        notes.append(f"matches `{schema['pattern']}`")
    if "default" in schema and schema["default"] is not None:
        notes.append(f"default `{schema['default']}`")
    description = _cell(schema, "description")
    return "; ".join([description, *notes] if description else notes)


def _cell(schema: dict[str, Any], key: str) -> str:
    """A value on one line (a table cell's)."""
    return " ".join(str(schema.get(key, "")).split())


def _escaped(cell: str) -> str:
    return cell.replace("|", "\\|")


def main() -> None:
    from skyclust_common.contracts import load_registry

    from .asyncapi import document

    print(markdown(document(load_registry())), end="")


if __name__ == "__main__":
    main()
