"""The one request-id table of a socket: which of its request ids watch which group.

``AsyncAPIConsumer._observer_group_to_request_id`` maps a *kind* to ``{group: {request-id key}}``:
a kind is an observer's id (``@model_observer`` subscriptions), :data:`INSTANCE_SUBSCRIPTIONS`, or
:func:`event_kind` of a channels-api ``subscribe`` event action.  A new connection of a reused
consumer instance clears it in place, so every view of it stays valid.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ..types import RequestId
from .binding import BindsGenericObservers
from .utils import request_id_key

#: The kind of instance subscriptions; no observer id can take it (those name the observer's class).
INSTANCE_SUBSCRIPTIONS = "instance-subscriptions"
#: The prefix of the kinds of ``subscribe`` subscriptions (see :func:`event_kind`).
EVENT_SUBSCRIPTIONS = "event-subscriptions:"


def event_kind(event_action: str) -> str:
    """The kind of the ``subscribe`` subscriptions to ``event_action`` events (``create``, ...)."""
    return EVENT_SUBSCRIPTIONS + event_action


def request_id_table(consumer: Any) -> defaultdict[str, defaultdict[str, set[Any]]]:
    """``consumer``'s request-id table: kind -> group -> request-id keys (made on first use)."""
    table: defaultdict[str, defaultdict[str, set[Any]]] = consumer._observer_group_to_request_id
    return table


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

    def _subscribe(self, request_id: RequestId, groups: Iterable[str]) -> None:
        """Record that ``request_id`` watches ``groups`` (called after the socket joined them)."""
        for group in groups:
            self.subscribed_requests.setdefault(group, set()).add(request_id_key(request_id))

    def _unsubscribe(self, request_id: RequestId) -> None:
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


__all__ = [
    "EVENT_SUBSCRIPTIONS",
    "INSTANCE_SUBSCRIPTIONS",
    "ObserverConsumerMixin",
    "event_kind",
    "request_id_table",
]
