"""``ModelObserver``: publish ORM changes of a model to subscribed consumers.

Events are queued per database connection and sent after the transaction commits: several
saves of a row in one transaction become one event with the final state, a create followed
by a delete becomes nothing, and a rolled-back savepoint drops exactly the changes made
inside it.  Loading rows costs nothing extra: no ``post_init`` receiver is connected.
"""

from __future__ import annotations

import copy
import json as json
import threading
import warnings
import weakref
from collections import defaultdict as defaultdict
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from copy import deepcopy as deepcopy
from enum import Enum
from functools import partial as partial
from typing import Any, cast
from typing import Dict as Dict  # noqa: UP035
from typing import List as List  # noqa: UP035
from typing import Optional as Optional
from typing import Set as Set  # noqa: UP035
from typing import Type as Type  # noqa: UP035
from uuid import uuid4

from asgiref.sync import async_to_sync as async_to_sync
from channels.layers import get_channel_layer as get_channel_layer
from django.db import connections
from django.db import transaction as transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.db.models.signals import post_init as post_init
from rest_framework.serializers import BaseSerializer
from rest_framework.serializers import Serializer as Serializer

from .._engine.overrides import Hooks, overrides
from .._engine.serializer_plans import serializer_data
from .base_observer import BaseObserver, listened_groups, logger, nothing_listened, send_to_groups

_OLD_GROUPS_ATTR = "_dcrf_old_groups"
_STATES_ATTR = "_dcrf_observer_states"
_BATCH_ATTR = "_dcrf_observer_batch"


class Action(Enum):
    """What happened to an observed instance."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class UnsupportedWarning(Warning):
    """A configuration whose changes cannot all be observed."""


class ModelObserverInstanceState:
    """What :meth:`ModelObserver.get_observer_state` reports for one instance: ``current_groups``,
    the (hashed) groups its committed state is published to, and ``pending_messages`` (always
    empty: queued events live with the transaction, not with the instance)."""

    def __init__(self, current_groups: set[str] | None = None) -> None:
        self.current_groups: set[str] = current_groups if current_groups is not None else set()
        self.pending_messages: list[dict[str, Any]] = []


class _Scope:
    """The events recorded inside one savepoint context; ``survived`` turns true on commit unless
    that savepoint was rolled back (Django then discards :meth:`mark`)."""

    __slots__ = ("survived",)

    def __init__(self) -> None:
        self.survived = False

    def mark(self) -> None:
        self.survived = True


class _Event:
    __slots__ = ("action", "instance", "scope")

    def __init__(self, scope: _Scope | None, action: Action, instance: Model) -> None:
        self.scope = scope
        self.action = action
        self.instance = instance


class _Row:
    """The queued events of one observed row in one transaction."""

    __slots__ = ("events", "observer", "old_groups")

    def __init__(self, observer: ModelObserver, old_groups: AbstractSet[str] | None) -> None:
        self.observer = observer
        self.old_groups = old_groups
        self.events: list[_Event] = []


class _CommitBatch:
    """Events queued on one connection until its outermost transaction commits."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.rows: dict[tuple[Any, Any], _Row] = {}
        self.scopes: dict[tuple[Any, ...], _Scope] = {}
        self.flush_hook = self.flush

    def scope_for(self, connection: Any) -> _Scope:
        context = tuple(connection.savepoint_ids)
        scope = self.scopes.get(context)
        if scope is None:
            scope = self.scopes[context] = _Scope()
            connection.on_commit(scope.mark)
        return scope

    def flush(self) -> None:
        if getattr(self.connection, _BATCH_ATTR, None) is self:
            setattr(self.connection, _BATCH_ATTR, None)
        if nothing_listened():
            return
        messages: list[dict[str, Any]] = []
        batched: dict[ModelObserver, list[tuple[Any, str]]] = {}
        for (_, pk), row in self.rows.items():
            survivors = [event for event in row.events if event.scope is None or event.scope.survived]
            try:
                if row.observer.batch_changes:
                    change = _net_action(survivors)
                    if change is not None:
                        batched.setdefault(row.observer, []).append((json_pk(pk), change.value))
                    continue
                messages.extend(row.observer._net_messages(row, survivors))
            except Exception:
                logger.exception("Observer %s failed to build its messages", row.observer.handler_name)
        for observer, changes in batched.items():
            messages.extend(observer.batch_messages(changes))
        send_to_groups(messages)


def _hooks_end_with(connection: Any, hook: Callable[[], None]) -> bool:
    """Move ``hook`` to the end of the connection's on-commit list; ``False`` if it is not there."""
    hooks = connection.run_on_commit
    if hooks and hooks[-1][1] is hook:
        return True
    for index in range(len(hooks) - 1, -1, -1):
        if hooks[index][1] is hook:
            entry = hooks.pop(index)
            hooks.append(entry)
            return True
    return False


def _live_batch(connection: Any) -> _CommitBatch | None:
    """The connection's batch if its transaction is still open (a rolled-back one leaves a stale batch)."""
    batch: _CommitBatch | None = getattr(connection, _BATCH_ATTR, None)
    if batch is None or not any(entry[1] is batch.flush_hook for entry in reversed(connection.run_on_commit)):
        return None
    return batch


def _batch_for(connection: Any) -> _CommitBatch:
    batch: _CommitBatch | None = getattr(connection, _BATCH_ATTR, None)
    if batch is None or not _hooks_end_with(connection, batch.flush_hook):
        batch = _CommitBatch(connection)
        setattr(connection, _BATCH_ATTR, batch)
        # Registered outside every savepoint (empty set), so only a full rollback discards it.
        connection.run_on_commit.append((set(), batch.flush_hook, False))
    return batch


class _Dispatch(threading.local):
    """The instance whose signal this thread's :class:`_ModelReceivers` is handing to the model's
    observers, and its snapshot once one of them took it: one copy per change, not per observer."""

    instance: Model | None = None
    snapshot: Model | None = None


_dispatch = _Dispatch()


def _snapshot(instance: Model) -> Model:
    """A copy holding the field values of this moment (later in-memory edits and ``delete()``'s
    clearing of the pk do not reach it)."""
    if _dispatch.instance is not instance:
        return copy.copy(instance)
    snapshot = _dispatch.snapshot
    if snapshot is None:
        snapshot = _dispatch.snapshot = copy.copy(instance)
    return snapshot


class _ModelReceivers:
    """The one receiver per signal that all observers of one model share.

    Django's dispatch costs about as much per connected receiver (a weak method to resolve, a
    keyword call) as an observer's own work when nobody listens; one receiver looping over the
    model's observers pays it once per save instead of once per observer.  Observers are held
    weakly, as Django holds receivers."""

    def __init__(self, model: type[Model]) -> None:
        self.observers: list[weakref.ref[ModelObserver]] = []
        #: Whether every observer added records changes as ModelObserver does (see _unheard).
        self._plain = True
        # Reentrant: a dead observer's callback may run inside add() when it triggers a collection.
        self._lock = threading.RLock()
        pre_save.connect(self.pre_save, sender=model, weak=False)
        post_save.connect(self.post_save, sender=model, weak=False)
        pre_delete.connect(self.pre_delete, sender=model, weak=False)
        post_delete.connect(self.post_delete, sender=model, weak=False)

    def add(self, observer: ModelObserver) -> None:
        with self._lock:
            if not any(ref() is observer for ref in self.observers):
                self.observers = [*self.observers, weakref.ref(observer, self._forget)]
                self._plain = self._plain and _records_as_defined(type(observer))

    def _forget(self, dead: weakref.ref[ModelObserver]) -> None:
        with self._lock:
            self.observers = [ref for ref in self.observers if ref is not dead]
            live = [ref() for ref in self.observers]
            self._plain = all(_records_as_defined(type(o)) for o in live if o is not None)

    def pre_save(self, **kwargs: Any) -> None:
        self._notify("pre_save_receiver", kwargs, records=False)

    def post_save(self, **kwargs: Any) -> None:
        if not self._unheard(kwargs):
            self._notify("post_save_receiver", kwargs)

    def pre_delete(self, **kwargs: Any) -> None:
        self._notify("pre_delete_receiver", kwargs, records=False)

    def post_delete(self, **kwargs: Any) -> None:
        if not self._unheard(kwargs):
            self._notify("post_delete_receiver", kwargs)

    def _unheard(self, kwargs: dict[str, Any]) -> bool:
        """Whether a change reaches nobody and leaves every observer as it was, so none need be
        called: committed already (no transaction), no group of an in-memory layer has a member,
        and no observer keeps anything on the instance (a state it handed out, groups read before)."""
        if not self._plain:
            return False
        kept = getattr(kwargs.get("instance"), "_state", None)
        if kept is None or kept.__dict__.get(_STATES_ATTR) or kept.__dict__.get(_OLD_GROUPS_ATTR):
            return False
        return not connections[kwargs.get("using", "default")].in_atomic_block and nothing_listened()

    def _notify(self, receiver: str, kwargs: dict[str, Any], records: bool = True) -> None:
        """Call the method ``receiver`` of every live observer with the signal's ``kwargs``.  When the
        observers ``records`` the change (post_save, post_delete), they share one snapshot of it."""
        if not records:
            for ref in self.observers:
                observer = ref()
                if observer is not None:
                    getattr(observer, receiver)(**kwargs)
            return
        outer = _dispatch.instance, _dispatch.snapshot
        _dispatch.instance, _dispatch.snapshot = kwargs.get("instance"), None
        try:
            self._notify(receiver, kwargs, records=False)
        finally:
            _dispatch.instance, _dispatch.snapshot = outer


def _records_as_defined(cls: type) -> bool:
    """Whether an observer class records changes with :class:`ModelObserver`'s own methods (a
    subclass overriding one may act on changes nobody listens to)."""
    return not overrides(cls, _RECORDING)


_receivers: dict[type[Model], _ModelReceivers] = {}
_receivers_lock = threading.Lock()


def _receivers_of(model: type[Model]) -> _ModelReceivers:
    with _receivers_lock:
        receivers = _receivers.get(model)
        if receivers is None:
            receivers = _receivers[model] = _ModelReceivers(model)
        return receivers


class ModelObserver(BaseObserver):
    """Calls the decorated consumer method for committed creates, updates and deletes of ``model_cls``."""

    #: The generic observer this one was bound from (see :mod:`.binding`), else ``None``.
    generic_source: object | None = None

    def __init__(
        self,
        func: Callable[..., Any],
        model_cls: type[Model],
        partition: str = "*",
        serializer_class: type[BaseSerializer[Any]] | None = None,
        many_to_many: bool = False,
        *,
        name: str | None = None,
        module: str | None = None,
    ) -> None:
        super().__init__(func=func, partition=partition, name=name, module=module)
        self.id = uuid4()
        self.serializer_class = serializer_class
        self.many_to_many = many_to_many
        #: True when the groups hook names groups from the primary key only, which a save cannot
        #: change: the row's groups before a save are then known without reading it back.
        self.groups_from_pk_only = False
        #: When set, each change's messages carry an ``event`` id, the same for every group; instance
        #: subscriptions use it to read and serialize the object once per event, not per subscriber.
        self.tag_events = False
        #: When set, a commit sends one message per group naming every row it changed (see
        #: :meth:`batch_messages`) instead of one serialized message per row: list subscriptions
        #: evaluate a whole committed batch with one query.
        self.batch_changes = False
        self._model_cls: type[Model] | None = None
        self._model_label: str | None = None
        self._static_groups: frozenset[str] | None = None
        self.model_cls = model_cls

    @property
    def model_cls(self) -> type[Model] | None:
        return self._model_cls

    @model_cls.setter
    def model_cls(self, value: type[Model]) -> None:
        was_unset = self._model_cls is None
        self._model_cls = value
        self._model_label = None
        self._static_groups = None
        if was_unset:
            self._connect()

    @property
    def model_label(self) -> str:
        """``app_label.modelname`` with ``_`` turned into ``.``."""
        label = self._model_label
        if label is None:
            meta = cast(type[Model], self._model_cls)._meta
            label = self._model_label = f"{meta.app_label}.{meta.object_name}".lower().replace("_", ".")
        return label

    def _connect(self) -> None:
        model = self._model_cls
        if model is None:
            return
        _receivers_of(model).add(self)
        if self.many_to_many:
            warnings.warn(
                "Deleting an object related through a many-to-many field sends no m2m_changed signal, "
                "so observers do not see it (Django #17688).",
                UnsupportedWarning,
                stacklevel=3,
            )
            for field in model._meta.many_to_many:
                through = field.remote_field.through
                m2m_changed.connect(
                    self.m2m_changed_receiver, sender=through, dispatch_uid=f"{self.id}-{model.__name__}-{field.name}"
                )

    # -- groups ----------------------------------------------------------------------------------

    @property
    def groups_depend_on_instance(self) -> bool:
        """Whether a custom ``groups_for_signal`` hook makes the groups vary between instances."""
        return self._group_names_for_signal is not None

    def group_names(self, *args: Any, **kwargs: Any) -> list[str]:
        return [f"{self._stable_observer_id}-{self.message_type}-model-{self.model_label}"]

    def _groups_of(self, instance: Model | None) -> set[str]:
        if instance is None:
            return set()
        return set(self._signal_groups(instance))

    def _signal_groups(self, instance: Model | None = None) -> frozenset[str]:
        """The groups a change of ``instance`` is published to, not to be modified: computed once
        when they cannot depend on the instance (no groups hook, default group names)."""
        if self._group_names_for_signal is None:
            static = self._static_groups
            if static is not None:
                return static
            cls = type(self)
            if not overrides(cls, _GROUPS):
                static = self._static_groups = frozenset(self.group_names_for_signal(instance=instance))
                return static
        return frozenset(self.group_names_for_signal(instance=instance))

    # -- per-instance state ----------------------------------------------------------------------

    def get_observer_state(self, instance: Model) -> ModelObserverInstanceState:
        """This observer's view of ``instance``: ``current_groups`` are the groups its last committed
        state is published to (empty for an unsaved or deleted instance).  Computed on first use,
        then kept up to date by this instance's saves and deletes when their transaction commits."""
        states: dict[Any, ModelObserverInstanceState] = instance._state.__dict__.setdefault(_STATES_ATTR, {})
        state = states.get(self.id)
        if state is None:
            groups = self._groups_of(instance) if instance.pk is not None else set()
            state = states[self.id] = ModelObserverInstanceState(groups)
        return state

    def _track_state(self, instance: Model, action: Action, connection: Any) -> None:
        """Move a state :meth:`get_observer_state` handed out to the groups of this change, on commit."""
        states = instance._state.__dict__.get(_STATES_ATTR)
        state = states.get(self.id) if states else None
        if state is None:
            return
        groups = set() if action is Action.DELETE else self._groups_of(instance)

        def update() -> None:
            state.current_groups = groups

        if connection.in_atomic_block:
            connection.on_commit(update)
        else:
            update()

    # -- receivers -------------------------------------------------------------------------------

    def pre_save_receiver(self, instance: Model, using: str = "default", **kwargs: Any) -> None:
        """Remember the groups the row is in before the save, reading it back only when the groups
        depend on the instance and this transaction has not seen the row yet."""
        if not self.groups_depend_on_instance or self.groups_from_pk_only or instance.pk is None:
            return
        connection = connections[using]
        if connection.in_atomic_block:
            batch = _live_batch(connection)
            if batch is not None and (self.id, instance.pk) in batch.rows:
                return
        try:
            model = type(instance)
            previous = model._base_manager.using(using).filter(pk=instance.pk).first()
            old_groups = self._signal_groups(previous) if previous is not None else frozenset()
        except Exception:
            logger.exception("Observer %s could not read the previous state of %r", self.handler_name, instance)
            old_groups = frozenset()
        instance._state.__dict__.setdefault(_OLD_GROUPS_ATTR, {})[self.id] = old_groups

    def pre_delete_receiver(self, instance: Model, using: str = "default", **kwargs: Any) -> None:
        if self.groups_depend_on_instance:
            try:
                groups = self._signal_groups(instance)
            except Exception:
                logger.exception("Observer %s could not name the groups of %r", self.handler_name, instance)
                groups = frozenset()
            instance._state.__dict__.setdefault(_OLD_GROUPS_ATTR, {})[self.id] = groups

    def post_save_receiver(self, instance: Model, created: bool, using: str = "default", **kwargs: Any) -> None:
        self.database_event(instance, Action.CREATE if created else Action.UPDATE, using=using)

    def post_delete_receiver(self, instance: Model, using: str = "default", **kwargs: Any) -> None:
        self.database_event(instance, Action.DELETE, using=using)

    def m2m_changed_receiver(
        self,
        action: str,
        instance: Model,
        reverse: bool,
        model: type[Model],
        pk_set: set[Any] | None,
        using: str = "default",
        **kwargs: Any,
    ) -> None:
        """A many-to-many change is an UPDATE of every observed instance on its forward side."""
        if not reverse:
            if action in ("post_add", "post_remove", "post_clear"):
                self.database_event(instance, Action.UPDATE, using=using)
            return
        if action in ("post_add", "post_remove") and pk_set:
            targets = list(model._base_manager.using(using).filter(pk__in=pk_set))
        elif action == "pre_clear":
            field = next(f for f in model._meta.many_to_many if f.remote_field.through is kwargs.get("sender"))
            targets = list(model._base_manager.using(using).filter(**{field.name: instance}))
            instance._state.__dict__[f"_dcrf_clear_{self.id}"] = targets
            return
        elif action == "post_clear":
            targets = instance._state.__dict__.pop(f"_dcrf_clear_{self.id}", [])
        else:
            return
        for target in targets:
            self.database_event(target, Action.UPDATE, using=using)

    # -- queueing --------------------------------------------------------------------------------

    def database_event(self, instance: Model, action: Action, using: str = "default") -> None:
        """Queue an event until ``using``'s transaction commits (send now outside transactions)."""
        try:
            self._record(instance, action, using)
        except Exception:
            logger.exception("Observer %s failed to record a %s of %r", self.handler_name, action.value, instance)

    def _take_old_groups(self, instance: Model, action: Action) -> AbstractSet[str] | None:
        stash = instance._state.__dict__.get(_OLD_GROUPS_ATTR)
        if stash and self.id in stash:
            taken: AbstractSet[str] = stash.pop(self.id)
            return taken
        if action is Action.CREATE or not self.groups_depend_on_instance or self.groups_from_pk_only:
            return None
        return self._signal_groups(instance)

    def _groups_fixed_by_pk(self, first: Model, last: Model) -> bool:
        """Whether two states of a row are certainly in the same groups."""
        return not self.groups_depend_on_instance or (self.groups_from_pk_only and first.pk == last.pk)

    def _record(self, instance: Model, action: Action, using: str) -> None:
        connection = connections[using]
        self._track_state(instance, action, connection)
        old_groups = self._take_old_groups(instance, action)
        if not connection.in_atomic_block:
            # Committed already, so sent at once (no later edit can reach the instance before it is
            # serialized): when no group of the process has a member, there is nobody to send to.
            if nothing_listened():
                return
            if self.batch_changes:
                send_to_groups(self.batch_messages([(json_pk(instance.pk), action.value)]))
                return
            row = _Row(self, old_groups)
            row.events.append(_Event(None, action, instance))
            send_to_groups(self._net_messages(row, row.events))
            return
        batch = _batch_for(connection)
        scope = batch.scope_for(connection)
        _hooks_end_with(connection, batch.flush_hook)
        key = (self.id, instance.pk)
        pending = batch.rows.get(key)
        if pending is None:
            pending = batch.rows[key] = _Row(self, old_groups)
        pending.events.append(_Event(scope, action, _snapshot(instance)))

    def _net_messages(self, row: _Row, survivors: list[_Event]) -> list[dict[str, Any]]:
        """The messages for a row's net change over the events that survived."""
        if not survivors:
            return []
        first, last = survivors[0], survivors[-1]
        if first.action is Action.CREATE and last.action is Action.DELETE:
            return []
        new: AbstractSet[str] = frozenset() if last.action is Action.DELETE else self._signal_groups(last.instance)
        old: AbstractSet[str]
        if first.action is Action.CREATE:
            old = frozenset()
        elif row.old_groups is not None:
            old = row.old_groups
        elif last.action is not Action.DELETE and self._groups_fixed_by_pk(first.instance, last.instance):
            old = new
        else:
            old = self._signal_groups(first.instance)
        # Groups nobody listens to (known only for an in-process layer) cost no serialization.
        listened = listened_groups(old | new)
        if not listened:
            return []
        return self.generate_messages(last.instance, set(old & listened), set(new & listened))

    def generate_messages(self, instance: Model, old_groups: set[str], new_groups: set[str]) -> list[dict[str, Any]]:
        """Delete messages to groups the instance left, update to those it stayed in, create to new
        ones; each kind is serialized once."""
        messages: list[dict[str, Any]] = []
        for action, groups in (
            (Action.DELETE, old_groups - new_groups),
            (Action.UPDATE, old_groups & new_groups),
            (Action.CREATE, new_groups - old_groups),
        ):
            if not groups:
                continue
            payload = self.serialize(instance, action)
            if self.tag_events:
                payload["event"] = uuid4().hex
            messages.extend({**payload, "group": group} for group in sorted(groups))
        return messages

    def batch_messages(self, changes: list[tuple[Any, str]]) -> list[dict[str, Any]]:
        """One message per listened group for a committed batch: ``body["changes"]`` lists
        ``[pk, "create" | "update" | "delete"]`` per changed row, in the order the rows first
        changed; ``event`` names the batch, the same in every group and process."""
        if not changes:
            return []
        groups = listened_groups(self._signal_groups())
        if not groups:
            return []
        body = {"changes": [[pk, action] for pk, action in changes]}
        payload = {"type": self.message_type, "body": body, "action": "batch", "event": uuid4().hex}
        return [{**payload, "group": group} for group in sorted(groups)]

    def send_prepared_messages(self, messages: list[dict[str, Any]]) -> None:
        """Send built messages to their groups now."""
        send_to_groups(messages)

    # -- serialization ---------------------------------------------------------------------------

    def serialize(self, instance: Model, action: Action, **kwargs: Any) -> dict[str, Any]:
        """The channel message (without group): ``{"type", "body", "action"}``."""
        body: Any
        if self._serializer is not None:
            body = self._serializer(self, instance, action, **kwargs)
            if isinstance(body, BaseSerializer):
                body = body.data
        elif self.serializer_class is not None:
            body = serializer_data(self.serializer_class(instance))
        else:
            body = {"pk": json_pk(instance.pk)}
        return {"type": self.message_type, "body": body, "action": action.value}


#: The methods that record changes; :func:`_records_as_defined` tells whether a class keeps them.
_RECORDING = Hooks(
    ModelObserver, "post_save_receiver", "post_delete_receiver", "database_event", "_record", "_track_state"
)
#: The hooks whose defaults make an observer's groups independent of the instance.
_GROUPS = Hooks(ModelObserver, "group_names", "group_names_for_signal")


def _net_action(survivors: list[_Event]) -> Action | None:
    """What a row's surviving events amount to: created, updated, deleted, or nothing."""
    if not survivors:
        return None
    first, last = survivors[0].action, survivors[-1].action
    if last is Action.DELETE:
        return None if first is Action.CREATE else Action.DELETE
    return Action.CREATE if first is Action.CREATE else Action.UPDATE


def json_pk(pk: Any) -> Any:
    """A primary key as events carry it: JSON scalars as they are, UUIDs and other types as strings."""
    if pk is None or isinstance(pk, (int, float, str, bool)):
        return pk
    return str(pk)


def observed_groups(observer: ModelObserver, instances: Iterable[Model]) -> list[set[str]]:
    """The groups each instance is published to (for debugging and tests)."""
    return [observer._groups_of(instance) for instance in instances]


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "Action",
    "Any",
    "BaseObserver",
    "Dict",
    "Enum",
    "List",
    "Model",
    "ModelObserver",
    "ModelObserverInstanceState",
    "Optional",
    "Serializer",
    "Set",
    "Type",
    "UnsupportedWarning",
    "async_to_sync",
    "deepcopy",
    "defaultdict",
    "get_channel_layer",
    "json",
    "json_pk",
    "m2m_changed",
    "observed_groups",
    "partial",
    "post_delete",
    "post_init",
    "post_save",
    "transaction",
    "uuid4",
    "warnings",
]
