"""Consumers of the security tests: authenticated ones, and one whose group names are raw client input."""

from __future__ import annotations

from typing import Any

from djangochannelsrestframework import permissions
from djangochannelsrestframework.auth import TokenAuthConsumerMixin
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import model_observer
from tests.support.app.models import Item
from tests.support.observer_consumers import ItemInstanceConsumer


class WhoAmIConsumer(AsyncAPIConsumer):
    """Says who the connection's user is."""

    permission_classes = (permissions.AllowAny,)

    @action()
    async def whoami(self) -> tuple[Any, int]:
        user = self.scope.get("user")
        return {"username": getattr(user, "username", None) or None}, 200


class TokenWhoAmIConsumer(TokenAuthConsumerMixin, WhoAmIConsumer):
    """Needs a user for everything but ``authenticate``."""

    permission_classes = (permissions.IsAuthenticated,)


class CanViewItems(permissions.BasePermission):
    """Allows users holding Django's ``app.view_item`` permission."""

    async def has_permission(self, scope: Any, consumer: Any, action: str, **kwargs: Any) -> bool:
        from channels.db import database_sync_to_async

        user = scope.get("user")
        return user is not None and await database_sync_to_async(user.has_perm)("app.view_item")


class SignedInItemConsumer(ItemInstanceConsumer):
    """Instance subscriptions for signed-in (active) users only."""

    permission_classes = (permissions.IsAuthenticated,)


class PermittedItemConsumer(ItemInstanceConsumer):
    """Instance subscriptions for holders of ``app.view_item``."""

    permission_classes = (CanViewItems,)


class RoomConsumer(AsyncAPIConsumer):
    """Item changes by pk, where the group a client joins is exactly the ``room`` it sends."""

    permission_classes = (permissions.AllowAny,)

    @model_observer(Item)
    async def item_rooms(self, message: Any, action: str | None = None, **kwargs: Any) -> None:
        await self.send_json({"action": action, "body": dict(message)})

    @item_rooms.groups_for_signal
    def item_rooms(self, instance: Item, **kwargs: Any) -> Any:
        yield str(instance.pk)

    @item_rooms.groups_for_consumer
    def item_rooms(self, room: Any = None, consumer: Any = None, **kwargs: Any) -> Any:
        yield room

    @item_rooms.serializer
    def item_rooms(self, instance: Item, action: Any, **kwargs: Any) -> dict[str, Any]:
        return {"name": instance.name}

    @action()
    async def join(self, room: Any) -> tuple[list[str], int]:
        groups = await self.item_rooms.subscribe(room=room)
        return groups, 201


# The groups name the row by primary key only: saves need not read the old row back.
RoomConsumer.item_rooms.groups_from_pk_only = True
