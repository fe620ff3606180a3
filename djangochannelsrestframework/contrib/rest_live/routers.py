"""``RealtimeRouter``: which views a websocket endpoint serves, one per model (django-rest-live 0.7)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .consumers import SubscriptionConsumer


class RealtimeRouter:
    """Collects realtime views and makes the consumer that serves them.

    ``public=False`` makes a private endpoint: connections without an authenticated
    ``scope["user"]`` (anonymous, or no auth middleware) are closed with code 4003.  Several
    routers may coexist, each with its own consumer."""

    def __init__(self, public: bool = True, uid: str = "default") -> None:
        self.registry: dict[str, type[Any]] = {}
        self.uid = uid
        self.public = public

    def register_all(self, views: Iterable[type[Any]]) -> None:
        """:meth:`register` each of ``views``."""
        for view in views:
            self.register(view)

    def register(self, view: type[Any]) -> None:
        """Serve subscriptions to ``view``'s model through ``view``.

        Raises ``RuntimeError`` for a view without ``RealtimeMixin``, ``RuntimeWarning`` for a
        second view of a model already registered here, and
        :class:`~.mixins.RealtimeConfigurationError` for a view that is not a DRF generic view
        or has no ``queryset``."""
        if not hasattr(view, "register_signal_handler"):
            raise RuntimeError(
                f"View {view.__name__} passed to RealtimeRouter does not have RealtimeMixin applied; "
                f"add RealtimeMixin to its bases."
            )
        label = view.register_signal_handler(self.uid)
        if label in self.registry:
            raise RuntimeWarning(
                f"{label} already has a realtime view in this router ({self.registry[label].__name__}); "
                f"register one view per model."
            )
        self.registry[label] = view

    def as_consumer(self) -> type[SubscriptionConsumer]:
        """A :class:`~.consumers.SubscriptionConsumer` subclass serving this router's views."""
        return type(
            "BoundSubscriptionConsumer",
            (SubscriptionConsumer,),
            {"registry": self.registry, "public": self.public, "__module__": SubscriptionConsumer.__module__},
        )


__all__ = [
    "RealtimeRouter",
]
