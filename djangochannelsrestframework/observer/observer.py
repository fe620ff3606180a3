"""``Observer``: publish a Django signal to the consumers subscribed to it."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy as deepcopy
from typing import Any
from typing import Dict as Dict  # noqa: UP035
from typing import Generator as Generator  # noqa: UP035
from typing import Optional as Optional

from asgiref.sync import async_to_sync as async_to_sync
from channels.layers import get_channel_layer as get_channel_layer
from django.dispatch import Signal

from .base_observer import BaseObserver, send_to_groups


class Observer(BaseObserver):
    """Calls the decorated consumer method for every ``signal.send`` (see ``observer()``).

    The message is sent at once (not on commit), from whatever thread sends the signal.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        signal: Signal | None = None,
        kwargs: dict[str, Any] | None = None,
        partition: str = "*",
    ) -> None:
        super().__init__(func=func, partition=partition)
        self.signal = signal
        self.signal_kwargs = kwargs or {}
        if signal is not None:
            signal.connect(self.handle, **self.signal_kwargs)

    def handle(self, signal: Signal, *args: Any, **kwargs: Any) -> None:
        """Signal receiver: serialize once, send to every group the signal hook names."""
        message = self.serialize(signal, *args, **kwargs)
        groups = self.group_names_for_signal(*args, message=message, **kwargs)
        send_to_groups([{**message, "group": group} for group in groups])

    def serialize(self, signal: Signal, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The channel message (without group): ``{"type": ..., "body": ...}``."""
        body: Any = {}
        if self._serializer is not None:
            # Everything by keyword, so a hook may name ``sender`` or ``signal`` positionally.
            body = self._serializer(self, *args, signal=signal, **kwargs)
            if body is None:
                body = {}
        return {"type": self.message_type, "body": body}

    def group_names(self, *args: Any, **kwargs: Any) -> list[str]:
        return [f"{self._stable_observer_id}-{self.message_type}-signal"]


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "BaseObserver",
    "Dict",
    "Generator",
    "Observer",
    "Optional",
    "Signal",
    "async_to_sync",
    "deepcopy",
    "get_channel_layer",
]
