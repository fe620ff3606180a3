"""Observers: push database changes and Django signals to subscribed websocket consumers."""

from __future__ import annotations

from functools import partial
from typing import Any
from typing import Optional as Optional
from typing import Type as Type  # noqa: UP035

from channels.layers import get_channel_layer
from django.db.models import Model
from django.dispatch import Signal
from rest_framework.serializers import BaseSerializer
from rest_framework.serializers import Serializer as Serializer

from .._engine.fanout import fanout_for
from .model_observer import ModelObserver
from .observer import Observer


def observer(signal: Signal, **kwargs: Any) -> Any:
    """Decorate a consumer method to receive ``signal``; ``kwargs`` go to ``signal.connect``."""
    return partial(Observer, signal=signal, kwargs=kwargs)


def model_observer(
    model: type[Model],
    serializer_class: type[BaseSerializer[Any]] | None = None,
    many_to_many: bool = False,
    **kwargs: Any,
) -> Any:
    """Decorate a consumer method to receive committed changes of ``model`` (``partition=`` optional)."""
    return partial(
        ModelObserver, model_cls=model, serializer_class=serializer_class, many_to_many=many_to_many, **kwargs
    )


def fanout_quiet_seconds(layer: Any = None) -> dict[str, float]:
    """Health of this process's observer fan-out: per observer group it serves, the seconds since
    it last received a message (docs/delivery.rst, "Health").  Call it on the server's event loop;
    ``layer`` defaults to the default channel layer."""
    return fanout_for(layer if layer is not None else get_channel_layer()).quiet_seconds()


def __getattr__(name: str) -> Any:
    # The documentation imports the mixin from here; loaded lazily to avoid an import cycle.
    if name == "ObserverModelInstanceMixin":
        from .generics import ObserverModelInstanceMixin

        return ObserverModelInstanceMixin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Model",
    "ModelObserver",
    "Observer",
    "ObserverModelInstanceMixin",
    "Optional",
    "Serializer",
    "Signal",
    "Type",
    "fanout_quiet_seconds",
    "model_observer",
    "observer",
    "partial",
]
