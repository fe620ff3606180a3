"""channels-api's permission classes: ``has_permission(user, action, pk)``.

Bindings accept these beside djangochannelsrestframework's and DRF's permission classes: a
binding's ``has_permission(user, action, pk)`` asks the channels-api ones, as channels-api did.  On
any other consumer, :class:`ChannelsAPIPermission` adapts one to the consumer's permission calls.
"""

from __future__ import annotations

from typing import Any

from ...permissions import BasePermission as ConsumerPermission
from ...types import Scope


class BasePermission:
    """Override :meth:`has_permission`; ``action`` is the action name as sent (``"create"``, ...)."""

    def has_permission(self, user: Any, action: str, pk: Any) -> bool:
        return True


class AllowAny(BasePermission):
    """Everyone may do everything."""

    def has_permission(self, user: Any, action: str, pk: Any) -> bool:
        return True


class IsAuthenticated(BasePermission):
    """Only logged-in users."""

    def has_permission(self, user: Any, action: str, pk: Any) -> bool:
        return bool(user is not None and user.is_authenticated)


class ChannelsAPIPermission(ConsumerPermission):
    """Runs a channels-api permission as a consumer permission: ``pk`` is the message's ``pk``, or
    ``data["pk"]`` for custom actions."""

    def __init__(self, permission: BasePermission) -> None:
        self.permission = permission

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        return bool(self.permission.has_permission(scope.get("user"), action, message_pk(kwargs)))


def message_pk(arguments: dict[str, Any]) -> Any:
    """The ``pk`` a permission sees: the message's ``pk``, else ``data["pk"]`` (custom actions' clients
    send it there)."""
    pk = arguments.get("pk")
    data = arguments.get("data")
    if pk is None and isinstance(data, dict):
        pk = data.get("pk")
    return pk


def consumer_permission(permission: Any) -> Any:
    """``permission`` as the consumer calls it (channels-api ones adapted, others as they are)."""
    if isinstance(permission, BasePermission):
        return ChannelsAPIPermission(permission)
    return permission


__all__ = [
    "AllowAny",
    "BasePermission",
    "ChannelsAPIPermission",
    "IsAuthenticated",
    "consumer_permission",
    "message_pk",
]
