"""How rooms and messages look on the wire."""

from typing import Any

from rest_framework import serializers

from chat.models import Message, Presence, Room


class RoomSerializer(serializers.ModelSerializer):
    host = serializers.CharField(source="host.username", read_only=True)
    members = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")

    class Meta:
        model = Room
        fields = ["pk", "name", "host", "members", "created_at", "updated_at"]
        read_only_fields = ["pk", "host", "members", "created_at", "updated_at"]


class MessageSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Message
        fields = ["pk", "room", "user", "text", "created_at"]


def present_usernames(room_id: Any) -> list[str]:
    """The sorted usernames with at least one socket open in the room."""
    names = Presence.objects.filter(room_id=room_id).values_list("user__username", flat=True).distinct()
    return sorted(names)
