"""``@subscribable``: the django-rest-live 0.2 API, a serializer decorator naming how clients may
subscribe to its model (by primary key, or by a group key such as ``list_id``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from django.db.models import Model
from rest_framework import serializers

from . import DEFAULT_GROUP_BY_FIELD
from .engine import observer_for

#: ``check_permission(user, instance)``: whether ``user`` may get ``instance`` through a serializer.
PermissionCheck = Callable[[Any, Model], bool]


class Subscribable(NamedTuple):
    """One ``@subscribable`` registration: a serializer and the check that chooses who gets it."""

    serializer_class: type[serializers.BaseSerializer[Any]]
    check_permission: PermissionCheck | None


#: model label -> group key -> registrations, in the order they were made.
_subscribables: dict[str, dict[str, list[Subscribable]]] = {}

S = TypeVar("S", bound=type)


def subscribable(
    group_key: str = DEFAULT_GROUP_BY_FIELD, check_permission: PermissionCheck | None = None
) -> Callable[[S], S]:
    """Let clients subscribe to the serializer's model by ``group_key`` (``"pk"`` by default).

    Stack it for several group keys.  Several serializers of one model and group key, each with a
    ``check_permission(user, instance)``, send each subscriber the serializers whose check passes
    (the conditional serializer pattern); without a check a serializer goes to everyone."""

    def decorator(cls: S) -> S:
        if issubclass(cls, serializers.ModelSerializer):
            model: type[Model] = cls.Meta.model
            entries = _subscribables.setdefault(model._meta.label, {}).setdefault(group_key, [])
            entries.append(Subscribable(cls, check_permission))
            observer_for(model)
        return cls

    return decorator


def __register_subscription(
    cls: type[serializers.BaseSerializer[Any]], group_key: str, check_permission: PermissionCheck | None
) -> None:
    """Make ``cls`` the only serializer of its model for subscriptions by ``group_key``: the
    registration django-rest-live 0.2's ``@subscribable`` made (a later one replaced an earlier
    one), kept for code that called it directly, such as 0.2's own test suite."""
    if issubclass(cls, serializers.ModelSerializer):
        model: type[Model] = cls.Meta.model
        _subscribables.setdefault(model._meta.label, {})[group_key] = [Subscribable(cls, check_permission)]
        observer_for(model)


def registrations(model_label: str, group_key: str) -> list[Subscribable]:
    """The serializers registered for subscriptions to ``model_label`` by ``group_key``."""
    return list(_subscribables.get(model_label, {}).get(group_key, ()))


def clear_registrations() -> None:
    """Forget every ``@subscribable`` registration (for tests)."""
    _subscribables.clear()


__all__ = [
    "PermissionCheck",
    "Subscribable",
    "clear_registrations",
    "registrations",
    "subscribable",
]
