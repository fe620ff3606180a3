"""The request-id table of generic observers: which request ids of a socket watch which group."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .binding import BindsGenericObservers
from .utils import request_id_key

#: The key of instance subscriptions in ``AsyncAPIConsumer._observer_group_to_request_id``.
INSTANCE_SUBSCRIPTIONS = "instance-subscriptions"


class ObserverConsumerMixin(BindsGenericObservers):
    """Request-id bookkeeping for consumers with generic observers.

    ``subscribed_requests`` maps each group to the request ids of this socket that watch it.  The
    hooks below are DCRF 1.3's, which users override: they are called at the same moments with the
    same arguments, and what an override returns is not relied on (the table is read afterwards).
    """

    observer_many_to_many_relationships = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One request-id table per consumer: this mixin's share of the consumer's observer table,
        # under a key no observer id can take (those contain the observer's class name).
        table = getattr(self, "_observer_group_to_request_id", None)
        self.subscribed_requests: dict[str, set[Any]] = {} if table is None else table[INSTANCE_SUBSCRIPTIONS]

    def _subscribe(self, request_id: Any, groups: Iterable[str]) -> None:
        """Record that ``request_id`` watches ``groups`` (called after the socket joined them)."""
        for group in groups:
            self.subscribed_requests.setdefault(group, set()).add(request_id_key(request_id))

    def _unsubscribe(self, request_id: Any) -> None:
        """Forget ``request_id``; the groups nobody on this socket watches any more go through
        :meth:`_unsubscribe_groups`."""
        key = request_id_key(request_id)
        emptied = []
        for group, request_ids in self.subscribed_requests.items():
            request_ids.discard(key)
            if not request_ids:
                emptied.append(group)
        self._unsubscribe_groups(emptied)

    def _unsubscribe_groups(self, groups: Iterable[str]) -> None:
        """Forget every request id that watches ``groups``."""
        for group in groups:
            self.subscribed_requests.pop(group, None)

    def _requests_for(self, group: str | None) -> set[Any]:
        """The request ids watching ``group`` (every request id of the socket when it is empty)."""
        if not group:
            return set().union(*self.subscribed_requests.values())
        return set(self.subscribed_requests.get(group, ()))

    def _watched_groups(self) -> set[str]:
        """The groups some request id of this socket watches, as the table says now."""
        return {group for group, request_ids in self.subscribed_requests.items() if request_ids}
