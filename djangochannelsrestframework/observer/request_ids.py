"""The request-id table of generic observers: which request ids of a socket watch which group."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .binding import bind_generic_observers
from .utils import request_id_key

#: The key of instance subscriptions in ``AsyncAPIConsumer._observer_group_to_request_id``.
INSTANCE_SUBSCRIPTIONS = "instance-subscriptions"


class ObserverConsumerMixin:
    """Request-id bookkeeping for consumers with generic observers."""

    observer_many_to_many_relationships = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        bind_generic_observers(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One request-id table per consumer: this mixin's share of the consumer's observer table,
        # under a key no observer id can take (those contain the observer's class name).
        table = getattr(self, "_observer_group_to_request_id", None)
        self.subscribed_requests: dict[str, set[Any]] = {} if table is None else table[INSTANCE_SUBSCRIPTIONS]

    def _subscribe(self, request_id: Any, groups: Iterable[str]) -> None:
        for group in groups:
            self.subscribed_requests.setdefault(group, set()).add(request_id_key(request_id))

    def _unsubscribe(self, request_id: Any) -> list[str]:
        """Forget ``request_id``; returns the groups nobody on this socket watches any more."""
        emptied = []
        key = request_id_key(request_id)
        for group, request_ids in list(self.subscribed_requests.items()):
            request_ids.discard(key)
            if not request_ids:
                del self.subscribed_requests[group]
                emptied.append(group)
        return emptied

    def _unsubscribe_groups(self, groups: Iterable[str]) -> None:
        for group in groups:
            self.subscribed_requests.pop(group, None)

    def _requests_for(self, group: str | None) -> set[Any]:
        if not group:
            return set().union(*self.subscribed_requests.values())
        return set(self.subscribed_requests.get(group, ()))
