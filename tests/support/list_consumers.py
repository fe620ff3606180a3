"""Consumers used by the live-list tests (and by the server processes of the Redis test)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter

from djangochannelsrestframework import permissions
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    ListSubscriptionMixin,
    PaginatedModelListMixin,
    StreamedPaginatedListMixin,
)
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination
from tests.support.app.models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class ItemNameSerializer(serializers.ModelSerializer):
    """What a non-staff user sees of an item: no value."""

    class Meta:
        model = Item
        fields = ["id", "name"]


class MinValueFilter:
    """``min_value`` in the message keeps items whose value is at least that."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        value = request.query_params.get("min_value")
        if value is None:
            return queryset
        try:
            minimum = int(value)
        except ValueError:  # a client's text: a 400, never a server error (found by the fuzz test)
            raise ValidationError({"min_value": ["A whole number is required."]}) from None
        return queryset.filter(value__gte=minimum)


class NamePrefixFilter:
    """``prefix`` in the message keeps items whose name starts with it."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        prefix = request.query_params.get("prefix")
        return queryset if prefix is None else queryset.filter(name__startswith=prefix)


class ItemListConsumer(ListSubscriptionMixin, GenericAsyncAPIConsumer):
    """Items by id, filtered by ``min_value``, ``prefix`` and ``search`` (DRF's SearchFilter)."""

    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)
    filter_backends = [MinValueFilter, NamePrefixFilter, SearchFilter]
    search_fields = ["name"]


class PagedItemListConsumer(ListSubscriptionMixin, PaginatedModelListMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)
    pagination_class = WebsocketLimitOffsetPagination
    filter_backends = [MinValueFilter]


class StreamedItemList(ListSubscriptionMixin, StreamedPaginatedListMixin, GenericAsyncAPIConsumer):
    """``list`` streams its pages; ``subscribe_list`` replies with the first."""

    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)
    pagination_class = WebsocketLimitOffsetPagination


class StaffSeesValues(ItemListConsumer):
    """Staff get each item's value; everyone else only its name."""

    def get_serializer_class(self, **kwargs: Any) -> Any:
        return ItemSerializer if self.scope["user"].is_staff else ItemNameSerializer


class InViewersGroup(permissions.BasePermission):
    """Only members of the auth group "viewers" (read from the database each time)."""

    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        user = scope["user"]
        return bool(await database_sync_to_async(user.groups.filter(name="viewers").exists)())


class NoSecrets(permissions.BasePermission):
    """Items named "secret..." are nobody's business."""

    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return True

    async def has_object_permission(
        self, scope: dict[str, Any], consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        return not obj.name.startswith("secret")


class ViewersItemList(ItemListConsumer):
    permission_classes = (InViewersGroup,)


class NoSecretsItemList(ItemListConsumer):
    permission_classes = (NoSecrets,)
