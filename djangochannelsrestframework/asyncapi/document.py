"""The AsyncAPI 3.0 document of a project's websocket API.

One channel per websocket route, whose address is the route's path; one ``receive`` operation per
action (the client sends the request, the reply comes back on the same socket) with the parameter
schema from the action's type hints or serializer, and one ``send`` operation per observer for the
events it pushes.  Every reply uses the standard envelope; errors share one ``error`` message.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from django.conf import settings
from django.db import models

from .._engine.arguments import action_plan, type_hints
from ..routes import websocket_routes
from ..view_consumer import DjangoViewAsConsumer
from .schemas import Schema, hint_schema, serializer_schema

ASYNCAPI_VERSION = "3.0.0"

#: Mixin actions: the lookup key they need, the ``data`` they take (whether all its required fields)
#: and what ``data`` their reply holds.
_LOOKUP_ACTIONS = {"retrieve", "update", "patch", "delete", "subscribe_instance", "unsubscribe_instance"}
_DATA_ACTIONS = {"create": True, "update": True, "patch": False}
_SINGLE_REPLIES = {"retrieve", "create", "update", "patch"}
_INJECTED = {"action", "request_id"}
_INSTANCE_EVENTS = ["create", "update", "delete"]
_LIST_EVENTS = ["create", "update", "delete"]

#: Statuses an error reply may carry, and what they mean.
ERROR_STATUSES = {
    400: "bad frame or arguments (errors name the fields)",
    403: "a permission refused",
    404: "unknown object (or stream)",
    405: "unknown or missing action",
    409: "the change conflicts with the database",
    413: "frame larger than MAX_MESSAGE_SIZE",
    429: "throttled (the message says how many seconds to wait) or too many detached actions",
    500: "server error (logged on the server)",
}

REQUEST_ID: Schema = {"description": "Any JSON value; the reply carries it back unchanged."}


def envelope(data: Schema, action: Schema, status: Schema, errors: Schema) -> Schema:
    """The schema of one reply in the standard envelope."""
    return {
        "type": "object",
        "properties": {
            "errors": errors,
            "data": data,
            "action": action,
            "response_status": status,
            "request_id": REQUEST_ID,
        },
        "required": ["errors", "data", "action", "response_status", "request_id"],
    }


ERROR_LIST: Schema = {
    "type": "array",
    "description": "Messages, or one object mapping each field to its messages (DRF's error structure).",
    "items": {"anyOf": [{"type": "string"}, {"type": "object"}]},
}
NO_ERRORS: Schema = {"type": "array", "maxItems": 0}


def _in_stream(stream: str, payload: Schema) -> Schema:
    """``payload`` inside a demultiplexer's stream envelope."""
    return {
        "type": "object",
        "properties": {"stream": {"const": stream}, "payload": payload},
        "required": ["stream", "payload"],
    }


def _key(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9\-]+", "_", text).strip("_") or "root"


def _address(path: str) -> tuple[str, list[str]]:
    """``/ws/rooms/<int:pk>/`` -> (``/ws/rooms/{pk}/``, ``["pk"]``); regex groups likewise."""
    names: list[str] = []

    def named(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return "{" + match.group(1) + "}"

    address = re.sub(r"<(?:\w+:)?(\w+)>", named, path)
    address = re.sub(r"\(\?P<(\w+)>[^)]*\)", named, address)
    return address, names


def _lookup_schema(consumer_class: Any) -> Schema:
    queryset = getattr(consumer_class, "queryset", None)
    model = getattr(queryset, "model", None)
    field_name = getattr(consumer_class, "lookup_field", "pk")
    if model is None:
        return {}
    try:
        field = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
    except Exception:
        return {}
    while getattr(field, "is_relation", False) and getattr(field, "target_field", None) is not None:
        field = field.target_field
    if isinstance(field, (models.IntegerField, models.AutoField)):
        return {"type": "integer"}
    if isinstance(field, models.UUIDField):
        return {"type": "string", "format": "uuid"}
    if isinstance(field, (models.CharField, models.TextField)):
        return {"type": "string"}
    return {}


def _data_schema(serializer_class: Any, method_name: str) -> Schema:
    schema = serializer_schema(serializer_class, writing=True)
    if not _DATA_ACTIONS[method_name]:  # a partial update: every field is optional
        schema.pop("required", None)
    return schema


def _json_value(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _request_schema(consumer_class: Any, wire_name: str, method_name: str) -> Schema:
    method = getattr(consumer_class, method_name)
    plan = action_plan(method)
    properties: Schema = {"action": {"const": wire_name}, "request_id": REQUEST_ID}
    required = ["action"]
    accepts_more = plan.params.var_keyword
    serializer_class = getattr(consumer_class, "serializer_class", None)
    if plan.serializer_class is not None:
        body = serializer_schema(plan.serializer_class, writing=True)
        properties.update(body.get("properties", {}))
        required.extend(body.get("required", []))
        accepts_more = True
    else:
        hints = type_hints(method)
        signature = inspect.signature(method)
        for param in signature.parameters.values():
            if param.name not in plan.params.names or param.name in _INJECTED or param.name == "instance":
                continue
            schema = hint_schema(hints[param.name]) if param.name in hints else {}
            if param.name == "data" and method_name in _DATA_ACTIONS and serializer_class is not None:
                schema = _data_schema(serializer_class, method_name)
            if param.default is not param.empty and _json_value(param.default):
                schema = {**schema, "default": param.default}
            properties[param.name] = schema
            if param.name in plan.params.required:
                required.append(param.name)
    if getattr(method, "detail", False) or method_name in _LOOKUP_ACTIONS:
        key = getattr(consumer_class, "lookup_url_kwarg", None) or getattr(consumer_class, "lookup_field", None) or "pk"
        properties.setdefault(key, _lookup_schema(consumer_class))
        if key not in required:
            required.append(key)
    if method_name in _DATA_ACTIONS and "data" not in properties and serializer_class is not None:
        properties["data"] = _data_schema(serializer_class, method_name)
        required.append("data")
    request: Schema = {"type": "object", "properties": properties, "required": required}
    if not accepts_more:
        request["additionalProperties"] = False
    return request


def _reply_data_schema(consumer_class: Any, method_name: str) -> Schema:
    serializer_class = getattr(consumer_class, "serializer_class", None)
    if method_name == "delete":
        return {"type": "null"}
    if serializer_class is None:
        return {}
    if method_name in _SINGLE_REPLIES:
        return serializer_schema(serializer_class, writing=False)
    if method_name == "list" and getattr(consumer_class, "pagination_class", None) is None:
        return {"type": "array", "items": serializer_schema(serializer_class, writing=False)}
    return {}


def _observers(consumer_class: Any) -> list[tuple[str, Any]]:
    found = []
    for name in sorted(dir(consumer_class)):
        if name.startswith("__"):
            continue
        value = inspect.getattr_static(consumer_class, name, None)
        if value is not None and hasattr(value, "group_names_for_consumer") and hasattr(value, "func"):
            found.append((name, value))
    return found


class _Builder:
    def __init__(self) -> None:
        self.channels: dict[str, Any] = {}
        self.operations: dict[str, Any] = {}

    def add_route(self, path: str, consumer_class: Any, stream: str | None = None) -> None:
        """A channel for one route; ``stream`` names it when it is a stream of a demultiplexer."""
        address, parameters = _address(path)
        channel_id = _key(address if stream is None else f"{address} {stream}")
        while channel_id in self.channels:
            channel_id += "_"
        messages: dict[str, Any] = {"error": {"$ref": "#/components/messages/error"}}
        channel: dict[str, Any] = {
            "address": address,
            "title": consumer_class.__name__,
            "messages": messages,
        }
        doc = inspect.getdoc(consumer_class)
        if doc:
            channel["description"] = doc
        if parameters:
            channel["parameters"] = {name: {"description": f"The route's ``{name}``."} for name in parameters}
        self.channels[channel_id] = channel
        channel_ref = {"$ref": f"#/channels/{channel_id}"}

        def message_ref(key: str) -> dict[str, str]:
            return {"$ref": f"#/channels/{channel_id}/messages/{key}"}

        for wire_name, request, reply_data, description in self._actions(consumer_class):
            name = _key(wire_name)
            messages[f"{name}_request"] = {
                "name": wire_name,
                "title": f"{wire_name} request",
                "payload": request,
            }
            messages[f"{name}_reply"] = {
                "name": f"{wire_name} reply",
                "title": f"{wire_name} reply",
                "payload": envelope(reply_data, {"const": wire_name}, {"type": "integer"}, NO_ERRORS),
            }
            operation: dict[str, Any] = {
                "action": "receive",
                "channel": channel_ref,
                "title": wire_name,
                "messages": [message_ref(f"{name}_request")],
                "reply": {
                    "channel": channel_ref,
                    "messages": [message_ref(f"{name}_reply"), message_ref("error")],
                },
            }
            if description:
                operation["description"] = description
            self.operations[f"{channel_id}_{name}"] = operation
        self._add_events(consumer_class, channel_id, channel_ref, messages, message_ref)
        if stream is not None:
            channel["title"] = f"{consumer_class.__name__} (stream {stream})"
            channel["description"] = (
                channel.get("description", "") + f"\n\nA stream of a demultiplexer: each frame is "
                f'{{"stream": "{stream}", "payload": ...}}, the payload being the message described here.'
            ).strip()
            for message in messages.values():
                if "payload" in message:
                    message["payload"] = _in_stream(stream, message["payload"])

    def _actions(self, consumer_class: Any) -> list[tuple[str, Schema, Schema, str]]:
        if issubclass(consumer_class, DjangoViewAsConsumer):
            return [self._view_action(wire, method) for wire, method in sorted(consumer_class.actions.items())]
        found = []
        for wire_name, method_name in sorted(getattr(consumer_class, "available_actions", {}).items()):
            method = getattr(consumer_class, method_name)
            found.append(
                (
                    wire_name,
                    _request_schema(consumer_class, wire_name, method_name),
                    _reply_data_schema(consumer_class, method_name),
                    inspect.getdoc(method) or "",
                )
            )
        return found

    @staticmethod
    def _view_action(wire_name: str, http_method: str) -> tuple[str, Schema, Schema, str]:
        request: Schema = {
            "type": "object",
            "properties": {
                "action": {"const": wire_name},
                "request_id": REQUEST_ID,
                "parameters": {"type": "object", "description": "The view's URL keyword arguments."},
                "query": {"type": "object", "description": "The request's GET parameters."},
                "data": {"description": "The JSON body (request.data)."},
            },
            "required": ["action"],
        }
        return wire_name, request, {}, f"Runs the view with HTTP {http_method}."

    def _add_events(
        self, consumer_class: Any, channel_id: str, channel_ref: Any, messages: dict[str, Any], message_ref: Any
    ) -> None:
        events: list[tuple[str, Schema, Schema, str]] = []
        actions = getattr(consumer_class, "available_actions", {})
        instance_events = "subscribe_instance" in actions
        list_events = "subscribe_list" in actions
        for name, observer in _observers(consumer_class):
            if instance_events and name == "handle_instance_change":  # described as the "instance" events
                continue
            if list_events and name == "handle_list_change":  # described as the "list" events
                continue
            serializer_class = getattr(observer, "serializer_class", None)
            data = serializer_schema(serializer_class, writing=False) if serializer_class is not None else {}
            doc = inspect.getdoc(getattr(observer, "func", None)) or ""
            kind = "model observer" if hasattr(observer, "model_cls") else "observer"
            events.append((name, data, {"type": "string"}, doc or f"Events of the {kind} {name}."))
        if instance_events:
            data = {}
            if getattr(consumer_class, "serializer_class", None) is not None:
                data = serializer_schema(consumer_class.serializer_class, writing=False)
            events.append(
                (
                    "instance",
                    data,
                    {"enum": _INSTANCE_EVENTS},
                    "Changes of the objects subscribed with subscribe_instance (delete: data holds the pk).",
                )
            )
        if list_events:
            row: Schema = {}
            if getattr(consumer_class, "serializer_class", None) is not None:
                row = serializer_schema(consumer_class.serializer_class, writing=False)
            deleted: Schema = {
                "type": "object",
                "properties": {"pk": {"description": "The primary key of the row that left the list."}},
                "required": ["pk"],
            }
            events.append(
                (
                    "list",
                    {"oneOf": [row, deleted]} if row else {},
                    {"enum": _LIST_EVENTS},
                    "Changes of the lists subscribed with subscribe_list, under the subscription's request_id: "
                    'create and update carry the row as list serializes it, delete carries {"pk": ...}.',
                )
            )
        for name, data, action, description in events:
            key = f"event_{_key(name)}"
            messages[key] = {
                "name": name,
                "title": f"{name} event",
                "summary": description.splitlines()[0] if description else name,
                "payload": envelope(data, action, {"type": "integer"}, NO_ERRORS),
            }
            self.operations[f"{channel_id}_{key}"] = {
                "action": "send",
                "channel": channel_ref,
                "title": f"{name} events",
                "description": description,
                "messages": [message_ref(key)],
            }


def _components() -> dict[str, Any]:
    statuses = "; ".join(f"{code}: {meaning}" for code, meaning in ERROR_STATUSES.items())
    return {
        "messages": {
            "error": {
                "name": "error",
                "title": "Error reply",
                "summary": "Any action may be answered with an error; the socket stays open.",
                "description": f"Statuses: {statuses}.",
                "payload": envelope(
                    {"type": "null"},
                    {"type": ["string", "null"]},
                    {"type": "integer", "enum": list(ERROR_STATUSES)},
                    ERROR_LIST,
                ),
            }
        }
    }


def build_document(
    application: Any, title: str | None = None, version: str = "1.0.0", description: str | None = None
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document (a JSON-ready dict) of every websocket route under ``application``."""
    builder = _Builder()
    for route in websocket_routes(application):
        builder.add_route(route.path, route.consumer_class, route.stream)
    info: dict[str, Any] = {
        "title": title or getattr(settings, "ASGI_APPLICATION", None) or "Websocket API",
        "version": version,
        "description": description
        or (
            "Clients send JSON objects naming an action; every reply is "
            '{"errors", "data", "action", "response_status", "request_id"}.'
        ),
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": info,
        "defaultContentType": "application/json",
        "channels": builder.channels,
        "operations": builder.operations,
        "components": _components(),
    }


__all__ = [
    "ASYNCAPI_VERSION",
    "ERROR_LIST",
    "ERROR_STATUSES",
    "NO_ERRORS",
    "REQUEST_ID",
    "build_document",
    "envelope",
]
