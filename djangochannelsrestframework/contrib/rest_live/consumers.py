"""``SubscriptionConsumer``: the websocket end of django-rest-live, both of its protocols.

* 0.7 (``{"type": "subscribe" | "unsubscribe", "id": ...}``), for the views of a
  :class:`~.routers.RealtimeRouter` (``router.as_consumer()`` sets :attr:`SubscriptionConsumer.registry`);
* 0.2 (``{"model", "property", "value"}``), for serializers decorated with
  :func:`~.decorators.subscribable`.

Each subscription is a :class:`~djangochannelsrestframework.observer.live.LiveSubscription`, the
live-list engine: evaluated once per cohort and committed batch, events relative to the rows the
subscriber already has.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from channels.db import database_sync_to_async
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist, FieldError, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.http import Http404
from rest_framework.exceptions import APIException, NotAuthenticated, PermissionDenied
from rest_framework.renderers import BaseRenderer

from ... import codec
from ...consumers import AsyncAPIConsumer
from ...observer.base_observer import logger
from ...observer.live import ListFrame, ListOutcome, LiveSubscription, LiveTable, deliver
from ...observer.model_observer import json_pk
from ...observer.sharing import encode_payload
from ...settings import api_settings
from ...types import Message, RequestId, Scope
from . import CREATED, DELETED, UPDATED
from .decorators import Subscribable, registrations
from .engine import changed_pks, observer_for, outcome_of, params_key
from .wire import camelize, encoder, json_renderer

_ACTIONS = {"create": CREATED, "update": UPDATED, "delete": DELETED}


class SubscriptionError(Exception):
    """A subscription request the server refuses: sent as ``{"type": "error", "code", "message"}``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _RealtimeOutcome(ListOutcome):
    """A list outcome that also knows the lookup-field value of each visible row."""

    __slots__ = ("lookups",)

    def __init__(self, outcome: ListOutcome, lookups: dict[Any, Any]) -> None:
        super().__init__(outcome.pks, outcome.rows)
        self.lookups = lookups


class _RealtimeSpec:
    """What a 0.7 subscription asked for, and how its view is built and its rows are found."""

    __slots__ = (
        "action",
        "label",
        "lookup_by",
        "lookup_field",
        "lookups",
        "pk",
        "query_params",
        "renderer",
        "view_cls",
        "view_kwargs",
    )

    def __init__(
        self,
        view_cls: type[Any],
        label: str,
        action: str,
        lookup_by: Any,
        view_kwargs: dict[str, Any],
        query_params: dict[str, Any],
    ) -> None:
        self.view_cls = view_cls
        self.label = label
        self.action = action
        self.lookup_by = lookup_by
        self.view_kwargs = view_kwargs
        self.query_params = query_params
        self.lookup_field: str = view_cls.lookup_field
        #: The lookup value of each row the subscriber has, when it is not the primary key.
        self.lookups: dict[Any, Any] | None = None if self.lookup_field == "pk" else {}
        #: The primary key of the instance a ``retrieve`` follows (``None``: it watches ``lookup_by``).
        self.pk: Any = None
        #: What encodes its broadcasts: the view's JSON renderer (``None``: this package's codec).
        self.renderer: BaseRenderer | None = None

    def took(self, index: int, outcome: ListOutcome) -> None:
        """Remember the lookup values of the rows a batch showed (a later ``DELETED`` names them)."""
        if self.lookups is not None and isinstance(outcome, _RealtimeOutcome):
            self.lookups.update(outcome.lookups)

    def view(self, scope: Scope) -> Any:
        view = self.view_cls.from_scope(self.action, scope, self.view_kwargs, self.query_params)
        if self.action == "retrieve":
            view.kwargs.setdefault(view.lookup_url_kwarg or view.lookup_field, self.lookup_by)
        return view

    def queryset(self, view: Any) -> Any:
        queryset = view.filter_queryset(view.get_queryset())
        if self.action == "retrieve":
            if self.pk is not None:
                return queryset.filter(pk=self.pk)
            queryset = queryset.filter(**{self.lookup_field: self.lookup_by})
        return queryset

    def visible(self, view: Any, instance: Model) -> bool:
        if self.action != "retrieve":
            return True
        try:
            view.check_object_permissions(view.request, instance)
        except (NotAuthenticated, PermissionDenied):
            return False
        return True


def _has_permission(view: Any) -> bool:
    return all(permission.has_permission(view.request, view) for permission in view.get_permissions())


def _legacy_registrations(label: str, prop: str) -> list[Subscribable]:
    """The serializers for subscriptions to ``label`` by ``prop``; ``pk`` and the primary key's
    own name (``id``) name the same key, as clients of django-rest-live's docs used both."""
    found = registrations(label, prop)
    try:
        pk = apps.get_model(label)._meta.pk
    except (LookupError, ValueError):
        return found
    aliases = {"pk", pk.name, pk.attname} if pk is not None else set()
    if prop in aliases:
        for alias in sorted(aliases - {prop}):
            found.extend(registrations(label, alias))
    return found


def _group_key_value(model: type[Model], prop: str, value: Any) -> str:
    """The JSON ``group_key_value`` of a 0.2 subscription's broadcasts: the subscribed ``value`` as
    the model field named by ``prop`` holds it (``"3"`` for an integer key is ``3``), as
    django-rest-live 0.2 sent each row's own value; ``value`` itself when ``prop`` is no field."""
    try:
        field: Any = model._meta.pk if prop == "pk" else model._meta.get_field(prop)
        return codec.dumps(field.to_python(value))
    except (FieldDoesNotExist, DjangoValidationError, AttributeError, TypeError, ValueError):
        return codec.dumps(value)


def _remember_rows(remembered: dict[Any, str], visible: Sequence[Model], data: Sequence[Any]) -> None:
    """Keep the JSON of rows a 0.2 subscription shows, for their ``DELETED`` (a row whose data
    does not encode is left out: its ``DELETED`` names only its key)."""
    for instance, row in zip(visible, data, strict=True):
        text = encode_payload(row)
        if text is not None:
            remembered[json_pk(instance.pk)] = text


def _remember(remembered: list[dict[Any, str]], index: int, outcome: ListOutcome) -> None:
    """Keep the JSON of the rows a 0.2 subscription was just sent, for their ``DELETED``."""
    for pk, (row, text) in outcome.rows.items():
        text = text if text is not None else encode_payload(row)
        if text is not None:
            remembered[index][pk] = text


class SubscriptionConsumer(AsyncAPIConsumer):
    """Serves django-rest-live subscriptions on one socket.

    Route it directly for the 0.2 ``@subscribable`` API, or route ``RealtimeRouter.as_consumer()``
    for the 0.7 views API (which also accepts 0.2 messages)."""

    #: Model label -> realtime view (set by :meth:`.routers.RealtimeRouter.as_consumer`).
    registry: dict[str, type[Any]] = {}
    #: ``False`` closes connections without an authenticated user with code 4003.
    public = True
    #: 0.7: encode broadcasts with the view's renderer, as django-rest-live did (a
    #: ``CamelCaseJSONRenderer`` camelizes them); ``False`` uses this package's JSON codec.
    use_view_renderer = True
    #: 0.7: ``False`` (django-rest-live's behaviour): a ``retrieve`` subscription follows the
    #: instance it found, by primary key, when its lookup value changes (``UPDATED``).  ``True``:
    #: it watches the lookup value, so the instance leaves (``DELETED``) when its value changes
    #: and a row that takes the value enters (``CREATED``).
    retrieve_by_lookup_value = False
    #: 0.2: camelize the keys of broadcast instances, as django-rest-live 0.2 always did;
    #: ``False`` sends the serializer's field names as they are.
    camelize_legacy_instances = True
    #: 0.2: a ``DELETED`` broadcast carries the row as the subscriber last received it, as
    #: django-rest-live 0.2 sent the deleted instance; each subscription keeps the JSON of the rows
    #: it shows for that.  ``False`` keeps nothing and sends ``{"pk": ..., "id": ...}``.
    legacy_deleted_instances = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: 0.7 subscriptions by request id (a repeated id stacks), 0.2 ones by what they name (with
        #: how many times the client asked for each: it unsubscribes as often).
        self.realtime_subscriptions = LiveTable()
        self.legacy_subscriptions = LiveTable()
        self._legacy_counts: dict[str, int] = {}

    # -- connection ------------------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not self.public and not (user is not None and user.is_authenticated):
            await self.close(code=4003)
            return
        await self.accept()

    async def websocket_disconnect(self, message: Message) -> None:
        self.realtime_subscriptions.clear()
        self.legacy_subscriptions.clear()
        self._legacy_counts.clear()
        await super().websocket_disconnect(message)

    def get_cohort_context(self) -> Hashable:
        """What, beside the request, can change what this socket sees: the user (all anonymous
        sockets share one cohort).  Subscriptions with equal requests and contexts are evaluated
        once per change, with the first socket's scope; override when views, permissions or
        serializers read more of the scope than the user (return a constant when nothing does)."""
        user = self.scope.get("user")
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return ("user", user.pk)

    # -- receiving -------------------------------------------------------------------------------

    async def send_error(self, request_id: RequestId, code: int, message: str) -> None:
        """Send ``{"type": "error", "id", "code", "message"}``."""
        await self.send_json({"type": "error", "id": request_id, "code": code, "message": message})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None:
            await self.send_error(None, 400, "Binary frames are not supported; send JSON as a text frame.")
            return
        limit = api_settings.MAX_MESSAGE_SIZE
        if limit is not None and len(text_data) > limit:
            await self.send_error(None, 413, f"Message is too large; the limit is {limit} characters.")
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            await self.send_error(None, 400, "Malformed JSON.")
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Run a 0.7 message (it has a ``type``) or a 0.2 one; errors are sent, the socket stays open."""
        if not isinstance(content, dict):
            await self.send_error(None, 400, "Message must be a JSON object.")
            return
        request_id = content.get("id")
        try:
            if "type" in content:
                await self._realtime_message(request_id, content)
            else:
                await self._legacy_message(content)
        except SubscriptionError as error:
            await self.send_error(request_id, error.code, error.message)
        except APIException as exc:
            await self.send_error(request_id, exc.status_code, str(exc.detail))
        except Exception:
            logger.exception("rest-live subscription request failed: %r", content)
            await self.send_error(request_id, 500, "Server error.")

    # -- 0.7 -------------------------------------------------------------------------------------

    async def _realtime_message(self, request_id: RequestId, content: dict[str, Any]) -> None:
        if request_id is None:
            raise SubscriptionError(400, "No `id` specified.")
        message_type = content.get("type")
        if message_type == "subscribe":
            await self._realtime_subscribe(request_id, content)
        elif message_type == "unsubscribe":
            subscriptions = self.realtime_subscriptions.pop(codec.dumps(request_id))
            if subscriptions is None:
                raise SubscriptionError(404, "Attempted to unsubscribe for request ID before subscribing.")
            await self._leave_unused(group for subscription in subscriptions for group in subscription.groups)
        else:
            raise SubscriptionError(400, f"unknown message type `{message_type}`.")

    async def _realtime_subscribe(self, request_id: RequestId, content: dict[str, Any]) -> None:
        label = content.get("model")
        if label is None:
            raise SubscriptionError(400, "No model specified.")
        view_cls = self.registry.get(label) if isinstance(label, str) else None
        if view_cls is None:
            raise SubscriptionError(404, f"Model {label} not registered for realtime updates.")
        action = content.get("action")
        if action not in ("list", "retrieve"):
            raise SubscriptionError(400, "`action` must be present and the value must be either `list` or `retrieve`.")
        view_kwargs = content.get("view_kwargs") or {}
        query_params = content.get("query_params") or {}
        for name, value in (("view_kwargs", view_kwargs), ("query_params", query_params)):
            if not isinstance(value, dict):
                raise SubscriptionError(400, f"`{name}` must be an object.")
        spec = _RealtimeSpec(view_cls, label, action, content.get("lookup_by"), view_kwargs, query_params)
        group = observer_for(view_cls().get_model_class()).group_names_for_consumer(self)[0]
        await self.add_group(group)
        try:
            known = await database_sync_to_async(self._realtime_start)(spec)
        except BaseException:
            await self._leave_unused([group])
            raise
        cohort = (
            type(self),
            label,
            action,
            params_key(spec.lookup_by, spec.pk, view_kwargs, query_params),
            type(spec.renderer),
            self.get_cohort_context(),
        )
        subscription = LiveSubscription(
            self,
            cohort,
            [group],
            database_sync_to_async(functools.partial(self._realtime_evaluate, spec)),
            functools.partial(self._realtime_send, request_id, spec),
            None if spec.lookups is None else spec.took,
        )
        subscription.start([known])
        self.realtime_subscriptions.add(codec.dumps(request_id), subscription)

    def _realtime_start(self, spec: _RealtimeSpec) -> frozenset[Any]:
        """Check the subscription as django-rest-live does; return the rows it starts with."""
        view = spec.view(self.scope)
        if self.use_view_renderer:
            spec.renderer = json_renderer(view)
        allowed = _has_permission(view)
        if spec.action == "retrieve":
            try:
                instance = view.get_object()
            except (Http404, ObjectDoesNotExist):
                raise SubscriptionError(404, "Instance not found. Make sure 'lookup_by' is set to a valid ID") from None
            except (NotAuthenticated, PermissionDenied):
                allowed = False
            if allowed:
                if not self.retrieve_by_lookup_value:
                    spec.pk = instance.pk
                if spec.lookups is not None:
                    spec.lookups[json_pk(instance.pk)] = getattr(instance, spec.lookup_field)
                return frozenset([json_pk(instance.pk)])
        if not allowed:
            raise SubscriptionError(403, f"Unauthorized to subscribe to {spec.label} for action {spec.action}")
        queryset = spec.queryset(view)
        if spec.lookups is None:
            return frozenset(json_pk(pk) for pk in queryset.values_list("pk", flat=True))
        rows = {json_pk(pk): value for pk, value in queryset.values_list("pk", spec.lookup_field)}
        spec.lookups.update(rows)
        return frozenset(rows)

    def _realtime_evaluate(self, spec: _RealtimeSpec, pks: list[Any]) -> list[ListOutcome]:
        """Which of ``pks`` the cohort sees now, serialized by the view's serializer: one query."""
        view = spec.view(self.scope)
        if not _has_permission(view):
            return [_RealtimeOutcome(ListOutcome(pks, {}), {})]
        visible = [i for i in spec.queryset(view).filter(pk__in=pks) if spec.visible(view, i)]
        data = view.get_serializer(visible, many=True).data if visible else []
        lookups = {} if spec.lookups is None else {json_pk(i.pk): getattr(i, spec.lookup_field) for i in visible}
        return [_RealtimeOutcome(outcome_of(pks, visible, data, encoder(spec.renderer)), lookups)]

    async def _realtime_send(
        self, request_id: RequestId, spec: _RealtimeSpec, index: int, frames: list[ListFrame]
    ) -> None:
        for frame in frames:
            if frame.action == "delete":
                pk = frame.data["pk"]
                lookup = pk if spec.lookups is None else spec.lookups.pop(pk, pk)
                text = encoder(spec.renderer)({spec.lookup_field: lookup, "id": pk})
            else:
                text = frame.text if frame.text is not None else encoder(spec.renderer)(frame.data)
            await self.send(
                text_data=f'{{"type":"broadcast","id":{codec.dumps(request_id)},"model":{codec.dumps(spec.label)},'
                f'"action":"{_ACTIONS[frame.action]}","instance":{text}}}'
            )

    # -- 0.2 -------------------------------------------------------------------------------------

    async def _legacy_message(self, content: dict[str, Any]) -> None:
        label = content.get("model")
        if label is None:
            raise SubscriptionError(400, "No model specified.")
        prop = content.get("property")
        value = content.get("value")
        if not isinstance(prop, str) or value is None:
            raise SubscriptionError(400, "`property` and `value` must be present.")
        entries = _legacy_registrations(label, prop) if isinstance(label, str) else []
        if not entries:
            raise SubscriptionError(404, f"Model {label} has no subscribable serializer for `{prop}`.")
        key = params_key(label, prop, value)
        count = self._legacy_counts.get(key, 0)
        if content.get("unsubscribe", False):
            if not count:
                raise SubscriptionError(404, f"Not subscribed to {label} with {prop}={value}.")
            if count > 1:
                self._legacy_counts[key] = count - 1
            else:
                del self._legacy_counts[key]
                left = self.legacy_subscriptions.pop(key) or []
                await self._leave_unused(group for subscription in left for group in subscription.groups)
            return
        if count:
            self._legacy_counts[key] = count + 1
            return
        model = apps.get_model(label)
        group = observer_for(model).group_names_for_consumer(self)[0]
        await self.add_group(group)
        user = self.scope.get("user") or AnonymousUser()
        try:
            known, remembered = await database_sync_to_async(self._legacy_start)(model, prop, value, entries, user)
        except BaseException:
            await self._leave_unused([group])
            raise
        subscription = LiveSubscription(
            self,
            (type(self), "0.2", key, self.get_cohort_context()),
            [group],
            database_sync_to_async(functools.partial(self._legacy_evaluate, model, prop, value, entries, user)),
            functools.partial(self._legacy_send, label, _group_key_value(model, prop, value), remembered),
            None if remembered is None else functools.partial(_remember, remembered),
        )
        subscription.start(known)
        self.legacy_subscriptions.add(key, subscription)
        self._legacy_counts[key] = 1

    @staticmethod
    def _legacy_rows(model: type[Model], prop: str, value: Any, pks: list[Any] | None) -> list[Model]:
        try:
            queryset = model._default_manager.filter(**{prop: value})
            return list(queryset if pks is None else queryset.filter(pk__in=pks))
        except (FieldError, ValueError, TypeError, DjangoValidationError):
            raise SubscriptionError(400, f"Cannot filter {model._meta.label} by {prop}={value!r}.") from None

    @staticmethod
    def _legacy_visible(entry: Subscribable, user: Any, rows: list[Model]) -> list[Model]:
        return [i for i in rows if entry.check_permission is None or entry.check_permission(user, i)]

    def _legacy_data(self, entry: Subscribable, visible: list[Model]) -> Any:
        data: Any = entry.serializer_class(visible, many=True).data if visible else []
        return camelize(data) if self.camelize_legacy_instances else data

    def _legacy_start(
        self, model: type[Model], prop: str, value: Any, entries: list[Subscribable], user: Any
    ) -> tuple[list[frozenset[Any]], list[dict[Any, str]] | None]:
        """The rows of the group each serializer shows this user now, and (with
        :attr:`legacy_deleted_instances`) their JSON, for a later ``DELETED``."""
        rows = self._legacy_rows(model, prop, value, None)
        known: list[frozenset[Any]] = []
        remembered: list[dict[Any, str]] = []
        for entry in entries:
            visible = self._legacy_visible(entry, user, rows)
            known.append(frozenset(json_pk(i.pk) for i in visible))
            if self.legacy_deleted_instances:
                remembered.append({})
                _remember_rows(remembered[-1], visible, self._legacy_data(entry, visible))
        return known, (remembered if self.legacy_deleted_instances else None)

    def _legacy_evaluate(
        self, model: type[Model], prop: str, value: Any, entries: list[Subscribable], user: Any, pks: list[Any]
    ) -> list[ListOutcome]:
        """One query for the changed rows of the group; per serializer, the rows its check shows."""
        rows = self._legacy_rows(model, prop, value, pks)
        outcomes = []
        for entry in entries:
            visible = self._legacy_visible(entry, user, rows)
            outcomes.append(outcome_of(pks, visible, self._legacy_data(entry, visible)))
        return outcomes

    async def _legacy_send(
        self,
        label: str,
        group_key_value: str,
        remembered: list[dict[Any, str]] | None,
        index: int,
        frames: list[ListFrame],
    ) -> None:
        for frame in frames:
            if frame.action == "delete":
                pk = frame.data["pk"]
                last = None if remembered is None else remembered[index].pop(pk, None)
                text = last if last is not None else codec.dumps({"pk": pk, "id": pk})
            else:
                text = frame.text if frame.text is not None else codec.dumps(frame.data)
            await self.send(
                text_data=f'{{"model":{codec.dumps(label)},"instance":{text},"action":"{_ACTIONS[frame.action]}",'
                f'"group_key_value":{group_key_value}}}'
            )

    # -- delivery --------------------------------------------------------------------------------

    async def rest_live_changes(self, message: Message) -> None:
        """A committed batch of one observed model: send each subscription its events."""
        group = message.get("group")
        if group is None:
            return
        subscriptions = self.realtime_subscriptions.watching(group) + self.legacy_subscriptions.watching(group)
        if subscriptions:
            await deliver(subscriptions, changed_pks(message), message.get("event"))

    async def _leave_unused(self, groups: Iterable[str]) -> None:
        """Leave those of ``groups`` that no subscription of this socket listens to now."""
        still_used = self.realtime_subscriptions.groups() | self.legacy_subscriptions.groups()
        for group in dict.fromkeys(groups):
            if group not in still_used:
                await self.remove_group(group)


__all__ = [
    "SubscriptionConsumer",
    "SubscriptionError",
]
