"""Binding generic observers to models: each consumer class gets its own :class:`ModelObserver` of
its model (from ``queryset`` or the serializer's ``Meta.model``), made when the class is created,
or at the first subscription when the model is only known then.

Group names come from the class's module and name, not from the class object, so that every process
names them alike.  Two live classes with the same module and name (a class defined in a function
that runs twice, a module reloaded, two tests with a local ``TestConsumer``) therefore share their
groups: they share their observer too, or every change would be published to those groups once per
class and each subscriber would get it twice.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model

from ..consumers import APIConsumerMetaclass
from .model_observer import ModelObserver


class GenericModelObserver:
    """A model observer waiting for its model: each consumer class binds it to its own model."""

    def __init__(
        self,
        func: Callable[..., Any],
        batch_changes: bool = False,
        *,
        name: str | None = None,
        module: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.func = func
        self.batch_changes = batch_changes
        #: The consumer attribute the bound observers are, and the module their group names say
        #: (``func``'s own unless given): see :class:`.base_observer.BaseObserver`.
        self.name = name
        self.module = module
        self._group_names_for_signal: Callable[..., Iterable[str]] | None = None
        self._group_names_for_consumer: Callable[..., Iterable[str]] | None = None
        self._serializer: Callable[..., Any] | None = None

    def groups(self, func: Callable[..., Iterable[str]]) -> GenericModelObserver:
        self._group_names_for_signal = func
        self._group_names_for_consumer = func
        return self

    def groups_for_signal(self, func: Callable[..., Iterable[str]]) -> GenericModelObserver:
        self._group_names_for_signal = func
        return self

    def groups_for_consumer(self, func: Callable[..., Iterable[str]]) -> GenericModelObserver:
        self._group_names_for_consumer = func
        return self

    def serializer(self, func: Callable[..., Any]) -> GenericModelObserver:
        self._serializer = func
        return self

    def bind_to_model(self, model_cls: type[Model], name: str, many_to_many: bool = False) -> ModelObserver:
        """A :class:`ModelObserver` of ``model_cls`` with this placeholder's hooks, partitioned by
        ``name``: the live one bound with the same arguments, else a new one."""
        key = (self, model_cls, name, many_to_many)
        with _bound_lock:
            observer = _bound.get(key)
            if observer is None:
                observer = _bound[key] = self._new_observer(model_cls, name, many_to_many)
        return observer

    def _new_observer(self, model_cls: type[Model], name: str, many_to_many: bool) -> ModelObserver:
        observer = ModelObserver(
            func=self.func,
            model_cls=model_cls,
            partition=name,
            many_to_many=many_to_many,
            name=self.name,
            module=self.module,
        )
        # Through the observer's own hooks (DCRF's decorators), as a user's observer gets them.
        if self._group_names_for_signal is not None:
            observer.groups_for_signal(self._group_names_for_signal)
        if self._group_names_for_consumer is not None:
            observer.groups_for_consumer(self._group_names_for_consumer)
        if self._serializer is not None:
            observer.serializer(self._serializer)
        observer.groups_from_pk_only = bool(getattr(self._group_names_for_signal, "groups_from_pk_only", False))
        observer.tag_events = True
        observer.batch_changes = self.batch_changes
        observer.generic_source = self
        return observer


#: The live observers :meth:`GenericModelObserver.bind_to_model` made, by its arguments.
_bound: weakref.WeakValueDictionary[tuple[GenericModelObserver, type[Model], str, bool], ModelObserver] = (
    weakref.WeakValueDictionary()
)
_bound_lock = threading.Lock()


def model_of(cls: type) -> type[Model] | None:
    """The model a consumer class works on: its queryset's, else its serializer's ``Meta.model``."""
    queryset = getattr(cls, "queryset", None)
    model = getattr(queryset, "model", None)
    if model is None:
        meta = getattr(getattr(cls, "serializer_class", None), "Meta", None)
        model = getattr(meta, "model", None)
    return model if isinstance(model, type) and issubclass(model, Model) else None


def bind_generic_observers(cls: type, model: type[Model] | None = None) -> None:
    """Give ``cls`` a bound observer for every generic one it has, unless its parent's fits."""
    model = model or model_of(cls)
    if model is None:
        return
    many_to_many = bool(getattr(cls, "observer_many_to_many_relationships", False))
    for attr in dir(cls):
        if attr.startswith("__"):
            continue
        member = cls.__dict__.get(attr, None)
        if member is None:
            member = next((base.__dict__[attr] for base in cls.__mro__ if attr in base.__dict__), None)
        if isinstance(member, GenericModelObserver):
            generic = member
        elif isinstance(member, ModelObserver) and isinstance(member.generic_source, GenericModelObserver):
            if member.model_cls is model:
                continue
            generic = member.generic_source
        else:
            continue
        setattr(cls, attr, generic.bind_to_model(model, f"{cls.__module__}.{cls.__name__}.{attr}", many_to_many))


class BindsGenericObservers:
    """Consumer mixins with generic observers inherit this: each subclass binds them to its model
    when it is made (every binding goes through :func:`bind_generic_observers`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        bind_generic_observers(cls)


def observer_of(cls: type, attr: str, model: type[Model]) -> ModelObserver:
    """The observer ``cls`` uses as ``attr`` for ``model``: the nearest class's own (a subclass with
    its parent's model reuses the parent's), bound now when the model is only known at subscription."""
    observer = next((base.__dict__[attr] for base in cls.__mro__ if attr in base.__dict__), None)
    if not isinstance(observer, ModelObserver) or observer.model_cls is not model:
        bind_generic_observers(cls, model)
        observer = cls.__dict__[attr]
    return observer


#: Observers bound for code that keeps no consumer class attribute (see :func:`shared_observer`).
_shared: dict[tuple[GenericModelObserver, type[Model], str], ModelObserver] = {}


def shared_observer(generic: GenericModelObserver, model: type[Model], partition: str) -> ModelObserver:
    """``generic`` bound to ``model`` once per process and kept alive (model signals hold
    observers weakly): for subscriptions that are not consumer attributes (rest-live's)."""
    key = (generic, model, partition)
    observer = _shared.get(key)
    if observer is None:
        observer = _shared[key] = generic.bind_to_model(model, partition)
    return observer


class ObserverAPIConsumerMetaclass(APIConsumerMetaclass):
    """Binds generic model observers to the class's model (kept for DCRF compatibility; the mixins
    below do the same through ``__init_subclass__``)."""

    def __init__(cls, name: str, bases: tuple[type, ...], body: dict[str, Any]) -> None:
        super().__init__(name, bases, body)
        bind_generic_observers(cls)


__all__ = [
    "BindsGenericObservers",
    "GenericModelObserver",
    "ObserverAPIConsumerMetaclass",
    "bind_generic_observers",
    "model_of",
    "observer_of",
    "shared_observer",
]
