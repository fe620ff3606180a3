"""The demultiplexer of channels-api projects: streams mapped to bindings (or any consumer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from channels.consumer import AsyncConsumer

from ...multiplexing import ASGIApp, AsyncJsonWebsocketDemultiplexer


def _application(consumer: Any) -> Any:
    if isinstance(consumer, type) and issubclass(consumer, AsyncConsumer):
        return consumer.as_asgi()  # type: ignore[attr-defined]
    return consumer


class WebsocketDemultiplexer(AsyncJsonWebsocketDemultiplexer):
    """Declare ``consumers = {"questions": QuestionBinding.consumer}`` (or the binding class itself)
    on a subclass, as channels' 1.x ``WebsocketDemultiplexer`` took them, and route it with
    ``path("", APIDemultiplexer.as_asgi())``."""

    consumers: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, **applications: Any) -> None:
        streams = {**self.consumers, **applications}
        super().__init__(**{name: _application(consumer) for name, consumer in streams.items()})

    @classmethod
    def for_bindings(cls, *bindings: Any) -> ASGIApp:
        """An ASGI application serving each binding on its ``stream``."""
        streams: dict[str, Any] = {}
        for binding in bindings:
            if not binding.stream:
                raise ValueError(f"{binding.__name__} has no stream name; set `stream = ...` on it")
            streams[binding.stream] = binding
        return cls.as_asgi(**streams)


__all__ = [
    "WebsocketDemultiplexer",
]
