"""Permission classes for consumers.

Our permissions receive the scope and the consumer instead of a request and a view::

    class IsOwner(BasePermission):
        async def has_permission(self, scope, consumer, action, **kwargs) -> bool:
            ...

Every method may be sync or async.  ``permission_classes`` also accepts DRF permission
classes (and DRF's ``&``/``|``/``~`` compositions), which are wrapped so they see an
``HttpRequest`` built from the websocket scope.  Classes of either kind compose with
``&``, ``|`` and ``~`` in any order.
"""

from __future__ import annotations

import asyncio
from typing import Any
from typing import Dict as Dict  # noqa: UP035
from typing import Type as Type  # noqa: UP035

from channels.consumer import AsyncConsumer as AsyncConsumer
from channels.db import database_sync_to_async
from rest_framework import permissions as drf_permissions
from rest_framework.permissions import BasePermission as DRFBasePermission

from ._engine.arguments import accepted_kwargs
from ._engine.overrides import Hooks, overrides
from .scope_utils import ensure_async as ensure_async
from .scope_utils import request_from_scope
from .types import Scope


async def call_permission(permission: Any, method_name: str, /, **kwargs: Any) -> bool:
    """Call ``permission.<method_name>`` with the keywords it accepts; sync methods run in a thread.

    The first two parameters are positional-only so message keys such as ``permission`` can pass through.
    """
    method = getattr(permission, method_name)
    kwargs = accepted_kwargs(method, kwargs)
    if asyncio.iscoroutinefunction(method):
        result = await method(**kwargs)
    else:
        result = await database_sync_to_async(method)(**kwargs)
    return bool(result)


class OperationHolderMixin:
    """Gives permission classes (and compositions of them) the ``&``, ``|`` and ``~`` operators."""

    def __and__(self, other: Any) -> OperandHolder:
        return OperandHolder(AND, self, other)

    def __or__(self, other: Any) -> OperandHolder:
        return OperandHolder(OR, self, other)

    def __rand__(self, other: Any) -> OperandHolder:
        return OperandHolder(AND, other, self)

    def __ror__(self, other: Any) -> OperandHolder:
        return OperandHolder(OR, other, self)

    def __invert__(self) -> SingleOperandHolder:
        return SingleOperandHolder(NOT, self)


class SingleOperandHolder(OperationHolderMixin):
    """A pending ``~Permission``; calling it builds the permission instance."""

    def __init__(self, operator_class: type, op1_class: Any) -> None:
        self.operator_class = operator_class
        self.op1_class = op1_class

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.operator_class(instantiate_permission(self.op1_class))


class OperandHolder(OperationHolderMixin):
    """A pending ``A & B`` or ``A | B``; calling it builds the permission instance."""

    def __init__(self, operator_class: type, op1_class: Any, op2_class: Any) -> None:
        self.operator_class = operator_class
        self.op1_class = op1_class
        self.op2_class = op2_class

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.operator_class(instantiate_permission(self.op1_class), instantiate_permission(self.op2_class))


class BasePermissionMetaclass(OperationHolderMixin, type):  # type: ignore[misc]
    """Lets permission classes be combined with ``&``, ``|`` and ``~``."""


class BasePermission(metaclass=BasePermissionMetaclass):
    """Base class for consumer permissions; override the checks you need.

    ``has_permission`` runs before every action with the message's keys as keyword
    arguments and denies unless it returns something truthy.  ``can_connect`` runs
    once at the handshake and allows by default.  ``has_object_permission`` runs
    for every action that touches one object (``get_object``) and allows by default.
    """

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        return False

    async def can_connect(self, scope: Scope, consumer: Any, message: Any = None) -> bool:
        return True

    async def has_object_permission(self, scope: Scope, consumer: Any, action: str, obj: Any, **kwargs: Any) -> bool:
        return True


class AllowAny(BasePermission):
    """Allow every action."""

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        return True


class IsAuthenticated(BasePermission):
    """Allow actions only for an authenticated ``scope["user"]`` (sockets still connect)."""

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        user = scope.get("user")
        return bool(user and getattr(user, "pk", None) and user.is_authenticated)


class AND(BasePermission):
    """Both operands must allow."""

    def __init__(self, op1: Any, op2: Any) -> None:
        self.op1 = op1
        self.op2 = op2

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        kw = dict(scope=scope, consumer=consumer, action=action, **kwargs)
        return await call_permission(self.op1, "has_permission", **kw) and await call_permission(
            self.op2, "has_permission", **kw
        )

    async def can_connect(self, scope: Scope, consumer: Any, message: Any = None) -> bool:
        kw = dict(scope=scope, consumer=consumer, message=message)
        return await call_permission(self.op1, "can_connect", **kw) and await call_permission(
            self.op2, "can_connect", **kw
        )

    async def has_object_permission(self, scope: Scope, consumer: Any, action: str, obj: Any, **kwargs: Any) -> bool:
        kw = dict(scope=scope, consumer=consumer, action=action, obj=obj, **kwargs)
        return await call_permission(self.op1, "has_object_permission", **kw) and await call_permission(
            self.op2, "has_object_permission", **kw
        )


class OR(BasePermission):
    """Either operand must allow; for objects, the operand must allow both the action and the object."""

    def __init__(self, op1: Any, op2: Any) -> None:
        self.op1 = op1
        self.op2 = op2

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        kw = dict(scope=scope, consumer=consumer, action=action, **kwargs)
        return await call_permission(self.op1, "has_permission", **kw) or await call_permission(
            self.op2, "has_permission", **kw
        )

    async def can_connect(self, scope: Scope, consumer: Any, message: Any = None) -> bool:
        kw = dict(scope=scope, consumer=consumer, message=message)
        return await call_permission(self.op1, "can_connect", **kw) or await call_permission(
            self.op2, "can_connect", **kw
        )

    async def has_object_permission(self, scope: Scope, consumer: Any, action: str, obj: Any, **kwargs: Any) -> bool:
        kw = dict(scope=scope, consumer=consumer, action=action, **kwargs)
        for op in (self.op1, self.op2):
            if await call_permission(op, "has_permission", **kw) and await call_permission(
                op, "has_object_permission", obj=obj, **kw
            ):
                return True
        return False


class NOT(BasePermission):
    """The operand must deny."""

    def __init__(self, op1: Any) -> None:
        self.op1 = op1

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        return not await call_permission(
            self.op1, "has_permission", scope=scope, consumer=consumer, action=action, **kwargs
        )

    async def can_connect(self, scope: Scope, consumer: Any, message: Any = None) -> bool:
        return not await call_permission(self.op1, "can_connect", scope=scope, consumer=consumer, message=message)

    async def has_object_permission(self, scope: Scope, consumer: Any, action: str, obj: Any, **kwargs: Any) -> bool:
        return not await call_permission(
            self.op1, "has_object_permission", scope=scope, consumer=consumer, action=action, obj=obj, **kwargs
        )


class WrappedDRFPermission(BasePermission):
    """Runs a DRF permission against an ``HttpRequest`` built from the scope.

    The request's method comes from :attr:`mapped_actions`, else the action name in
    upper case (``delete`` -> ``DELETE``); the consumer is passed as the view.
    """

    mapped_actions = {
        "create": "PUT",
        "update": "PATCH",
        "list": "GET",
        "retrieve": "GET",
        "connect": "HEAD",
    }

    def __init__(self, permission: drf_permissions.BasePermission) -> None:
        self.permission = permission

    def _request(self, scope: Scope, action: str) -> Any:
        request = request_from_scope(scope)
        request.method = self.mapped_actions.get(action, action.upper())
        return request

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        request = self._request(scope, action)
        return bool(await database_sync_to_async(self.permission.has_permission)(request, consumer))

    async def can_connect(self, scope: Scope, consumer: Any, message: Any = None) -> bool:
        request = self._request(scope, "connect")
        return bool(await database_sync_to_async(self.permission.has_permission)(request, consumer))

    async def has_object_permission(self, scope: Scope, consumer: Any, action: str, obj: Any, **kwargs: Any) -> bool:
        request = self._request(scope, action)
        return bool(await database_sync_to_async(self.permission.has_object_permission)(request, consumer, obj))


_DRF_BINARY = {drf_permissions.AND: AND, drf_permissions.OR: OR}


def as_consumer_permission(permission: Any) -> Any:
    """Turn a permission instance of either library into one with our async interface."""
    if isinstance(permission, BasePermission):
        return permission
    operator = _DRF_BINARY.get(type(permission))
    if operator is not None:
        return operator(as_consumer_permission(permission.op1), as_consumer_permission(permission.op2))
    if type(permission) is drf_permissions.NOT:
        return NOT(as_consumer_permission(getattr(permission, "op1")))  # noqa: B009
    if isinstance(permission, drf_permissions.BasePermission):
        return WrappedDRFPermission(permission)
    return permission


def needs_object_check(permission: Any) -> bool:
    """False when ``permission`` keeps the allow-all ``has_object_permission`` of its base class."""
    if isinstance(permission, WrappedDRFPermission):
        return overrides(type(permission.permission), _DRF_OBJECT_CHECK)
    kind = type(permission)
    return overrides(kind, _OBJECT_CHECK) and hasattr(kind, "has_object_permission")


_OBJECT_CHECK = Hooks(BasePermission, "has_object_permission")
_DRF_OBJECT_CHECK = Hooks(drf_permissions.BasePermission, "has_object_permission")


def instantiate_permission(permission_class: Any) -> Any:
    """An instance of an entry of ``permission_classes`` (ours, DRF's, or an operator holder), as a
    consumer permission."""
    return as_consumer_permission(permission_class())


#: DCRF 1.3's name for :func:`instantiate_permission`, kept for compatibility.
_ensure_base = instantiate_permission


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "AND",
    "NOT",
    "OR",
    "AllowAny",
    "Any",
    "AsyncConsumer",
    "BasePermission",
    "BasePermissionMetaclass",
    "DRFBasePermission",
    "Dict",
    "IsAuthenticated",
    "OperandHolder",
    "OperationHolderMixin",
    "SingleOperandHolder",
    "Type",
    "WrappedDRFPermission",
    "as_consumer_permission",
    "call_permission",
    "ensure_async",
    "instantiate_permission",
    "needs_object_check",
    "request_from_scope",
]
