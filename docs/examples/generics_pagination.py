from django.contrib.auth.models import User
from rest_framework import serializers

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import PaginatedModelListMixin, StreamedPaginatedListMixin
from djangochannelsrestframework.pagination import (
    WebsocketCursorPagination,
    WebsocketLimitOffsetPagination,
    WebsocketPageNumberPagination,
)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class UserListConsumer(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    pagination_class = WebsocketLimitOffsetPagination


class TwoPerPage(WebsocketPageNumberPagination):
    page_size = 2


class UserPageConsumer(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    pagination_class = TwoPerPage


class UserCursor(WebsocketCursorPagination):
    page_size = 2
    ordering = "id"  # a unique field that never changes


class UserCursorConsumer(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.all()
    serializer_class = UserSerializer
    pagination_class = UserCursor


class UserStreamConsumer(StreamedPaginatedListMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    pagination_class = WebsocketLimitOffsetPagination
    sleep_time_between_pages = 0.1  # seconds; gives the client room to cancel
