"""Serializers, permissions, views and consumers used by the ``test_generics_*`` tests."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path
from django_filters import rest_framework as django_filters
from rest_framework import permissions as drf_permissions
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from djangochannelsrestframework import permissions
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    DeleteModelMixin,
    ListModelMixin,
    PaginatedModelListMixin,
    PatchModelMixin,
    RetrieveModelMixin,
    StreamedPaginatedListMixin,
    UpdateModelMixin,
)
from djangochannelsrestframework.pagination import (
    WebsocketCursorPagination,
    WebsocketLimitOffsetPagination,
    WebsocketPageNumberPagination,
)
from tests.support.app.models import Item

# -- serializers ---------------------------------------------------------------------------------


class ItemSerializer(serializers.ModelSerializer[Item]):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class LinkedItemSerializer(serializers.ModelSerializer[Item]):
    """Uses the request of the serializer context twice: a hyperlink and a method field."""

    url = serializers.HyperlinkedIdentityField(view_name="item-detail")
    absolute = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = ["id", "url", "absolute"]

    def get_absolute(self, obj: Item) -> str:
        return self.context["request"].build_absolute_uri(f"/items/{obj.pk}/raw/")


# -- the documentation's generic consumer example, as written ----------------------------------


class UserSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ["id", "username", "email", "password"]
        extra_kwargs = {"password": {"write_only": True}}

    def create(self, validated_data):  # type: ignore[no-untyped-def]
        user = User(email=validated_data["email"], username=validated_data["username"])
        user.set_password(validated_data["password"])
        user.save()
        return user


class UserConsumer(
    ListModelMixin,
    RetrieveModelMixin,
    PatchModelMixin,
    UpdateModelMixin,
    CreateModelMixin,
    DeleteModelMixin,
    GenericAsyncAPIConsumer,
):
    queryset = User.objects.all()
    serializer_class = UserSerializer


# -- CRUD consumers ------------------------------------------------------------------------------


class ItemConsumer(
    ListModelMixin,
    RetrieveModelMixin,
    PatchModelMixin,
    UpdateModelMixin,
    CreateModelMixin,
    DeleteModelMixin,
    GenericAsyncAPIConsumer,
):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)


class HookedItemConsumer(ItemConsumer):
    """Records the keyword arguments each ``perform_*`` hook receives."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def perform_create(self, serializer: Any, **kwargs: Any) -> None:
        self.calls.append(("create", kwargs))
        serializer.save(value=100)

    def perform_update(self, serializer: Any, **kwargs: Any) -> None:
        self.calls.append(("update", kwargs))
        serializer.save()

    def perform_patch(self, serializer: Any, **kwargs: Any) -> None:
        self.calls.append(("patch", kwargs))
        serializer.save(name=serializer.validated_data["name"].upper())

    def perform_delete(self, instance: Any, **kwargs: Any) -> None:
        self.calls.append(("delete", kwargs))
        instance.delete()


class ContextItemConsumer(RetrieveModelMixin, GenericAsyncAPIConsumer):
    """Its serializer needs ``request`` in the context (hyperlinks, ``build_absolute_uri``)."""

    queryset = Item.objects.all()
    serializer_class = LinkedItemSerializer


class OwnValueItemConsumer(ListModelMixin, RetrieveModelMixin, GenericAsyncAPIConsumer):
    """``get_queryset`` narrows the objects with a key of the message."""

    serializer_class = ItemSerializer

    def get_queryset(self, **kwargs: Any) -> Any:
        queryset = Item.objects.order_by("id")
        if "value" in kwargs:
            queryset = queryset.filter(value=kwargs["value"])
        return queryset


class NamedItemConsumer(RetrieveModelMixin, PatchModelMixin, DeleteModelMixin, GenericAsyncAPIConsumer):
    """Objects are named by ``name`` instead of ``pk``."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    lookup_field = "name"


class SlugKwargItemConsumer(RetrieveModelMixin, GenericAsyncAPIConsumer):
    """Looks up ``name`` but the message key is ``slug``."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    lookup_field = "name"
    lookup_url_kwarg = "slug"


class StrictItemConsumer(GenericAsyncAPIConsumer):
    """A custom action without ``**kwargs``: unexpected keys are refused."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer

    @action()
    def rename(self, pk: int, name: str) -> tuple[Any, int]:
        item = self.get_object(pk=pk)
        item.name = name  # type: ignore[attr-defined]
        item.save()
        return ItemSerializer(item).data, 200


# -- object permissions --------------------------------------------------------------------------


class EvenValuesOnly(permissions.BasePermission):
    """Ours: every action, but only objects whose value is even."""

    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return True

    async def has_object_permission(
        self, scope: dict[str, Any], consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        return bool(obj.value % 2 == 0)


class DRFEvenValuesOnly(drf_permissions.BasePermission):
    """DRF's: the same rule, written against a request and a view."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return bool(obj.value % 2 == 0)


class DRFNamedPublic(drf_permissions.BasePermission):
    """DRF's: only objects named ``public``."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return bool(obj.name == "public")


def item_consumer_with(*permission_classes: Any) -> type[ItemConsumer]:
    """An :class:`ItemConsumer` guarded by ``permission_classes``."""
    return type("GuardedItemConsumer", (ItemConsumer,), {"permission_classes": permission_classes})


# -- pagination and filtering --------------------------------------------------------------------


class ItemCursorPagination(WebsocketCursorPagination):
    ordering = "id"


class ThreeByLimitOffset(WebsocketLimitOffsetPagination):
    default_limit = 3


class ThreeByPageNumber(WebsocketPageNumberPagination):
    page_size = 3


class ThreeByCursor(WebsocketCursorPagination):
    page_size = 3
    ordering = "id"


class ItemFilterSet(django_filters.FilterSet):
    min_value = django_filters.NumberFilter(field_name="value", lookup_expr="gte")
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Item
        fields = ["min_value", "name"]


class FilteredItemConsumer(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    """``list`` with every filter backend and the paginator given by ``pagination_class``."""

    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    filter_backends = [SearchFilter, OrderingFilter, django_filters.DjangoFilterBackend]
    search_fields = ["name"]
    ordering_fields = ["id", "name", "value"]
    filterset_fields = ["name", "value"]


def filtered_consumer(pagination_class: Any, **attrs: Any) -> type[FilteredItemConsumer]:
    """A :class:`FilteredItemConsumer` with this paginator (and any other attributes)."""
    return type("FilteredItemConsumer", (FilteredItemConsumer,), {"pagination_class": pagination_class, **attrs})


class SettingsPaginatedConsumer(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    """Takes its paginator and filter backends from the ``DJANGO_CHANNELS_REST_API`` setting."""

    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    search_fields = ["name"]


class StreamedItemConsumer(StreamedPaginatedListMixin, ItemConsumer):
    pagination_class = WebsocketLimitOffsetPagination


class SlowStreamedItemConsumer(StreamedItemConsumer):
    sleep_time_between_pages = 0.2


class PausedStreamedItemConsumer(StreamedItemConsumer):
    """A stream whose first page comes after any test is over: only other replies can arrive."""

    sleep_time_between_pages = 60


class StreamedPageNumberConsumer(StreamedPaginatedListMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    pagination_class = WebsocketPageNumberPagination


class StreamedCursorConsumer(StreamedPaginatedListMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    pagination_class = ItemCursorPagination


# -- views for view_as_consumer ------------------------------------------------------------------


def echo_view(request: Any, **kwargs: Any) -> JsonResponse:
    """A plain Django view describing the request it got."""
    return JsonResponse(
        {
            "method": request.method,
            "path": request.path,
            "query": {key: request.GET.getlist(key) for key in request.GET},
            "kwargs": kwargs,
            "body": request.body.decode(),
        }
    )


def text_view(request: Any) -> HttpResponse:
    return HttpResponse("plain text", content_type="text/plain")


def streaming_view(request: Any) -> StreamingHttpResponse:
    return StreamingHttpResponse(iter([b"one ", b"two"]), content_type="text/plain")


def file_view(request: Any) -> FileResponse:
    return FileResponse(io.BytesIO(b"file body"), content_type="text/plain")


def binary_view(request: Any) -> HttpResponse:
    return HttpResponse(b"\xff\xfe\x00", content_type="application/octet-stream")


def template_view(request: Any) -> TemplateResponse:
    template = engines["django"].from_string("Hello {{ name }}!")
    return TemplateResponse(request, template, {"name": request.GET.get("name", "world")})


def missing_view(request: Any) -> HttpResponse:
    raise Http404("No such page")


def teapot_view(request: Any) -> HttpResponse:
    return HttpResponse("short and stout", status=418)


@api_view(["GET", "PUT", "PATCH", "DELETE", "POST"])
def drf_echo_view(request: Any, **kwargs: Any) -> Response:
    """A DRF function view: returns what it received."""
    return Response(
        {
            "method": request.method,
            "data": request.data,
            "query": {key: request.query_params.getlist(key) for key in request.query_params},
            "kwargs": kwargs,
        }
    )


class DRFItemView(APIView):
    """A DRF class view over one item (``pk`` URL kwarg)."""

    permission_classes = [drf_permissions.AllowAny]

    def get(self, request: Any, pk: int) -> Response:
        item = Item.objects.filter(pk=pk).first()
        if item is None:
            return Response({"detail": "No such item."}, status=404)
        return Response(ItemSerializer(item).data)

    def patch(self, request: Any, pk: int) -> Response:
        serializer = ItemSerializer(Item.objects.get(pk=pk), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)


class ItemViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    permission_classes = [drf_permissions.AllowAny]


def path_view(request: Any) -> HttpResponse:
    return HttpResponse(request.path)


# -- URLs for hyperlinked serializers ------------------------------------------------------------


def item_detail(request: Any, pk: int) -> HttpResponse:
    return HttpResponse(str(pk))


urlpatterns = [path("items/<int:pk>/", item_detail, name="item-detail")]


@asynccontextmanager
async def open_socket(app: Any, path: str = "/ws/", **kwargs: Any) -> AsyncIterator[WebsocketCommunicator]:
    """A connected ``WebsocketCommunicator`` for ``app`` (a consumer class is served with ``as_asgi()``)."""
    if isinstance(app, type):
        app = app.as_asgi()
    communicator = WebsocketCommunicator(app, path, **kwargs)
    connected, _ = await communicator.connect()
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def ask(communicator: WebsocketCommunicator, message: dict[str, Any]) -> Any:
    """Send ``message`` and return the next reply."""
    await communicator.send_json_to(message)
    return await communicator.receive_json_from(timeout=5)


# -- the documentation's view_as_consumer example, as written ------------------------------------


class SeedUserSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ["id", "username", "email"]


class UserViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    queryset = User.objects.all()
    serializer_class = SeedUserSerializer


@api_view(["GET", "PUT"])
def whoami_view(request: Any) -> Response:
    """Who DRF thinks is asking (session authentication included)."""
    return Response({"user": request.user.username, "authenticated": request.user.is_authenticated})
