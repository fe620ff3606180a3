"""channels-api's ``ResourceBinding``: a model's create/retrieve/update/list/delete/subscribe as one class.

::

    class QuestionBinding(ResourceBinding):
        model = Question
        stream = "questions"
        serializer_class = QuestionSerializer
        queryset = Question.objects.all()

A binding is a generic consumer (:class:`~djangochannelsrestframework.generics.GenericAsyncAPIConsumer`),
so everything a consumer offers applies; the actions keep channels-api's messages and replies:
``delete`` answers ``{}`` with 200, a missing object ``["Not found."]`` with 404, and ``list``
returns one page (``data: {"page": n}``) of ``CHANNELS_API["DEFAULT_PAGE_SIZE"]`` objects.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Model
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError

from ...decorators import action
from ...generics import GenericAsyncAPIConsumer
from ...observer.subscribe import SubscribeModelMixin
from ...permissions import instantiate_permission
from .permissions import consumer_permission
from .settings import channels_api_setting, import_class


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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        model = cls.__dict__.get("model")
        if model is not None and cls.__dict__.get("queryset") is None and getattr(cls, "queryset", None) is None:
            cls.queryset = model._default_manager.all()
        super().__init_subclass__(**kwargs)

    @property
    def user(self) -> Any:
        """The connection's user (``scope["user"]``), as channels-api bindings had it."""
        return self.scope.get("user")

    async def get_permissions(self, action: str, **kwargs: Any) -> list[Any]:
        classes = self.permission_classes
        if classes is None:
            classes = channels_api_setting("DEFAULT_PERMISSION_CLASSES")
        cached = self.__dict__.get("_binding_permissions")
        if cached is None or cached[0] is not classes:
            permissions = [consumer_permission(instantiate_permission(import_class(item))) for item in classes]
            cached = self.__dict__["_binding_permissions"] = (classes, permissions)
        return list(cached[1])

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


class CreateResourceMixin:
    """``{"action": "create", "data": {...}}`` -> 201 with the serialized object."""

    @action()
    def create(self, data: Any = None, **kwargs: Any) -> tuple[Any, int]:
        serializer = self.get_serializer(data=data, action_kwargs=kwargs)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return serializer.data, status.HTTP_201_CREATED

    def perform_create(self, serializer: Any) -> None:
        serializer.save()


class RetrieveResourceMixin:
    """``{"action": "retrieve", "pk": 1}`` -> the serialized object."""

    @action()
    def retrieve(self, pk: Any = None, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(pk, **kwargs)  # type: ignore[attr-defined]
        return self.get_serializer(instance=instance, action_kwargs=kwargs).data, status.HTTP_200_OK  # type: ignore[attr-defined]


class ListResourceMixin:
    """``{"action": "list", "data": {"page": 2}}`` -> one page of serialized objects (a plain list)."""

    @action()
    def list(self, data: Any = None, **kwargs: Any) -> tuple[Any, int]:
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)  # type: ignore[attr-defined]
        if not queryset.ordered:
            queryset = queryset.order_by("pk")  # pages of an unordered queryset may overlap
        page_number = data.get("page", 1) if isinstance(data, dict) else 1
        paginator = Paginator(queryset, channels_api_setting("DEFAULT_PAGE_SIZE"))
        try:
            page = paginator.page(page_number)
        except InvalidPage as exc:
            raise NotFound(str(exc)) from None
        serializer = self.get_serializer(instance=page.object_list, many=True, action_kwargs=kwargs)  # type: ignore[attr-defined]
        return serializer.data, status.HTTP_200_OK


class UpdateResourceMixin:
    """``{"action": "update", "pk": 1, "data": {...}}`` -> the updated object."""

    @action()
    def update(self, pk: Any = None, data: Any = None, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(pk, **kwargs)  # type: ignore[attr-defined]
        serializer = self.get_serializer(instance=instance, data=data, action_kwargs=kwargs)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return serializer.data, status.HTTP_200_OK

    def perform_update(self, serializer: Any) -> None:
        serializer.save()


class DeleteResourceMixin:
    """``{"action": "delete", "pk": 1}`` -> ``{}`` with 200."""

    @action()
    def delete(self, pk: Any = None, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(pk, **kwargs)  # type: ignore[attr-defined]
        self.perform_delete(instance)
        return {}, status.HTTP_200_OK

    def perform_delete(self, instance: Model) -> None:
        instance.delete()


class ResourceBinding(
    CreateResourceMixin,
    RetrieveResourceMixin,
    ListResourceMixin,
    UpdateResourceMixin,
    DeleteResourceMixin,
    SubscribeModelMixin,
    ResourceBindingBase,
):
    """create, retrieve, list, update, delete and subscribe (:mod:`~djangochannelsrestframework.observer.subscribe`)."""


class ReadOnlyResourceBinding(RetrieveResourceMixin, ListResourceMixin, ResourceBindingBase):
    """retrieve and list only."""
