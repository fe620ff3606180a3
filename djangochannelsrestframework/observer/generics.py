"""Instance subscriptions: ``ObserverModelInstanceMixin`` adds ``subscribe_instance`` and
``unsubscribe_instance`` to a ``GenericAsyncAPIConsumer``.

Each consumer class gets its own model observer (bound when the class is created, from
``queryset`` or the serializer's model; otherwise at the first subscription).  Every event
re-checks the subscriber's permissions and re-reads the object through the consumer's
``get_queryset`` once per consumer, then replies to each subscribing request id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Model
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.generics import get_object_or_404

from ..consumers import APIConsumerMetaclass
from ..decorators import action
from ..exceptions import NOT_FOUND_MESSAGE
from ..mixins import RetrieveModelMixin
from .model_observer import ModelObserver


class _GenericModelObserver:
    """A model observer waiting for its model: each consumer class binds it to its own model."""

    def __init__(self, func: Callable[..., Any], **kwargs: Any) -> None:
        self.func = func
        self._group_names_for_signal: Callable[..., Iterable[str]] | None = None
        self._group_names_for_consumer: Callable[..., Iterable[str]] | None = None
        self._serializer: Callable[..., Any] | None = None

    def groups(self, func: Callable[..., Iterable[str]]) -> _GenericModelObserver:
        self._group_names_for_signal = func
        self._group_names_for_consumer = func
        return self

    def groups_for_signal(self, func: Callable[..., Iterable[str]]) -> _GenericModelObserver:
        self._group_names_for_signal = func
        return self

    def groups_for_consumer(self, func: Callable[..., Iterable[str]]) -> _GenericModelObserver:
        self._group_names_for_consumer = func
        return self

    def serializer(self, func: Callable[..., Any]) -> _GenericModelObserver:
        self._serializer = func
        return self

    def bind_to_model(self, model_cls: type[Model], name: str, many_to_many: bool = False) -> ModelObserver:
        """A :class:`ModelObserver` of ``model_cls`` with this placeholder's hooks, partitioned by ``name``."""
        observer = ModelObserver(func=self.func, model_cls=model_cls, partition=name, many_to_many=many_to_many)
        observer._group_names_for_signal = self._group_names_for_signal
        observer._group_names_for_consumer = self._group_names_for_consumer
        observer._serializer = self._serializer
        observer._generic_source = self  # type: ignore[attr-defined]
        return observer


def _model_of(cls: type) -> type[Model] | None:
    """The model a consumer class works on: its queryset's, else its serializer's ``Meta.model``."""
    queryset = getattr(cls, "queryset", None)
    model = getattr(queryset, "model", None)
    if model is None:
        meta = getattr(getattr(cls, "serializer_class", None), "Meta", None)
        model = getattr(meta, "model", None)
    return model if isinstance(model, type) and issubclass(model, Model) else None


def _bind_generic_observers(cls: type, model: type[Model] | None = None) -> None:
    """Give ``cls`` a bound observer for every generic one it has, unless its parent's fits."""
    model = model or _model_of(cls)
    if model is None:
        return
    many_to_many = bool(getattr(cls, "observer_many_to_many_relationships", False))
    for attr in dir(cls):
        if attr.startswith("__"):
            continue
        member = cls.__dict__.get(attr, None)
        if member is None:
            member = next((base.__dict__[attr] for base in cls.__mro__ if attr in base.__dict__), None)
        if isinstance(member, _GenericModelObserver):
            generic = member
        elif isinstance(member, ModelObserver) and hasattr(member, "_generic_source"):
            if member.model_cls is model:
                continue
            generic = member._generic_source
        else:
            continue
        setattr(cls, attr, generic.bind_to_model(model, f"{cls.__module__}.{cls.__name__}.{attr}", many_to_many))


class ObserverAPIConsumerMetaclass(APIConsumerMetaclass):
    """Binds generic model observers to the class's model (kept for DCRF compatibility; the mixins
    below do the same through ``__init_subclass__``)."""

    def __init__(cls, name: str, bases: tuple[type, ...], body: dict[str, Any]) -> None:
        super().__init__(name, bases, body)
        _bind_generic_observers(cls)


class ObserverConsumerMixin:
    """Request-id bookkeeping for consumers with generic observers."""

    observer_many_to_many_relationships = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _bind_generic_observers(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subscribed_requests: dict[str, set[Any]] = {}

    def _subscribe(self, request_id: Any, groups: Iterable[str]) -> None:
        for group in groups:
            self.subscribed_requests.setdefault(group, set()).add(request_id)

    def _unsubscribe(self, request_id: Any) -> list[str]:
        """Forget ``request_id``; returns the groups nobody on this socket watches any more."""
        emptied = []
        for group, request_ids in list(self.subscribed_requests.items()):
            request_ids.discard(request_id)
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


async def _instance_change(
    self: Any, message: dict[str, Any], action: str = "", group: Any = None, **kwargs: Any
) -> None:
    await self.handle_observed_action(action=action, group=group, **dict(message))


def _instance_groups(self: Any, instance: Model, *args: Any, **kwargs: Any) -> Iterable[str]:
    yield f"{self.message_type}-model-{self.model_label}-pk-{instance.pk}"


_instance_change.__name__ = "handle_instance_change"
_instance_change.__qualname__ = "handle_instance_change"


class ObserverModelInstanceMixin(ObserverConsumerMixin, RetrieveModelMixin):
    """``retrieve``, ``subscribe_instance`` and ``unsubscribe_instance``: live updates of one object.

    Subscribe with ``{"action": "subscribe_instance", "pk": 1, "request_id": 7}``; every committed
    change then arrives as ``{"action": "update", "data": <serializer data>, "request_id": 7, ...}``
    or ``{"action": "delete", "data": {"pk": 1}, "response_status": 204, ...}``.
    """

    handle_instance_change: Any = _GenericModelObserver(_instance_change).groups(_instance_groups)

    def _instance_observer(self, model: type[Model]) -> ModelObserver:
        observer = type(self).__dict__.get("handle_instance_change")
        if not isinstance(observer, ModelObserver) or observer.model_cls is not model:
            _bind_generic_observers(type(self), model)
            observer = type(self).__dict__["handle_instance_change"]
        return observer

    @action()
    async def subscribe_instance(self, request_id: Any = None, **kwargs: Any) -> tuple[None, int]:
        """Subscribe ``request_id`` to changes of the object the message names."""
        if request_id is None:
            raise ValidationError({"request_id": ["This argument is required."]})
        instance = await database_sync_to_async(self.get_object)(**kwargs)  # type: ignore[attr-defined]
        observer = self._instance_observer(type(instance))
        groups = await observer.subscribe(self, instance=instance)
        self._subscribe(request_id, groups)
        return None, status.HTTP_201_CREATED

    @action()
    async def unsubscribe_instance(self, request_id: Any = None, **kwargs: Any) -> tuple[None, int]:
        """Stop ``request_id``'s subscription (or, without one, every subscription to the named object)."""
        if request_id is not None and any(request_id in ids for ids in self.subscribed_requests.values()):
            emptied = self._unsubscribe(request_id)
            observer = type(self).handle_instance_change
            if isinstance(observer, ModelObserver):
                await observer.unsubscribe_groups(self, emptied)
            return None, status.HTTP_204_NO_CONTENT
        instance = await database_sync_to_async(self._instance_for_unsubscribe)(**kwargs)
        observer = self._instance_observer(type(instance))
        groups = observer.group_names_for_consumer(self, instance=instance)
        self._unsubscribe_groups(groups)
        await observer.unsubscribe_groups(self, groups)
        return None, status.HTTP_204_NO_CONTENT

    def _instance_for_unsubscribe(self, **kwargs: Any) -> Model:
        lookup_key = self.get_lookup_key()  # type: ignore[attr-defined]
        model = _model_of(type(self))
        if lookup_key in kwargs and self.lookup_field in ("pk", "id") and model is not None:  # type: ignore[attr-defined]
            # Names the groups without a query, so it works after the object was deleted.
            return model(pk=kwargs[lookup_key])
        return self.get_object(**kwargs)  # type: ignore[attr-defined, no-any-return]

    async def handle_observed_action(self, action: str, group: str | None = None, **kwargs: Any) -> None:
        """Send one event to this socket's subscribers of ``group``, if they may still see it."""
        request_ids = self._requests_for(group)
        if not request_ids:
            return
        try:
            await self.check_permissions(action, **kwargs)  # type: ignore[attr-defined]
        except (APIException, DjangoPermissionDenied):
            return
        pk = kwargs.get("pk")
        if action == "delete":
            for request_id in request_ids:
                await self.reply(action="delete", data={"pk": pk}, status=204, request_id=request_id)  # type: ignore[attr-defined]
            return
        try:
            data = await database_sync_to_async(self._observed_instance_data)(pk=pk, action=action)
        except (Http404, ObjectDoesNotExist, NotFound):
            for request_id in request_ids:
                await self.reply(action=action, errors=[NOT_FOUND_MESSAGE], status=404, request_id=request_id)  # type: ignore[attr-defined]
            return
        except (APIException, DjangoPermissionDenied):
            return
        for request_id in request_ids:
            await self.reply(action=action, data=data, status=200, request_id=request_id)  # type: ignore[attr-defined]

    def _observed_instance_data(self, pk: Any, action: str) -> Any:
        """Read the object through ``get_queryset`` (so per-user filtering applies) and serialize it."""
        kwargs = {"pk": pk}
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)  # type: ignore[attr-defined]
        instance = get_object_or_404(queryset, pk=pk)
        self.check_object_permissions(instance, action=action, **kwargs)  # type: ignore[attr-defined]
        serializer = self.get_serializer(instance=instance, action_kwargs={"action": action, **kwargs})  # type: ignore[attr-defined]
        return serializer.data
