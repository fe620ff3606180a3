"""channels-api's ``ResourceBinding``: a model's create/retrieve/update/list/delete/subscribe as one class.

::

    class QuestionBinding(ResourceBinding):
        model = Question
        stream = "questions"
        serializer_class = QuestionSerializer
        queryset = Question.objects.all()

A binding is a generic consumer (:class:`~djangochannelsrestframework.generics.GenericAsyncAPIConsumer`),
so everything a consumer offers applies; the actions keep channels-api's messages and replies:
``delete`` answers ``{}`` with 200, a missing object ``["Not found."]`` with 404, ``list``
returns one page (``data: {"page": n}``) of ``CHANNELS_API["DEFAULT_PAGE_SIZE"]`` objects, a
denied action 401 ``["Permission Denied"]``, an unknown one 400 ``["Invalid Action"]``, and a
subscription event is ``{"action", "pk", "data", "model"}``.  ``CHANNELS_API["ERROR_REPLIES"]`` and
``CHANNELS_API["SUBSCRIPTION_EVENTS"]`` (or the binding's ``error_replies`` / ``subscription_events``)
set to ``"standard"`` answer as this package's consumers do instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import InvalidPage, Paginator
from django.db.models import Model
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed, NotFound, PermissionDenied, ValidationError

from ...decorators import action
from ...generics import GenericAsyncAPIConsumer
from ...observer.sharing import current_event
from ...observer.subscribe import SubscribeModelMixin
from ...permissions import instantiate_permission
from ...types import GenericHost, RequestId
from .permissions import AllowAny, BasePermission, message_pk
from .settings import CHANNELS_API_STYLE, STANDARD_STYLE, channels_api_setting, import_class


class PermissionDeniedReply(PermissionDenied):
    """channels-api's answer to a denied action: 401 ``["Permission Denied"]``."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Permission Denied"
    default_code = "permission_denied"


class InvalidAction(MethodNotAllowed):
    """channels-api's answer to an action the binding does not have: 400 ``["Invalid Action"]``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid Action"
    default_code = "invalid_action"

    def __init__(self) -> None:
        super().__init__(method="", detail=self.default_detail)


#: The pk of the subscription event being delivered (unset outside an event's delivery).
_event_pk: contextvars.ContextVar[Any] = contextvars.ContextVar("channels_api_event_pk")
_NO_EVENT = object()


#: Hooks channels-api's bindings overrode with fewer parameters than this package passes them
#: (``get_queryset(self)``, ``filter_queryset(self, queryset)``, ...).
_NARROW_HOOKS = ("get_queryset", "filter_queryset", "get_serializer_class", "get_serializer_context")


def _tolerant(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, called with only the keywords its signature names when it takes no ``**kwargs``."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return func
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return func
    names = {
        parameter.name
        for parameter in parameters
        if parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }

    def narrowed(self: Any, *args: Any, **kwargs: Any) -> Any:
        return func(self, *args, **{key: value for key, value in kwargs.items() if key in names})

    functools.update_wrapper(narrowed, func, updated=())
    # Callers read the hook's own (keyword-taking) signature, not the narrow one it forwards to.
    del narrowed.__wrapped__  # type: ignore[attr-defined]
    return narrowed


class _ASGIApplication:
    """``Binding.consumer``: the binding as an ASGI application, as channels-api's demultiplexer wanted it."""

    def __get__(self, instance: Any, owner: type[GenericAsyncAPIConsumer]) -> Any:
        return owner.as_asgi()


class ResourceBindingBase(GenericAsyncAPIConsumer):
    """What every binding shares: ``model``/``stream``, channels-api permissions, ``get_object(pk)``."""

    #: The model; ``queryset`` defaults to all of its objects.
    model: type[Model] | None = None
    #: The stream name a demultiplexer routes to this binding (see :meth:`.WebsocketDemultiplexer.for_bindings`).
    stream: str | None = None
    #: channels-api, djangochannelsrestframework or DRF permission classes (or dotted paths);
    #: ``None`` uses ``CHANNELS_API["DEFAULT_PERMISSION_CLASSES"]``.
    permission_classes: Any = None
    consumer = _ASGIApplication()
    #: ``"channels_api"`` or ``"standard"``; ``None`` uses ``CHANNELS_API["ERROR_REPLIES"]``.
    error_replies: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        for name in ("error_replies", "subscription_events"):
            value = getattr(cls, name, None)
            if value not in (None, CHANNELS_API_STYLE, STANDARD_STYLE):
                raise ImproperlyConfigured(
                    f'{cls.__qualname__}.{name} must be "{CHANNELS_API_STYLE}", "{STANDARD_STYLE}" or None, '
                    f"not {value!r}."
                )
        for name in _NARROW_HOOKS:  # a binding's own or a mixin's
            hook = inspect.getattr_static(cls, name, None)
            if inspect.isfunction(hook) and not asyncio.iscoroutinefunction(hook):
                setattr(cls, name, _tolerant(hook))
        model = cls.__dict__.get("model")
        if model is not None and cls.__dict__.get("queryset") is None and getattr(cls, "queryset", None) is None:
            cls.queryset = model._default_manager.all()
        super().__init_subclass__(**kwargs)

    @property
    def user(self) -> Any:
        """The connection's user (``scope["user"]``), as channels-api bindings had it."""
        return self.scope.get("user")

    def _error_style(self) -> str:
        return self.error_replies or channels_api_setting("ERROR_REPLIES")

    def _binding_permissions(self) -> list[Any]:
        """``permission_classes`` (or the default setting) instantiated, once per connection and list."""
        classes = self.permission_classes
        if classes is None:
            classes = channels_api_setting("DEFAULT_PERMISSION_CLASSES")
        cached = self.__dict__.get("_binding_permission_cache")
        if cached is None or cached[0] is not classes:
            permissions = [instantiate_permission(import_class(item)) for item in classes]
            cached = self.__dict__["_binding_permission_cache"] = (classes, permissions)
        return list(cached[1])

    def has_permission(self, user: Any, action: str, pk: Any) -> bool:
        """channels-api's check before every action: each channels-api permission of
        ``permission_classes`` must allow it.  Override it as channels-api bindings did; it runs in a
        worker thread (so it may query the database) unless it is ``async``."""
        return all(
            permission.has_permission(user, action, pk)
            for permission in self._binding_permissions()
            if isinstance(permission, BasePermission)
        )

    async def get_permissions(self, action: str, **kwargs: Any) -> list[Any]:
        """The permissions of ``permission_classes`` that are not channels-api's (this package's and
        DRF's); channels-api's are checked by :meth:`has_permission`."""
        return [permission for permission in self._binding_permissions() if not isinstance(permission, BasePermission)]

    def _checks_has_permission(self) -> bool:
        # Not overrides(): that answers once per class, and channels-api's users (its own suite too)
        # patch has_permission onto a binding class in tests, after it served.  One getattr per action.
        if getattr(type(self), "has_permission", None) is not ResourceBindingBase.has_permission:
            return True
        return any(
            isinstance(permission, BasePermission) and type(permission) is not AllowAny
            for permission in self._binding_permissions()
        )

    async def check_permissions(self, action: str, **kwargs: Any) -> None:
        """:meth:`has_permission`, then the other permission classes; a denial is 401
        ``["Permission Denied"]`` (403 with DRF's message when ``error_replies`` is ``"standard"``)."""
        allowed = True
        if self._checks_has_permission():
            method = self.has_permission
            if asyncio.iscoroutinefunction(method):
                allowed = bool(await method(self.user, action, message_pk(kwargs)))
            else:
                allowed = bool(await database_sync_to_async(method)(self.user, action, message_pk(kwargs)))
        standard = self._error_style() == STANDARD_STYLE
        if not allowed:
            raise PermissionDenied() if standard else PermissionDeniedReply()
        try:
            await super().check_permissions(action, **kwargs)
        except PermissionDenied:
            if standard:
                raise
            raise PermissionDeniedReply() from None

    async def handle_exception(self, exc: Exception, action: str | None, request_id: RequestId) -> None:
        if (
            type(exc) is MethodNotAllowed
            and action not in self.available_actions
            and self._error_style() == CHANNELS_API_STYLE
        ):
            exc = InvalidAction()
        await super().handle_exception(exc, action, request_id)

    def get_object(self, pk: Any = None, **kwargs: Any) -> Model:
        """The object named by ``pk`` (positional, as channels-api bindings call it); 404 ``Not found.``"""
        if pk is not None:
            kwargs[self.get_lookup_key()] = pk
        try:
            return super().get_object(**kwargs)
        except Http404:
            raise NotFound() from None

    def validate_lookup_value(self, model: type[Model], value: Any) -> Any:
        """A value that cannot name a row finds nothing: 404 ``Not found.``, as channels-api answered
        (generic consumers answer 400 naming the lookup key instead)."""
        try:
            return super().validate_lookup_value(model, value)
        except ValidationError:
            raise NotFound() from None

    def get_object_or_404(self, pk: Any) -> Model:
        """channels-api's name for :meth:`get_object`."""
        return self.get_object(pk)


class _Resource(GenericHost, Protocol):
    """What the resource mixins call on their binding (:class:`ResourceBindingBase`)."""

    def get_object(self, pk: Any = None, **kwargs: Any) -> Model: ...


class _Creating(_Resource, Protocol):
    def perform_create(self, serializer: Any) -> None: ...


class _Updating(_Resource, Protocol):
    def perform_update(self, serializer: Any) -> None: ...


class _Patching(_Resource, Protocol):
    def perform_patch(self, serializer: Any) -> None: ...


class _Deleting(_Resource, Protocol):
    def perform_delete(self, instance: Model) -> None: ...


class CreateResourceMixin:
    """``{"action": "create", "data": {...}}`` -> 201 with the serialized object."""

    @action()
    def create(self: _Creating, data: Any = None, **kwargs: Any) -> tuple[Any, int]:
        serializer = self.get_serializer(data=data, action_kwargs=kwargs)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return serializer.data, status.HTTP_201_CREATED

    def perform_create(self, serializer: Any) -> None:
        serializer.save()


class RetrieveResourceMixin:
    """``{"action": "retrieve", "pk": 1}`` -> the serialized object."""

    @action()
    def retrieve(self: _Resource, pk: Any = None, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(pk, **kwargs)
        return self.get_serializer(instance=instance, action_kwargs=kwargs).data, status.HTTP_200_OK


class ListResourceMixin:
    """``{"action": "list", "data": {"page": 2}}`` -> one page of serialized objects (a plain list)."""

    @action()
    def list(self: _Resource, data: Any = None, **kwargs: Any) -> tuple[Any, int]:
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        if not queryset.ordered:
            queryset = queryset.order_by("pk")  # pages of an unordered queryset may overlap
        page_number = data.get("page", 1) if isinstance(data, dict) else 1
        paginator = Paginator(queryset, channels_api_setting("DEFAULT_PAGE_SIZE"))
        try:
            page = paginator.page(page_number)
        except InvalidPage as exc:
            raise NotFound(str(exc)) from None
        serializer = self.get_serializer(instance=page.object_list, many=True, action_kwargs=kwargs)
        return serializer.data, status.HTTP_200_OK


class UpdateResourceMixin:
    """``{"action": "update", "pk": 1, "data": {...}}`` -> the updated object."""

    @action()
    def update(self: _Updating, pk: Any = None, data: Any = None, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(pk, **kwargs)
        serializer = self.get_serializer(instance=instance, data=data, action_kwargs=kwargs)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return serializer.data, status.HTTP_200_OK

    def perform_update(self, serializer: Any) -> None:
        serializer.save()


class PatchResourceMixin:
    """``{"action": "patch", "pk": 1, "data": {...}}`` -> the object with only the given fields changed."""

    @action()
    def patch(self: _Patching, pk: Any = None, data: Any = None, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(pk, **kwargs)
        serializer = self.get_serializer(instance=instance, data=data, partial=True, action_kwargs=kwargs)
        serializer.is_valid(raise_exception=True)
        self.perform_patch(serializer)
        return serializer.data, status.HTTP_200_OK

    def perform_patch(self, serializer: Any) -> None:
        serializer.save()


class DeleteResourceMixin:
    """``{"action": "delete", "pk": 1}`` -> ``{}`` with 200."""

    @action()
    def delete(self: _Deleting, pk: Any = None, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(pk, **kwargs)
        self.perform_delete(instance)
        return {}, status.HTTP_200_OK

    def perform_delete(self, instance: Model) -> None:
        instance.delete()


class SubscribeResourceMixin(SubscribeModelMixin):
    """``subscribe`` with channels-api's events: one ``{"action", "pk", "data", "model"}`` frame per
    change and socket (``model`` is ``"app_label.modelname"``; a delete's ``data`` is ``{"pk": ...}``).

    With ``subscription_events = "standard"`` (or ``CHANNELS_API["SUBSCRIPTION_EVENTS"]``) each
    subscription gets the reply envelope with its ``request_id`` instead
    (:class:`~djangochannelsrestframework.observer.subscribe.SubscribeModelMixin`'s events).
    """

    #: ``"channels_api"`` or ``"standard"``; ``None`` uses ``CHANNELS_API["SUBSCRIPTION_EVENTS"]``.
    subscription_events: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_channels_api_event: Any = None

    @property
    def model_label(self) -> str:
        """``"app_label.modelname"``, as channels-api's events name the model."""
        model = getattr(self, "model", None) or getattr(getattr(self, "queryset", None), "model", None)
        if model is None:
            model = self.get_queryset().model  # type: ignore[attr-defined]
        return str(model._meta.label_lower)

    async def deliver_observed_action(self, action: str, request_ids: Iterable[Any], **kwargs: Any) -> None:
        style = self.subscription_events or channels_api_setting("SUBSCRIPTION_EVENTS")
        if style == STANDARD_STYLE:
            await super().deliver_observed_action(action, request_ids, **kwargs)
            return
        first = next(iter(request_ids), _NO_EVENT)  # a request id may be None
        if first is _NO_EVENT:
            return
        # One frame per change and socket: a change published to the model's group and the object's
        # arrives here twice when both are subscribed.
        event = current_event.get()
        if event is not None:
            if event == self._last_channels_api_event:
                return
            self._last_channels_api_event = event
        token = _event_pk.set(kwargs.get("pk"))
        try:
            await super().deliver_observed_action(action, [first], **kwargs)
        finally:
            _event_pk.reset(token)

    async def reply_encoded(
        self, action: str | None, data: Any, data_text: str | None, status: int = 200, request_id: RequestId = None
    ) -> None:
        """During an event's delivery, send channels-api's event frame instead of a reply."""
        pk = _event_pk.get(_NO_EVENT)
        if pk is _NO_EVENT:
            await super().reply_encoded(action, data, data_text, status=status, request_id=request_id)  # type: ignore[misc]
            return
        await self.send_json({"action": action, "pk": pk, "data": data, "model": self.model_label})  # type: ignore[attr-defined]


class ResourceBinding(
    CreateResourceMixin,
    RetrieveResourceMixin,
    ListResourceMixin,
    UpdateResourceMixin,
    PatchResourceMixin,
    DeleteResourceMixin,
    SubscribeResourceMixin,
    ResourceBindingBase,
):
    """create, retrieve, list, update, patch, delete and subscribe (with channels-api's events)."""


class ReadOnlyResourceBinding(RetrieveResourceMixin, ListResourceMixin, ResourceBindingBase):
    """retrieve and list only."""


__all__ = [
    "CreateResourceMixin",
    "DeleteResourceMixin",
    "InvalidAction",
    "ListResourceMixin",
    "PatchResourceMixin",
    "PermissionDeniedReply",
    "ReadOnlyResourceBinding",
    "ResourceBinding",
    "ResourceBindingBase",
    "RetrieveResourceMixin",
    "SubscribeResourceMixin",
    "UpdateResourceMixin",
]
