from rest_framework import permissions as drf_permissions

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import AllowAny, BasePermission, IsAuthenticated


class IsStaff(BasePermission):
    async def has_permission(self, scope, consumer, action, **kwargs):
        user = scope.get("user")
        return bool(user and user.is_staff)


class ReadOnlyAction(BasePermission):
    """Allows the actions a consumer lists in ``read_only_actions``."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        return action in getattr(consumer, "read_only_actions", ())


class NoteConsumer(AsyncAPIConsumer):
    permission_classes = [IsAuthenticated & (IsStaff | ReadOnlyAction)]
    read_only_actions = {"list_notes"}

    @action()
    async def list_notes(self, **kwargs):
        return ["Buy milk"], 200

    @action()
    async def delete_notes(self, **kwargs):
        return {"deleted": 1}, 200


class AdminOrReadOnlyConsumer(NoteConsumer):
    # DRF's own classes compose with ours, in any order.
    permission_classes = [drf_permissions.IsAdminUser | ReadOnlyAction]


class OnlyMembersConnect(BasePermission):
    async def can_connect(self, scope, consumer, message=None):
        user = scope.get("user")
        return bool(user and user.is_authenticated)

    async def has_permission(self, scope, consumer, action, **kwargs):
        return True


class MembersConsumer(AsyncAPIConsumer):
    permission_classes = [OnlyMembersConnect]

    @action()
    async def hello(self, **kwargs):
        return "Hello, member!", 200


class PerActionConsumer(AsyncAPIConsumer):
    async def get_permissions(self, action, **kwargs):
        if action == "shutdown":
            return [IsStaff()]
        return [AllowAny()]

    @action()
    async def status(self, **kwargs):
        return {"running": True}, 200

    @action()
    async def shutdown(self, **kwargs):
        return {"running": False}, 200


class RoomOwner(BasePermission):
    """Permissions see the message's arguments as keywords, so they can check them."""

    async def has_permission(self, scope, consumer, action, room: str = "", **kwargs):
        user = scope.get("user")
        return bool(user and room == f"{user.username}-room")


class RoomConsumer(AsyncAPIConsumer):
    permission_classes = [RoomOwner]

    @action()
    async def close_room(self, room: str, **kwargs):
        return {"closed": room}, 200
