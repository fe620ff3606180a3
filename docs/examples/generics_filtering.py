from django.contrib.auth.models import User
from django_filters import rest_framework as filters
from rest_framework import serializers
from rest_framework.filters import OrderingFilter, SearchFilter

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import ListModelMixin, PaginatedModelListMixin
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "is_staff"]


class UserSearchConsumer(ListModelMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    filter_backends = [SearchFilter, OrderingFilter, filters.DjangoFilterBackend]
    search_fields = ["username", "email"]
    ordering_fields = ["username", "date_joined"]
    filterset_fields = ["is_staff"]


class UserFilter(filters.FilterSet):
    starts = filters.CharFilter(field_name="username", lookup_expr="istartswith")
    joined_after = filters.IsoDateTimeFilter(field_name="date_joined", lookup_expr="gt")

    class Meta:
        model = User
        fields = ["is_staff"]


class UserPageConsumer(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    pagination_class = WebsocketLimitOffsetPagination
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = UserFilter
