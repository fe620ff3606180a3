"""Live list subscriptions: ``subscribe_list`` replies with exactly what ``list`` would (the
snapshot), then keeps the client's copy in sync with ``create`` / ``update`` / ``delete`` events
relative to the subscriber's own filtered, permission-checked queryset.

How an event travels (see docs/delivery.rst):

* a commit sends one channel-layer message per consumer class naming every row it changed
  (:meth:`.model_observer.ModelObserver.batch_messages`);
* each ``subscribe_list`` is a :class:`.live.LiveSubscription` (the engine rest-live rides too):
  per *cohort* (same consumer class, parameters and permission context, see
  :meth:`ListSubscriptionMixin.get_list_cohort_context`) and batch, one socket of the process runs
  one query for the changed rows that are visible, serializes and encodes them once;
* each subscription turns that into events from the rows it already has (:meth:`.live.ListOutcome.step`,
  shared by every subscription holding the same rows) and sends them under its request id.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Model, QuerySet
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError

from .. import codec
from .._engine.serializer_plans import serializer_data
from ..decorators import action
from ..generics import made_serializers
from ..mixins import ListModelMixin
from ..types import ConsumerHost, GenericHost, Message, RequestId
from .binding import BindsGenericObservers, GenericModelObserver, observer_of
from .live import ListOutcome, LiveSubscription, LiveTable, deliver
from .model_observer import json_pk
from .sharing import encode_payload


async def _list_change(self: Any, message: Message, group: Any = None, event: Any = None, **kwargs: Any) -> None:
    await self.handle_list_changes(message.get("changes", ()), group=group, event=event)


def _request_key(request_id: RequestId) -> str:
    """A hashable key for any JSON request id (lists and objects included)."""
    return codec.dumps(request_id)


def _rows_shown(serializers: list[Any]) -> frozenset[Any] | None:
    """The primary keys of the model instances ``serializers`` (made by ``list``) serialized;
    ``None`` when there were none, or one serialized something else or was never evaluated."""
    if not serializers:
        return None
    shown: set[Any] = set()
    for serializer in serializers:
        instance = getattr(serializer, "instance", None)
        items: Any
        if isinstance(instance, Model):
            items = (instance,)
        elif isinstance(instance, QuerySet):
            items = instance._result_cache  # None if the serializer never read it
        elif isinstance(instance, Sequence) and not isinstance(instance, (str, bytes)):
            items = instance  # a page
        else:
            return None
        if items is None or not all(isinstance(item, Model) for item in items):
            return None
        shown.update(json_pk(item.pk) for item in items)
    return frozenset(shown)


def _params_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)


class _ListHost(GenericHost, Protocol):
    """What :class:`ListSubscriptionMixin` calls on its consumer: a generic consumer's methods and
    the mixin's own (which it reaches through ``self``)."""

    list_subscriptions: LiveTable
    list: Any

    def get_list_cohort_context(self, **params: Any) -> Hashable: ...

    async def _evaluate_list_changes(self, params: dict[str, Any], pks: list[Any]) -> list[ListOutcome]: ...

    def _visible_rows(self, params: dict[str, Any], pks: list[Any]) -> dict[Any, tuple[Any, str | None]]: ...

    def _list_model(self, params: dict[str, Any]) -> type[Model]: ...

    def _list_rows_now(self, params: dict[str, Any]) -> frozenset[Any]: ...

    async def _list_snapshot(self, request_id: RequestId, params: dict[str, Any]) -> tuple[Any, int]: ...

    async def _drop_list_subscription(self, key: str) -> bool: ...


class ListSubscriptionMixin(BindsGenericObservers, ListModelMixin):
    """``subscribe_list`` and ``unsubscribe_list``: a live copy of the ``list`` reply.

    ``{"action": "subscribe_list", "request_id": 3, ...list parameters}`` replies with exactly what
    ``list`` replies for those parameters; after it, every committed change arrives under
    ``request_id`` 3 as ``{"action": "create" | "update", "data": <row>}`` or
    ``{"action": "delete", "data": {"pk": ...}}`` relative to the subscriber's own filtered,
    permission-checked queryset.  ``{"action": "unsubscribe_list", "request_id": 3}`` stops it.
    """

    handle_list_change: Any = GenericModelObserver(_list_change, batch_changes=True, name="handle_list_change")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.list_subscriptions = LiveTable()

    # -- hooks -----------------------------------------------------------------------------------

    def get_list_cohort_context(self: ConsumerHost, **params: Any) -> Hashable:
        """What, beside the consumer class and the parameters, can change what this socket sees:
        the user by default (all anonymous sockets share one cohort).

        Subscriptions with equal contexts are evaluated together, with the first socket's
        ``get_queryset``, permissions and serializer.  Override when those read more of the scope
        than the user (a header, a tenant); return a constant for a list everyone sees alike."""
        user = self.scope.get("user")
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return ("user", user.pk)

    # -- actions ---------------------------------------------------------------------------------

    @action()
    async def subscribe_list(self: _ListHost, request_id: RequestId = None, **kwargs: Any) -> tuple[Any, int]:
        """Reply with the ``list`` of these parameters, then send its changes under ``request_id``."""
        if request_id is None:
            raise ValidationError({"request_id": ["This argument is required."]})
        key = _request_key(request_id)
        if key in self.list_subscriptions:
            raise ValidationError({"request_id": ["A list subscription with this request_id exists already."]})
        params = {name: value for name, value in kwargs.items() if name != "action"}
        await self.check_permissions("list", **params)
        model = await database_sync_to_async(self._list_model)(params)
        observer = observer_of(type(self), "handle_list_change", model)
        groups = observer.group_names_for_consumer(self)
        cohort = (type(self), _params_key(params), self.get_list_cohort_context(**params))
        subscription = LiveSubscription(
            self,
            cohort,
            groups,
            functools.partial(self._evaluate_list_changes, params),
            request_id=request_id,
        )
        subscription.known = [frozenset()]  # until the snapshot below says which rows the client has
        # Registered and in its groups (the layer delivers them to this process) before anything is
        # read: every change committed after the reads below reaches it.  Its events wait for this
        # handler to end (one handler at a time per socket), so they apply after the snapshot.
        self.list_subscriptions.add(key, subscription)
        try:
            for group in groups:
                await self.add_group(group)
            known = await database_sync_to_async(self._list_rows_now)(params)
            made: list[Any] = []
            token = made_serializers.set(made)
            try:
                data, status_code = await self._list_snapshot(request_id, params)
            finally:
                made_serializers.reset(token)
            shown = _rows_shown(made)
            if shown is None:
                # A list that serialized no model instances: the rows it showed are unknown, so
                # take every row matching now as well (see "Subscribing" in docs/live_lists.rst).
                shown = await database_sync_to_async(self._list_rows_now)(params)
        except BaseException:
            await self._drop_list_subscription(key)
            raise
        # Every row the client got is known, so its later deletion or change out of the list is sent.
        subscription.start([known if shown <= known else known | shown])
        return data, status_code

    @action()
    async def unsubscribe_list(self: _ListHost, request_id: RequestId = None, **kwargs: Any) -> tuple[None, int]:
        """Stop the list subscription of ``request_id``."""
        if request_id is None:
            raise ValidationError({"request_id": ["This argument is required."]})
        if not await self._drop_list_subscription(_request_key(request_id)):
            raise NotFound("No list subscription has this request_id.")
        return None, status.HTTP_204_NO_CONTENT

    async def websocket_disconnect(self, message: Message) -> None:
        self.list_subscriptions.clear()
        await super().websocket_disconnect(message)  # type: ignore[misc]

    # -- delivery --------------------------------------------------------------------------------

    async def handle_list_changes(self, changes: Iterable[Any], group: str | None = None, event: Any = None) -> None:
        """Send this socket's list subscriptions the events of one committed batch of changes."""
        subscriptions = self.list_subscriptions.watching(group)
        if subscriptions:
            await deliver(subscriptions, list(dict.fromkeys(change[0] for change in changes)), event)

    async def _evaluate_list_changes(self: _ListHost, params: dict[str, Any], pks: list[Any]) -> list[ListOutcome]:
        """Which of ``pks`` this cohort may see now, serialized: one query for the whole batch."""
        try:
            await self.check_permissions("subscribe_list", **params)
            await self.check_permissions("list", **params)
        except (APIException, DjangoPermissionDenied):
            return [ListOutcome(pks, {})]
        rows = await database_sync_to_async(self._visible_rows)(params, pks)
        return [ListOutcome(pks, rows)]

    def _visible_rows(self: _ListHost, params: dict[str, Any], pks: list[Any]) -> dict[Any, tuple[Any, str | None]]:
        kwargs = {"action": "list", **params}
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        visible = []
        for instance in queryset.filter(pk__in=pks):
            try:
                self.check_object_permissions(instance, **kwargs)
            except (APIException, DjangoPermissionDenied):
                continue
            visible.append(instance)
        if not visible:
            return {}
        serializer = self.get_serializer(instance=visible, many=True, action_kwargs=kwargs)
        data = serializer_data(serializer)
        return {json_pk(instance.pk): (row, encode_payload(row)) for instance, row in zip(visible, data, strict=True)}

    # -- subscribing -----------------------------------------------------------------------------

    def _list_model(self: _ListHost, params: dict[str, Any]) -> type[Model]:
        model: type[Model] = self.get_queryset(action="list", **params).model
        return model

    def _list_rows_now(self: _ListHost, params: dict[str, Any]) -> frozenset[Any]:
        """The primary keys of the whole filtered queryset (every page): what events are relative to."""
        kwargs = {"action": "list", **params}
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        return frozenset(json_pk(pk) for pk in queryset.values_list("pk", flat=True))

    async def _list_snapshot(self: _ListHost, request_id: RequestId, params: dict[str, Any]) -> tuple[Any, int]:
        """What ``list`` replies for ``params`` (the first page of a streamed list)."""
        method: Any = self.list
        if getattr(method, "detached", False):
            from ..mixins import PaginatedModelListMixin

            method = functools.partial(PaginatedModelListMixin.list, self)  # type: ignore[arg-type]
        call_kwargs = self.bind_action_arguments(method, "list", request_id, params)
        result = await method(**call_kwargs)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise ImproperlyConfigured(f"{type(self).__name__}.list must return (data, status) for subscribe_list")
        return result[0], result[1]

    async def _drop_list_subscription(self: _ListHost, key: str) -> bool:
        dropped = self.list_subscriptions.pop(key)
        if dropped is None:
            return False
        still_used = self.list_subscriptions.groups()
        for group in dict.fromkeys(group for subscription in dropped for group in subscription.groups):
            if group not in still_used:
                await self.remove_group(group)
        return True


__all__ = [
    "ListSubscriptionMixin",
]
