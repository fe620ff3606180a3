"""Instance subscriptions: ``ObserverModelInstanceMixin`` adds ``subscribe_instance`` and
``unsubscribe_instance`` to a ``GenericAsyncAPIConsumer``.

Each consumer class gets its own model observer (see :mod:`.binding`).  Every event re-checks the
subscriber's permissions and re-reads the object through the consumer's ``get_queryset``, then
replies to each subscribing request id; when that cannot depend on the subscriber, the payload is
shared between the sockets of a process (see :mod:`.sharing`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Model
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.generics import get_object_or_404

from .._engine.logs import log_instance_delivery, subscribing_for
from .._engine.overrides import Hooks, overrides
from .._engine.serializer_plans import serializer_data
from ..decorators import action
from ..mixins import RetrieveModelMixin
from ..types import Message, RequestId
from .binding import GenericModelObserver, model_of, observer_of
from .model_observer import ModelObserver, json_pk
from .request_ids import ObserverConsumerMixin
from .sharing import (
    InstanceOutcome,
    LazyContext,
    SharingHost,
    current_event,
    encode_payload,
    shared_result,
    shares_instance_data,
)
from .utils import request_id_key, request_id_of


async def _instance_change(
    self: Any, message: Message, action: str = "", group: Any = None, event: Any = None, **kwargs: Any
) -> None:
    token = current_event.set(event if isinstance(event, str) else None)
    try:
        await self.handle_observed_action(action=action, group=group, **dict(message))
    finally:
        current_event.reset(token)


def _instance_groups(self: Any, instance: Model, *args: Any, **kwargs: Any) -> Iterable[str]:
    yield f"{self.message_type}-model-{self.model_label}-pk-{instance.pk}"


#: The groups name the object by primary key only (a save cannot move it): see ModelObserver.
_instance_groups.groups_from_pk_only = True  # type: ignore[attr-defined]


class _InstanceHost(SharingHost, Protocol):
    """What :class:`ObserverModelInstanceMixin` calls on its consumer: a generic consumer's methods
    and the mixin's own (which it reaches through ``self``)."""

    handle_instance_change: Any
    subscribed_requests: dict[str, set[Any]]

    def _subscribe(self, request_id: RequestId, groups: Iterable[str]) -> None: ...

    def _unsubscribe(self, request_id: RequestId) -> None: ...

    def _unsubscribe_groups(self, groups: Iterable[str]) -> None: ...

    def _requests_for(self, group: str | None) -> set[Any]: ...

    def _watched_groups(self) -> set[str]: ...

    def _instance_observer(self, model: type[Model]) -> ModelObserver: ...

    def _instance_for_unsubscribe(self, **kwargs: Any) -> Model: ...

    async def _deliver_observed(
        self, action: str, request_ids: Iterable[Any], kwargs: dict[str, Any], hidden: set[Any] | None
    ) -> None: ...

    async def _note_visibility(self, hidden: set[Any], pk: Any, outcome: InstanceOutcome) -> None: ...

    async def _instance_exists(self, pk: Any) -> bool: ...

    async def _observed_outcome(self, pk: Any, action: str) -> InstanceOutcome: ...

    async def _compute_outcome(self, pk: Any, action: str, shared: bool) -> InstanceOutcome: ...

    def _shared_instance_data(self, pk: Any, action: str) -> tuple[Any, bool]: ...

    def _observed_instance_data(self, pk: Any, action: str) -> Any: ...


class ObserverModelInstanceMixin(ObserverConsumerMixin, RetrieveModelMixin):
    """``retrieve``, ``subscribe_instance`` and ``unsubscribe_instance``: live updates of one object.

    Subscribe with ``{"action": "subscribe_instance", "pk": 1, "request_id": 7}``; every committed
    change then arrives as ``{"action": "update", "data": <serializer data>, "request_id": 7, ...}``
    or ``{"action": "delete", "data": {"pk": 1}, "response_status": 204, ...}``.
    """

    # Group names include the handler's module: keep the one they had, so processes running
    # different releases of this package still reach each other's subscribers.
    handle_instance_change: Any = GenericModelObserver(
        _instance_change, name="handle_instance_change", module="djangochannelsrestframework.observer.generics"
    ).groups(_instance_groups)

    def _start_connection(self) -> None:
        super()._start_connection()  # type: ignore[misc]
        self.__dict__.pop("_hidden_instances", None)  # objects an earlier connection could not see

    def _instance_observer(self, model: type[Model]) -> ModelObserver:
        return observer_of(type(self), "handle_instance_change", model)

    @action()
    async def subscribe_instance(self: _InstanceHost, request_id: RequestId = None, **kwargs: Any) -> tuple[None, int]:
        """Subscribe ``request_id`` to changes of the object the message names."""
        if request_id is None:
            raise ValidationError({"request_id": ["This argument is required."]})
        instance = await database_sync_to_async(self.get_object)(**kwargs)
        observer = self._instance_observer(type(instance))
        with subscribing_for(request_id):
            groups = await observer.subscribe(self, instance=instance)
        self._subscribe(request_id, set(groups))
        hidden = self.__dict__.get("_hidden_instances")
        if hidden:
            hidden.discard(json_pk(instance.pk))  # it was just found visible
        return None, status.HTTP_201_CREATED

    @action()
    async def unsubscribe_instance(
        self: _InstanceHost, request_id: RequestId = None, **kwargs: Any
    ) -> tuple[None, int]:
        """Stop ``request_id``'s subscription (or, without one, every subscription to the named object)."""
        if request_id is not None:
            key = request_id_key(request_id)
            known = any(key in ids for ids in self.subscribed_requests.values())
            watched = self._watched_groups()
            self._unsubscribe(request_id)  # a user's override may return anything: the table tells
            left = watched - self._watched_groups()
            observer = type(self).handle_instance_change
            if left and isinstance(observer, ModelObserver):
                with subscribing_for(request_id):
                    await observer.unsubscribe_groups(self, sorted(left))
            if known:
                return None, status.HTTP_204_NO_CONTENT
        instance = await database_sync_to_async(self._instance_for_unsubscribe)(**kwargs)
        observer = self._instance_observer(type(instance))
        groups = observer.group_names_for_consumer(self, instance=instance)
        self._unsubscribe_groups(groups)
        await observer.unsubscribe_groups(self, groups)
        return None, status.HTTP_204_NO_CONTENT

    def _instance_for_unsubscribe(self: _InstanceHost, **kwargs: Any) -> Model:
        lookup_key = self.get_lookup_key()
        model = model_of(type(self))
        if lookup_key in kwargs and self.lookup_field in ("pk", "id") and model is not None:
            # Names the groups without a query, so it works after the object was deleted.
            return model(pk=kwargs[lookup_key])
        return self.get_object(**kwargs)

    async def handle_observed_action(self: _InstanceHost, action: str, group: str | None = None, **kwargs: Any) -> None:
        """Send one event to this socket's subscribers of ``group``, if they may still see it."""
        found = self._requests_for(group)  # a user's override may return any iterable, or None
        request_ids = list(found or ())
        log_instance_delivery(self, action, request_ids)
        hidden: set[Any] | None = self.__dict__.get("_hidden_instances")
        if hidden is None:
            hidden = self.__dict__["_hidden_instances"] = set()
        await self._deliver_observed(action, request_ids, kwargs, hidden)

    async def deliver_observed_action(self, action: str, request_ids: Iterable[Any], **kwargs: Any) -> None:
        """Send one event to ``request_ids`` (keys of the request-id table) if this socket may still see it.

        An object that is gone, or that this socket's permissions or ``get_queryset`` no longer let it
        see, sends nothing: never an error frame for a change (a delete event follows a deletion).
        """
        # Overrides call this through super() from mixins that do not name the whole host.
        await self._deliver_observed(action, request_ids, kwargs, None)  # type: ignore[misc]

    async def _deliver_observed(
        self: _InstanceHost, action: str, request_ids: Iterable[Any], kwargs: dict[str, Any], hidden: set[Any] | None
    ) -> None:
        """:meth:`deliver_observed_action`; with ``hidden`` (the primary keys this socket last found
        it may not see), an object's ``delete`` is not sent after a change took it out of sight."""
        if not request_ids:
            return
        try:
            await self.check_permissions(action, **kwargs)
        except (APIException, DjangoPermissionDenied):
            return
        pk = kwargs.get("pk")
        if action == "delete":
            if hidden is not None and pk in hidden:
                hidden.discard(pk)
                return
            data: Any = {"pk": pk}
            text = encode_payload(data)
            for key in request_ids:
                await self.reply_encoded("delete", data, text, status=204, request_id=request_id_of(key))
            return
        outcome = await self._observed_outcome(pk, action)
        if hidden is not None:
            await self._note_visibility(hidden, pk, outcome)
        if outcome.kind != InstanceOutcome.DATA:
            # Gone (its delete event follows) or no longer visible: nothing to send, never an error.
            return
        for key in request_ids:
            await self.reply_encoded(action, outcome.data, outcome.text, status=200, request_id=request_id_of(key))

    async def _note_visibility(self: _InstanceHost, hidden: set[Any], pk: Any, outcome: InstanceOutcome) -> None:
        """Keep ``hidden`` up to date with what a change showed: an object this socket may not see
        (denied, or filtered out while it still exists) is hidden until a change shows it again."""
        if outcome.kind == InstanceOutcome.DATA:
            hidden.discard(pk)
        elif outcome.kind == InstanceOutcome.DENIED or await self._instance_exists(pk):
            hidden.add(pk)

    async def _instance_exists(self: _InstanceHost, pk: Any) -> bool:
        """Whether the object is still in the table (unfiltered): once per event for every socket of
        the process, and only for an event whose object a subscriber could not read."""
        model: type[Model] | None = getattr(type(self).handle_instance_change, "model_cls", None)
        if model is None:
            return False

        async def exists() -> bool:
            return bool(await database_sync_to_async(model._base_manager.filter(pk=pk).exists)())

        event = current_event.get()
        if event is None:
            return await exists()
        return await shared_result((event, "exists", model), exists)

    async def _observed_outcome(self: _InstanceHost, pk: Any, action: str) -> InstanceOutcome:
        """What this socket's subscribers get for an event: computed here, or shared with the other
        sockets of this class in this process when it cannot depend on the subscriber."""
        event = current_event.get()
        if event is None or overrides(type(self), _SHARED_READER) or not shares_instance_data(self):
            return await self._compute_outcome(pk, action, shared=False)
        # A serializer that read its context (the user, the request) made a per-subscriber result.
        return await shared_result(
            (event, type(self), action),
            lambda: self._compute_outcome(pk, action, shared=True),
            fallback=lambda: self._compute_outcome(pk, action, shared=False),
            usable=lambda outcome: not outcome.context_used,
        )

    async def _compute_outcome(self: _InstanceHost, pk: Any, action: str, shared: bool) -> InstanceOutcome:
        try:
            if shared:
                data, context_used = await database_sync_to_async(self._shared_instance_data)(pk=pk, action=action)
            else:
                data = await database_sync_to_async(self._observed_instance_data)(pk=pk, action=action)
                context_used = True
        except (Http404, ObjectDoesNotExist, NotFound):
            return InstanceOutcome(InstanceOutcome.MISSING)
        except (APIException, DjangoPermissionDenied):
            return InstanceOutcome(InstanceOutcome.DENIED)
        return InstanceOutcome(InstanceOutcome.DATA, data, encode_payload(data), context_used)

    def _shared_instance_data(self: _InstanceHost, pk: Any, action: str) -> tuple[Any, bool]:
        """:meth:`_observed_instance_data` for a class whose defaults make it subscriber-independent;
        the serializer gets a context that is only built (and flagged) if it is read."""
        kwargs = {"pk": pk}
        instance = get_object_or_404(self.get_queryset(**kwargs), pk=pk)
        serializer_class = self.get_serializer_class(action=action, **kwargs)
        context = LazyContext(lambda: self.get_serializer_context(action=action, **kwargs))
        data = serializer_data(serializer_class(instance=instance, context=context))
        context.release()  # the data (through its serializer) is kept for other sockets: not this consumer
        return data, context.used

    def _observed_instance_data(self: _InstanceHost, pk: Any, action: str) -> Any:
        """Read the object through ``get_queryset`` (so per-user filtering applies) and serialize it."""
        kwargs = {"pk": pk}
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        instance = get_object_or_404(queryset, pk=pk)
        self.check_object_permissions(instance, action=action, **kwargs)
        serializer = self.get_serializer(instance=instance, action_kwargs={"action": action, **kwargs})
        return serializer_data(serializer)


#: The reader whose results can be shared, with the defaults of :data:`.sharing.DEFAULT_DATA_PATH`.
_SHARED_READER = Hooks(ObserverModelInstanceMixin, "_observed_instance_data")


__all__ = [
    "ObserverModelInstanceMixin",
]
