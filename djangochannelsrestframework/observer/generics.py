"""Instance subscriptions: ``ObserverModelInstanceMixin`` adds ``subscribe_instance`` and
``unsubscribe_instance`` to a ``GenericAsyncAPIConsumer``.

Each consumer class gets its own model observer (bound when the class is created, from
``queryset`` or the serializer's model; otherwise at the first subscription).  Every event
re-checks the subscriber's permissions and re-reads the object through the consumer's
``get_queryset``, then replies to each subscribing request id.

When what a subscriber would get cannot depend on who it is (see :func:`_shares_instance_data`),
the object is read, serialized and encoded once per event in a server process and the payload
is reused for every subscribing socket there.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Model
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.generics import get_object_or_404

from .. import codec
from ..consumers import APIConsumerMetaclass
from ..decorators import action
from ..exceptions import NOT_FOUND_MESSAGE
from ..mixins import RetrieveModelMixin
from ..permissions import needs_object_check
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
        observer.groups_from_pk_only = self._group_names_for_signal is _instance_groups or getattr(
            self._group_names_for_signal, "groups_from_pk_only", False
        )
        observer.tag_events = True
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


#: The id of the event an instance-subscription handler is delivering (``None`` outside one).
_current_event: ContextVar[str | None] = ContextVar("dcrf_observed_event", default=None)


async def _instance_change(
    self: Any, message: dict[str, Any], action: str = "", group: Any = None, event: Any = None, **kwargs: Any
) -> None:
    token = _current_event.set(event if isinstance(event, str) else None)
    try:
        await self.handle_observed_action(action=action, group=group, **dict(message))
    finally:
        _current_event.reset(token)


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
        # The nearest class's own observer: a subclass with its parent's model reuses the parent's.
        observer = next(
            (
                cls.__dict__["handle_instance_change"]
                for cls in type(self).__mro__
                if "handle_instance_change" in cls.__dict__
            ),
            None,
        )
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
        await self.deliver_observed_action(action, self._requests_for(group), **kwargs)

    async def deliver_observed_action(
        self, action: str, request_ids: Iterable[Any], missing_is_error: bool = True, **kwargs: Any
    ) -> None:
        """Send one event to ``request_ids`` if this socket may still see it (permissions, queryset).

        An object this socket's ``get_queryset`` no longer contains gets a 404 reply, or nothing when
        ``missing_is_error`` is false."""
        if not request_ids:
            return
        try:
            await self.check_permissions(action, **kwargs)  # type: ignore[attr-defined]
        except (APIException, DjangoPermissionDenied):
            return
        pk = kwargs.get("pk")
        if action == "delete":
            data: Any = {"pk": pk}
            text = _encode(data)
            for request_id in request_ids:
                await self.reply_encoded("delete", data, text, status=204, request_id=request_id)  # type: ignore[attr-defined]
            return
        outcome = await self._observed_outcome(pk, action)
        if outcome.kind == _Outcome.MISSING and missing_is_error:
            for request_id in request_ids:
                await self.reply(action=action, errors=[NOT_FOUND_MESSAGE], status=404, request_id=request_id)  # type: ignore[attr-defined]
            return
        if outcome.kind != _Outcome.DATA:
            return
        for request_id in request_ids:
            await self.reply_encoded(action, outcome.data, outcome.text, status=200, request_id=request_id)  # type: ignore[attr-defined]

    async def _observed_outcome(self, pk: Any, action: str) -> _Outcome:
        """What this socket's subscribers get for an event: computed here, or shared with the other
        sockets of this class in this process when it cannot depend on the subscriber."""
        event = _current_event.get()
        if event is None or not _shares_instance_data(self):
            return await self._compute_outcome(pk, action, shared=False)
        key = (event, type(self), action)
        loop = asyncio.get_running_loop()
        entry = _shared_outcomes.get(key)
        if entry is not None and entry[0] is loop:
            shared: _Outcome | None = await asyncio.shield(entry[1])
            if shared is not None:
                return shared
            return await self._compute_outcome(pk, action, shared=False)
        future: asyncio.Future[_Outcome | None] = loop.create_future()
        _shared_outcomes[key] = (loop, future)
        while len(_shared_outcomes) > _SHARED_OUTCOMES_KEPT:
            _shared_outcomes.popitem(last=False)
        outcome: _Outcome | None = None
        try:
            outcome = await self._compute_outcome(pk, action, shared=True)
            return outcome
        finally:
            # A serializer that read its context (the user, the request) made a per-subscriber result.
            usable = outcome if outcome is not None and not outcome.context_used else None
            if usable is None:
                _shared_outcomes.pop(key, None)
            if not future.done():
                future.set_result(usable)

    async def _compute_outcome(self, pk: Any, action: str, shared: bool) -> _Outcome:
        try:
            if shared:
                data, context_used = await database_sync_to_async(self._shared_instance_data)(pk=pk, action=action)
            else:
                data = await database_sync_to_async(self._observed_instance_data)(pk=pk, action=action)
                context_used = True
        except (Http404, ObjectDoesNotExist, NotFound):
            return _Outcome(_Outcome.MISSING)
        except (APIException, DjangoPermissionDenied):
            return _Outcome(_Outcome.DENIED)
        return _Outcome(_Outcome.DATA, data, _encode(data), context_used)

    def _shared_instance_data(self, pk: Any, action: str) -> tuple[Any, bool]:
        """:meth:`_observed_instance_data` for a class whose defaults make it subscriber-independent;
        the serializer gets a context that is only built (and flagged) if it is read."""
        kwargs = {"pk": pk}
        instance = get_object_or_404(self.get_queryset(**kwargs), pk=pk)  # type: ignore[attr-defined]
        serializer_class = self.get_serializer_class(action=action, **kwargs)  # type: ignore[attr-defined]
        context = _LazyContext(lambda: self.get_serializer_context(action=action, **kwargs))  # type: ignore[attr-defined]
        data = serializer_class(instance=instance, context=context).data
        return data, context.used

    def _observed_instance_data(self, pk: Any, action: str) -> Any:
        """Read the object through ``get_queryset`` (so per-user filtering applies) and serialize it."""
        kwargs = {"pk": pk}
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)  # type: ignore[attr-defined]
        instance = get_object_or_404(queryset, pk=pk)
        self.check_object_permissions(instance, action=action, **kwargs)  # type: ignore[attr-defined]
        serializer = self.get_serializer(instance=instance, action_kwargs={"action": action, **kwargs})  # type: ignore[attr-defined]
        return serializer.data


class _Outcome:
    """What an event means for a socket's subscribers: data (with its JSON), not found, or nothing."""

    DATA, MISSING, DENIED = "data", "missing", "denied"
    __slots__ = ("context_used", "data", "kind", "text")

    def __init__(self, kind: str, data: Any = None, text: str | None = None, context_used: bool = False) -> None:
        self.kind = kind
        self.data = data
        self.text = text
        self.context_used = context_used


#: Recent events' shared outcomes, per (event id, consumer class, action); a handful is plenty,
#: since every socket of a process handles an event within moments of the others.
_shared_outcomes: OrderedDict[tuple[str, type, str], tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = (
    OrderedDict()
)
_SHARED_OUTCOMES_KEPT = 256

#: The defaults that make a subscriber's data independent of who it is.
_DEFAULT_PATH = ("get_queryset", "filter_queryset", "get_object", "get_serializer", "get_serializer_class")
_DEFAULT_PERMISSIONS = ("get_permissions", "check_object_permissions", "acheck_object_permissions")
_shareable_classes: dict[type, bool] = {}


def _shares_instance_data(consumer: Any) -> bool:
    """Whether every socket of this consumer's class gets the same data for an event: the class keeps
    the default queryset, serializer and object-permission path (no filter backends, no permission
    with an object check) and reads the object with the default ``_observed_instance_data``.  The
    serializer's context is checked per event (:class:`_LazyContext`)."""
    cls = type(consumer)
    static = _shareable_classes.get(cls)
    if static is None:
        from ..generics import GenericAsyncAPIConsumer

        static = _shareable_classes[cls] = (
            getattr(cls, "_observed_instance_data", None) is ObserverModelInstanceMixin._observed_instance_data
            and all(getattr(cls, name, None) is getattr(GenericAsyncAPIConsumer, name) for name in _DEFAULT_PATH)
            and all(getattr(cls, name, None) is getattr(GenericAsyncAPIConsumer, name) for name in _DEFAULT_PERMISSIONS)
        )
    if not static or consumer.filter_backends:
        return False
    return not any(needs_object_check(permission) for permission in consumer._default_permissions())


def _encode(data: Any) -> str | None:
    """The JSON text of ``data`` once for every socket; ``None`` leaves encoding (and its errors) to ``reply``."""
    try:
        return codec.dumps(data)
    except (TypeError, ValueError):
        return None


class _LazyContext(dict):  # type: ignore[type-arg]
    """A serializer context built on first read; ``used`` tells whether the serializer read it."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self._build: Callable[[], dict[str, Any]] | None = build
        self.used = False

    def _load(self) -> None:
        self.used = True
        if self._build is not None:
            build, self._build = self._build, None
            super().update(build())

    def __getitem__(self, key: Any) -> Any:
        self._load()
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._load()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._load()
        return super().__contains__(key)

    def __iter__(self) -> Iterator[Any]:
        self._load()
        return super().__iter__()

    def __len__(self) -> int:
        self._load()
        return super().__len__()

    def keys(self) -> Any:
        self._load()
        return super().keys()

    def values(self) -> Any:
        self._load()
        return super().values()

    def items(self) -> Any:
        self._load()
        return super().items()

    def copy(self) -> dict[str, Any]:
        self._load()
        return dict(super().items())

    def __repr__(self) -> str:
        self._load()
        return super().__repr__()
