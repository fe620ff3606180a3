"""channels-api's ``subscribe`` action: events of one kind, for the whole queryset or one object.

:class:`SubscribeModelMixin` adds two actions to a generic consumer::

    {"action": "subscribe", "data": {"action": "create"}, "request_id": 1}            # every new object
    {"action": "subscribe", "pk": 4, "data": {"action": "update"}, "request_id": 2}   # changes of object 4
    {"action": "unsubscribe", "request_id": 2}

Each committed change that matches arrives once, in the standard envelope with the subscription's
``request_id``: ``create``/``update`` with the object as the consumer serializes it, ``delete`` with
``{"pk": ...}``.  Events go through the same checks as instance subscriptions: the subscriber's
permissions and ``get_queryset`` decide, per event, whether it may see the object.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.db.models import Model
from rest_framework import status
from rest_framework.exceptions import ValidationError

from .._engine.logs import subscribing_for
from ..decorators import action
from ..types import GenericHost, Message, RequestId
from .generics import ObserverModelInstanceMixin, _GenericModelObserver
from .model_observer import ModelObserver
from .request_ids import EVENT_SUBSCRIPTIONS, event_kind, request_id_table
from .sharing import current_event
from .utils import request_id_key

#: The kinds of event a subscription can ask for.
EVENT_ACTIONS = ("create", "update", "delete")


def _event_groups(self: Any, instance: Model, *args: Any, **kwargs: Any) -> Iterator[str]:
    """A change is published to the model's group and to the object's own group."""
    yield f"{self.message_type}-subscribe-{self.model_label}"
    yield f"{self.message_type}-subscribe-{self.model_label}-pk-{instance.pk}"


_event_groups.groups_from_pk_only = True  # type: ignore[attr-defined]  # no read of the old row is needed


def _subscription_groups(self: Any, pk: Any = None, **kwargs: Any) -> Iterator[str]:
    """A subscription joins the model's group, or the object's when it names one."""
    if pk is None:
        yield f"{self.message_type}-subscribe-{self.model_label}"
    else:
        yield f"{self.message_type}-subscribe-{self.model_label}-pk-{pk}"


async def _subscribed_change(
    self: Any, message: Message, action: str = "", group: Any = None, event: Any = None, **kwargs: Any
) -> None:
    token = current_event.set(event if isinstance(event, str) else None)
    try:
        await self.handle_subscribed_action(action=action, group=group, event=event, **dict(message))
    finally:
        current_event.reset(token)


class _SubscribeHost(GenericHost, Protocol):
    """What :meth:`SubscribeModelMixin.subscribe` calls on its consumer."""

    def _event_action(self, data: Any) -> str: ...

    def _subscribe_observer(self) -> ModelObserver: ...


class SubscribeModelMixin(ObserverModelInstanceMixin):
    """``subscribe`` and ``unsubscribe`` (channels-api's), plus the instance subscription actions.

    Override :meth:`get_subscription_event_actions` to allow fewer kinds of event.
    """

    handle_subscribed_change: Any = (
        _GenericModelObserver(_subscribed_change, name="handle_subscribed_change")
        .groups_for_signal(_event_groups)
        .groups_for_consumer(_subscription_groups)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_event: tuple[Any, set[Any]] = (None, set())

    def _start_connection(self) -> None:
        super()._start_connection()  # which also empties the request-id table (see .request_ids)
        self._last_event = (None, set())

    def get_subscription_event_actions(self) -> Iterable[str]:
        """The event kinds a client may subscribe to."""
        return EVENT_ACTIONS

    def _event_action(self, data: Any) -> str:
        event_action = data.get("action") if isinstance(data, dict) else None
        if event_action is None:
            raise ValidationError(["action required"])
        allowed = tuple(self.get_subscription_event_actions())
        if event_action not in allowed:
            raise ValidationError({"action": [f"{event_action!r} is not one of: {', '.join(allowed)}."]})
        return str(event_action)

    def _subscribe_observer(self) -> ModelObserver:
        observer = type(self).handle_subscribed_change
        if not isinstance(observer, ModelObserver):
            raise TypeError(f"{type(self).__name__} needs a queryset or a serializer with a model to subscribe")
        return observer

    @action()
    async def subscribe(
        self: _SubscribeHost, data: Any = None, pk: Any = None, request_id: RequestId = None, **kwargs: Any
    ) -> tuple[dict[str, str], int]:
        """Subscribe ``request_id`` to one kind of event (``data.action``), of every object or of ``pk``."""
        event_action = self._event_action(data)
        if pk is not None:
            # Only an object this socket may see can be watched (404 / 403 otherwise).
            await database_sync_to_async(self.get_object)(pk=pk, **kwargs)
        with subscribing_for(request_id):
            groups = await self._subscribe_observer().subscribe(self, pk=pk)
        subscribed = request_id_table(self)[event_kind(event_action)]
        for group in groups:
            subscribed[group].add(request_id_key(request_id))
        return {"action": event_action}, status.HTTP_200_OK

    @action()
    async def unsubscribe(
        self, data: Any = None, pk: Any = None, request_id: RequestId = None, **kwargs: Any
    ) -> tuple[dict[str, Any], int]:
        """Stop ``request_id``'s subscriptions (of ``data.action`` and ``pk`` only, when given)."""
        event_action = self._event_action(data) if data is not None else None
        observer = self._subscribe_observer()
        groups = set(observer.group_names_for_consumer(self, pk=pk)) if pk is not None else None
        table = request_id_table(self)
        key = request_id_key(request_id)
        watched: set[str] = set()
        for kind, subscribed in table.items():
            if not kind.startswith(EVENT_SUBSCRIPTIONS):
                continue
            if event_action is None or kind == event_kind(event_action):
                for group in [group for group in subscribed if groups is None or group in groups]:
                    subscribed[group].discard(key)
                    if not subscribed[group]:
                        del subscribed[group]
            watched.update(subscribed)
        joined: dict[str, set[Any]] = table.get(observer._stable_observer_id) or {}
        await observer.unsubscribe_groups(self, [group for group in list(joined) if group not in watched])
        return {"action": event_action}, status.HTTP_200_OK

    async def handle_subscribed_action(
        self, action: str, group: str | None = None, event: Any = None, **kwargs: Any
    ) -> None:
        """Deliver a change to the subscriptions of its kind in ``group``, each once per change."""
        subscribed = request_id_table(self).get(event_kind(action))
        request_ids = set(subscribed.get(group or "", ())) if subscribed is not None else set()
        if event is not None:
            # A change reaches both the model's group and the object's: a request id subscribed
            # through both still gets it once.
            last_event, delivered = self._last_event
            if last_event != event:
                delivered = set()
                self._last_event = (event, delivered)
            request_ids -= delivered
            delivered |= request_ids
        await self.deliver_observed_action(action, request_ids, **kwargs)


__all__ = [
    "EVENT_ACTIONS",
    "SubscribeModelMixin",
]
