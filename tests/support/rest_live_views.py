"""DRF views made realtime with the django-rest-live compatibility layer (tests of its 0.7 API)."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from rest_framework import filters, generics, permissions, serializers, viewsets

from djangochannelsrestframework.contrib.rest_live.mixins import RealtimeMixin
from djangochannelsrestframework.contrib.rest_live.routers import RealtimeRouter
from tests.support.app.models import Board, Comment, Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class StaffItemSerializer(serializers.ModelSerializer):
    seen_by = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = ["id", "name", "value", "seen_by"]

    def get_seen_by(self, item: Item) -> str:
        return str(self.context["request"].user.username)


class ItemViewSet(viewsets.ModelViewSet, RealtimeMixin):  # type: ignore[type-arg]
    """Items, searchable by name; staff get a richer serializer."""

    queryset = Item.objects.order_by("pk")
    serializer_class = ItemSerializer
    filter_backends = [filters.SearchFilter]
    search_fields = ["name"]

    def get_serializer_class(self) -> Any:
        if self.request.user.is_staff:
            return StaffItemSerializer
        return ItemSerializer


class DoubledItemSerializer(serializers.ModelSerializer):
    double = serializers.IntegerField(read_only=True)

    class Meta:
        model = Item
        fields = ["name", "double"]


class ItemsByName(generics.RetrieveAPIView, RealtimeMixin):  # type: ignore[type-arg]
    """Items looked up by name, annotated with twice their value."""

    queryset = Item.objects.annotate(double=F("value") * 2)
    serializer_class = DoubledItemSerializer
    lookup_field = "name"


class BoardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Board
        fields = ["id", "name", "team"]


class IsTeamMember(permissions.BasePermission):
    """Only a user whose pk is the board's team sees a board."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return bool(obj.team == request.user.pk)


class TeamBoards(generics.ListAPIView, RealtimeMixin):  # type: ignore[type-arg]
    """The boards of the team named by the URL (``view_kwargs``), for authenticated users."""

    queryset = Board.objects.none()
    serializer_class = BoardSerializer
    permission_classes = [permissions.IsAuthenticated, IsTeamMember]

    def get_queryset(self) -> Any:
        return Board.objects.filter(team=self.kwargs["team"]).order_by("pk")


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "text"]


class MyComments(generics.ListAPIView, RealtimeMixin):  # type: ignore[type-arg]
    """The user's own comments."""

    queryset = Comment.objects.none()
    serializer_class = CommentSerializer

    def get_queryset(self) -> Any:
        return Comment.objects.filter(user=self.request.user)


router = RealtimeRouter()
router.register_all([ItemViewSet, TeamBoards, MyComments])
PublicConsumer = router.as_consumer()

private_router = RealtimeRouter(public=False)
private_router.register(ItemsByName)
PrivateConsumer = private_router.as_consumer()
