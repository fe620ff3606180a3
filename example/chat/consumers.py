"""The chat's websocket API: one consumer for the room list and the room pages.

Every action needs a logged-in user.  Anyone logged in may list, create, view and join rooms
(``join_room`` marks the socket present); only members post; only the host renames (``patch``)
or deletes a room.  Pages get live updates from three observers:

* ``subscribe_list`` (from ``ListSubscriptionMixin``): the room list, then every room created,
  renamed or deleted, as the subscriber's ``list`` would show it (the room-list page uses it);
* ``room_activity`` (``subscribe_rooms``): rooms created, renamed, deleted, as a hand-written
  model observer (kept to show one; the browsable API page can try both);
* ``message_activity``: new messages of the room this socket joined, and of no other room;
* ``presence_activity``: the users present in the joined room, after every join or leave;

and ``subscribe_instance`` (from ``ObserverModelInstanceMixin``) for renames and deletion of
the room a page shows.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.db import transaction
from django.db.models import Model
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from chat.models import Message, Presence, Room
from chat.serializers import MessageSerializer, RoomSerializer, present_usernames
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    DeleteModelMixin,
    ListSubscriptionMixin,
    PatchModelMixin,
)
from djangochannelsrestframework.observer import model_observer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from djangochannelsrestframework.permissions import BasePermission, IsAuthenticated

#: How many earlier messages ``join_room`` sends back.
HISTORY = 50


class IsHostToChange(BasePermission):
    """Only the room's host may ``patch`` (rename) or ``delete`` it; other actions pass."""

    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return True

    async def has_object_permission(
        self, scope: dict[str, Any], consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        if action in ("patch", "delete"):
            return bool(obj.host_id == scope["user"].pk)
        return True


class RoomConsumer(
    ObserverModelInstanceMixin,
    ListSubscriptionMixin,
    CreateModelMixin,
    PatchModelMixin,
    DeleteModelMixin,
    GenericAsyncAPIConsumer,
):
    """Chat rooms: list and create them, join one, post to it, watch it live."""

    queryset = Room.objects.select_related("host").prefetch_related("members")
    serializer_class = RoomSerializer
    permission_classes = (IsAuthenticated & IsHostToChange,)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.room_id: int | None = None

    # -- rooms -----------------------------------------------------------------------------------

    def perform_create(self, serializer: Any, **kwargs: Any) -> None:
        user = self.scope["user"]
        with transaction.atomic():  # observers see the room at commit, with its host as a member
            room = serializer.save(host=user)
            room.members.add(user)

    @action()
    async def subscribe_rooms(self, request_id: Any = None, **kwargs: Any) -> tuple[None, int]:
        """Send every room created, renamed or deleted from now on, as "create", "update" and "delete" events."""
        await self.room_activity.subscribe(request_id=request_id)
        return None, status.HTTP_201_CREATED

    @model_observer(Room)
    async def room_activity(self, message: Any, action: str, subscribing_request_ids: list[Any], **kwargs: Any) -> None:
        """Rooms created, renamed or deleted, for subscribe_rooms (events "create", "update", "delete")."""
        for request_id in subscribing_request_ids or [None]:
            await self.reply(action=action, data=message, request_id=request_id)

    @room_activity.serializer
    def room_activity(self, instance: Model, action: Any, **kwargs: Any) -> dict[str, Any]:
        if action.value == "delete":  # the row is gone: no members to read
            return {"pk": instance.pk, "name": instance.name}  # type: ignore[attr-defined]
        return dict(RoomSerializer(instance).data)

    # -- joining ---------------------------------------------------------------------------------

    @action()
    async def join_room(self, pk: int, request_id: Any = None, **kwargs: Any) -> tuple[dict[str, Any], int]:
        """Be present in room pk until this socket closes; get its last messages and who is there.

        From then on this socket receives "message" events for the room's new messages and
        "present" events (the usernames present) whenever someone joins or leaves.
        """
        if self.room_id is not None:
            await self.leave_room()
        room = await database_sync_to_async(self.get_object)(pk=pk, action="join_room")
        self.room_id = room.pk
        await self.message_activity.subscribe(room=room.pk, request_id=request_id)
        await self.presence_activity.subscribe(room=room.pk, request_id=request_id)
        return await database_sync_to_async(self._join)(room), status.HTTP_200_OK

    def _join(self, room: Room) -> dict[str, Any]:
        Presence.objects.get_or_create(room=room, user=self.scope["user"], channel_name=self.channel_name)
        messages = list(room.messages.select_related("user").order_by("-created_at", "-pk")[:HISTORY])[::-1]
        return {
            "room": RoomSerializer(room).data,
            "messages": MessageSerializer(messages, many=True).data,
            "present": present_usernames(room.pk),
        }

    @action()
    async def leave_room(self, **kwargs: Any) -> tuple[None, int]:
        """Stop being present in the joined room and stop its events."""
        room_id, self.room_id = self.room_id, None
        if room_id is None:
            return None, status.HTTP_204_NO_CONTENT
        await self.message_activity.unsubscribe(room=room_id)
        await self.presence_activity.unsubscribe(room=room_id)
        await database_sync_to_async(Presence.objects.filter(channel_name=self.channel_name).delete)()
        return None, status.HTTP_204_NO_CONTENT

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # Closing the page (or losing the connection) leaves the room.
        if self.room_id is not None:
            self.room_id = None
            await database_sync_to_async(Presence.objects.filter(channel_name=self.channel_name).delete)()
        await super().websocket_disconnect(message)

    @action()
    def become_member(self, **kwargs: Any) -> tuple[dict[str, Any], int]:
        """Become a member of the joined room, which lets you post to it."""
        room = self._joined_room()
        with transaction.atomic():
            room.members.add(self.scope["user"])
            room.save(update_fields=["updated_at"])  # an update event for the room's subscribers
        return RoomSerializer(room).data, status.HTTP_200_OK

    # -- messages --------------------------------------------------------------------------------

    @action()
    def post_message(self, text: str, **kwargs: Any) -> tuple[dict[str, Any], int]:
        """Post text to the joined room (members only)."""
        room = self._joined_room()
        user = self.scope["user"]
        if not room.members.filter(pk=user.pk).exists():
            raise PermissionDenied("Only members of this room can post; become a member first.")
        text = str(text).strip()
        if not text:
            raise ValidationError({"text": ["Write something first."]})
        message = Message.objects.create(room=room, user=user, text=text[:500])
        return MessageSerializer(message).data, status.HTTP_201_CREATED

    def _joined_room(self) -> Room:
        if self.room_id is None:
            raise ValidationError({"room": ["Join a room first (join_room)."]})
        room = Room.objects.filter(pk=self.room_id).first()
        if room is None:
            raise NotFound("The room no longer exists.")
        return room

    @model_observer(Message, serializer_class=MessageSerializer)
    async def message_activity(
        self, message: Any, action: str, subscribing_request_ids: list[Any], **kwargs: Any
    ) -> None:
        """New messages of the joined room only, as "message" events."""
        if action != "create":
            return
        for request_id in subscribing_request_ids or [None]:
            await self.reply(action="message", data=message, request_id=request_id)

    @message_activity.groups_for_signal
    def message_activity(self, instance: Message, **kwargs: Any) -> Any:
        yield f"room-{instance.room_id}"

    @message_activity.groups_for_consumer
    def message_activity(self, room: int, **kwargs: Any) -> Any:
        yield f"room-{room}"

    # -- presence --------------------------------------------------------------------------------

    @model_observer(Presence)
    async def presence_activity(self, message: Any, subscribing_request_ids: list[Any], **kwargs: Any) -> None:
        """The usernames present in the joined room after someone joins or leaves, as "present" events."""
        for request_id in subscribing_request_ids or [None]:
            await self.reply(action="present", data=message["users"], request_id=request_id)

    @presence_activity.groups_for_signal
    def presence_activity(self, instance: Presence, **kwargs: Any) -> Any:
        yield f"room-{instance.room_id}"

    @presence_activity.groups_for_consumer
    def presence_activity(self, room: int, **kwargs: Any) -> Any:
        yield f"room-{room}"

    @presence_activity.serializer
    def presence_activity(self, instance: Model, action: Any, **kwargs: Any) -> dict[str, Any]:
        # Runs when the change commits, so the list already counts (or no longer counts) this socket.
        return {"users": present_usernames(instance.room_id)}  # type: ignore[attr-defined]
