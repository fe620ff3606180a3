"""Finding the websocket routes of an ASGI application and describing their consumers."""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, field
from typing import Any

from .._engine.arguments import parameters_of
from ..consumers import AsyncAPIConsumer
from ..routes import websocket_routes
from .docstrings import render_docstring

#: Actions of the generic mixins that need the lookup key, and those that take ``data``.
_LOOKUP_ACTIONS = {"retrieve", "update", "patch", "delete", "subscribe_instance", "unsubscribe_instance"}
_DATA_ACTIONS = {"create", "update", "patch"}
_INJECTED = {"action", "request_id"}


@dataclass
class ParameterInfo:
    name: str
    required: bool
    default: Any = None
    annotation: str = ""


@dataclass
class ActionInfo:
    name: str
    method: str
    doc: str
    parameters: list[ParameterInfo]
    accepts_extra: bool
    detached: bool
    detail: bool | None
    doc_html: str = ""

    def __post_init__(self) -> None:
        self.doc_html = self.doc_html or render_docstring(self.doc)


@dataclass
class ObserverInfo:
    name: str
    kind: str
    doc: str
    #: Provided by the library (e.g. instance subscriptions), not written in the consumer.
    internal: bool = False
    doc_html: str = ""

    def __post_init__(self) -> None:
        self.doc_html = self.doc_html or render_docstring(self.doc)


@dataclass
class RouteInfo:
    path: str
    consumer: str
    doc: str
    actions: list[ActionInfo] = field(default_factory=list)
    observers: list[ObserverInfo] = field(default_factory=list)
    doc_html: str = ""
    #: The stream name when the route is one stream of a demultiplexer (frames are then wrapped
    #: as ``{"stream": stream, "payload": ...}``).
    stream: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json_default(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _annotation(param: inspect.Parameter) -> str:
    if param.annotation is inspect.Parameter.empty:
        return ""
    annotation = param.annotation
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))


def describe_action(consumer_class: type, wire_name: str, method_name: str) -> ActionInfo:
    """What a client may send to one action."""
    method = getattr(consumer_class, method_name)
    signature = inspect.signature(method)
    parameters: list[ParameterInfo] = []
    for param in list(signature.parameters.values())[1:]:
        if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL) or param.name in _INJECTED:
            continue
        required = param.default is param.empty
        default = None if required else _json_default(param.default)
        parameters.append(ParameterInfo(param.name, required, default, _annotation(param)))
    names = {param.name for param in parameters}
    lookup = getattr(consumer_class, "lookup_url_kwarg", None) or getattr(consumer_class, "lookup_field", None)
    if method_name in _LOOKUP_ACTIONS and lookup and lookup not in names:
        parameters.insert(0, ParameterInfo(lookup, True, None, "lookup"))
    if method_name in _DATA_ACTIONS and "data" not in names:
        parameters.append(ParameterInfo("data", True, None, "dict"))
    return ActionInfo(
        name=wire_name,
        method=method_name,
        doc=inspect.getdoc(method) or "",
        parameters=parameters,
        accepts_extra=parameters_of(method).var_keyword,
        detached=bool(getattr(method, "detached", False)),
        detail=getattr(method, "detail", None),
    )


def _observers(consumer_class: type) -> list[ObserverInfo]:
    found = []
    for name in dir(consumer_class):
        if name.startswith("__"):
            continue
        value = inspect.getattr_static(consumer_class, name, None)
        if value is not None and hasattr(value, "group_names_for_consumer") and hasattr(value, "func"):
            kind = "model" if hasattr(value, "model_cls") else "signal"
            internal = getattr(value.func, "__module__", "").startswith("djangochannelsrestframework.")
            found.append(ObserverInfo(name=name, kind=kind, doc=inspect.getdoc(value.func) or "", internal=internal))
    return found


def own_docstring(cls: type) -> str:
    """The class's own docstring, not one inherited from a base or mixin (``inspect.getdoc`` would)."""
    doc = cls.__dict__.get("__doc__")
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def describe_consumer(path: str, consumer_class: type) -> RouteInfo:
    """A route with its consumer's actions and observers."""
    info = RouteInfo(path=path, consumer=f"{consumer_class.__module__}.{consumer_class.__qualname__}", doc="")
    info.doc = own_docstring(consumer_class)
    info.doc_html = render_docstring(info.doc)
    if isinstance(consumer_class, type) and issubclass(consumer_class, AsyncAPIConsumer):
        actions = getattr(consumer_class, "actions", None)
        if getattr(consumer_class, "view", None) is not None or (isinstance(actions, dict) and actions):
            for action_name, method in (actions or {}).items():
                info.actions.append(
                    ActionInfo(action_name, method, f"Runs the view with HTTP {method}.", [], True, False, None)
                )
        else:
            for wire_name, method_name in sorted(consumer_class.available_actions.items()):
                info.actions.append(describe_action(consumer_class, wire_name, method_name))
        info.observers = _observers(consumer_class)
    return info


def discover_routes(application: Any) -> list[RouteInfo]:
    """Every websocket route under ``application`` (ProtocolTypeRouter, middleware, URLRouter...)."""
    found = []
    for route in websocket_routes(application):
        info = describe_consumer(route.path, route.consumer_class)
        info.stream = route.stream
        found.append(info)
    return found


__all__ = [
    "ActionInfo",
    "ObserverInfo",
    "ParameterInfo",
    "RouteInfo",
    "describe_action",
    "describe_consumer",
    "discover_routes",
    "own_docstring",
]
