"""Finding the websocket consumers of an ASGI application.

Walks channels' ``ProtocolTypeRouter`` (its ``websocket`` entry), ``URLRouter``\\ s (nested ones
too), middleware that keeps its inner application as ``inner``/``application``/``app``
(``AuthMiddlewareStack``, ``AllowedHostsOriginValidator``...), ``.as_asgi()`` applications and
consumer instances.  Anything else ends the walk along that branch.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from channels.consumer import AsyncConsumer

from .multiplexing import AsyncJsonWebsocketDemultiplexer


class WebsocketRoute(NamedTuple):
    """A consumer class and the path pattern it is mounted on (and its stream, behind a demultiplexer)."""

    path: str
    consumer_class: type
    stream: str | None = None


def _pattern_text(route: Any) -> str:
    pattern = getattr(route, "pattern", None)
    text = str(pattern) if pattern is not None else ""
    return text.removeprefix("^").removesuffix("$")


def _inner_application(application: Any) -> Any:
    for attribute in ("inner", "application", "app"):
        inner = getattr(application, attribute, None)
        if inner is not None and inner is not application:
            return inner
    return None


def websocket_routes(application: Any, prefix: str = "") -> list[WebsocketRoute]:
    """Every websocket route under ``application``, in routing order."""
    return _walk(application, prefix, [])


def unmounted_consumers(application: Any) -> list[WebsocketRoute]:
    """Routes to a consumer *class* instead of its ``.as_asgi()`` application: channels calls the
    class with ``(scope, receive, send)`` when a client connects, which fails."""
    unmounted: list[WebsocketRoute] = []
    _walk(application, "", unmounted)
    return unmounted


def _walk(application: Any, prefix: str, unmounted: list[WebsocketRoute]) -> list[WebsocketRoute]:
    mapping = getattr(application, "application_mapping", None)
    if isinstance(mapping, dict):
        websocket = mapping.get("websocket")
        return _walk(websocket, prefix, unmounted) if websocket is not None else []
    path = "/" + prefix.lstrip("/")
    if isinstance(application, type):
        if issubclass(application, AsyncConsumer):
            unmounted.append(WebsocketRoute(path, application))
        return []
    consumer_class = getattr(application, "consumer_class", None)
    if isinstance(consumer_class, type):
        if issubclass(consumer_class, AsyncJsonWebsocketDemultiplexer):
            return _stream_routes(consumer_class(**getattr(application, "consumer_initkwargs", {})), prefix, unmounted)
        return [WebsocketRoute(path, consumer_class)]
    if isinstance(application, AsyncConsumer):
        return [WebsocketRoute(path, type(application))]
    routes = getattr(application, "routes", None)
    if routes is not None:
        found: list[WebsocketRoute] = []
        for route in routes:
            found.extend(_walk(getattr(route, "callback", None), prefix + _pattern_text(route), unmounted))
        return found
    inner = _inner_application(application)
    return _walk(inner, prefix, unmounted) if inner is not None else []


def _stream_routes(demultiplexer: Any, prefix: str, unmounted: list[WebsocketRoute]) -> list[WebsocketRoute]:
    """One route per stream of a demultiplexer, all on the demultiplexer's path."""
    found: list[WebsocketRoute] = []
    for name, stream in demultiplexer.streams.items():
        found.extend(route._replace(stream=name) for route in _walk(stream.app, prefix, unmounted))
    return found


__all__ = [
    "WebsocketRoute",
    "unmounted_consumers",
    "websocket_routes",
]
