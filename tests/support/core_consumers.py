"""Consumers used by the core test suite (unit tests through WebsocketCommunicator and the e2e tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import Http404
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action, detached, detail_action, list_action
from tests.support.app.models import Item


@pytest.fixture(autouse=True)
def allow_connection_housekeeping(django_db_blocker: Any) -> Iterator[None]:
    """Let channels' ``close_old_connections`` run in tests without the ``django_db`` mark.

    channels 4.3 calls it around every message; after a transactional test the worker thread keeps its
    (in-memory SQLite) connection, and pytest-django's blocker would turn that check into an error.
    Import this fixture into a test module to enable it there.
    """
    with django_db_blocker.unblock():
        yield


class EchoConsumer(AsyncAPIConsumer):
    """Small actions covering results, argument binding and errors."""

    permission_classes = (permissions.AllowAny,)

    @action()
    async def echo(self, value: Any = None, **kwargs: Any) -> tuple[Any, int]:
        return {"value": value}, 200

    @action()
    async def add(self, a: int, b: int) -> tuple[int, int]:
        return a + b, 200

    @action()
    async def strict(self, value: int) -> tuple[int, int]:
        return value, 200

    @action()
    async def configure(self, options: dict[str, Any]) -> tuple[dict[str, Any], int]:
        return options, 200

    @action()
    async def created(self) -> tuple[str, int]:
        return "made", 201

    @action()
    async def silent(self, **kwargs: Any) -> None:
        return None

    @action()
    async def self_reply(self, request_id: Any, **kwargs: Any) -> None:
        await self.reply(action="custom", data="sent by the action", status=202, request_id=request_id)

    @action()
    async def three(self, **kwargs: Any) -> tuple[int, int, int]:
        return 1, 2, 3

    @action()
    async def boom(self, **kwargs: Any) -> None:
        raise RuntimeError("secret internal detail")

    @action()
    async def not_found(self, **kwargs: Any) -> None:
        raise Http404("hidden")

    @action()
    async def drf_not_found(self, **kwargs: Any) -> None:
        raise NotFound()

    @action()
    async def invalid(self, **kwargs: Any) -> None:
        raise ValidationError({"name": ["This field is required."]})

    @action()
    async def seen(self, action: str, request_id: Any) -> tuple[dict[str, Any], int]:
        return {"action": action, "request_id": request_id}, 200

    @action()
    async def no_injection(self) -> tuple[str, int]:
        return "ok", 200

    @action(name="renamed")
    async def method_with_other_name(self, **kwargs: Any) -> tuple[str, int]:
        return "renamed", 200

    @action()
    def sync_count(self, **kwargs: Any) -> tuple[int, int]:
        return Item.objects.count(), 200

    @action()
    async def slow(self, delay: float = 0.05, **kwargs: Any) -> tuple[str, int]:
        await asyncio.sleep(delay)
        return "slow", 200

    @action(detached=True)
    async def later(self, delay: float = 0.1, **kwargs: Any) -> tuple[str, int]:
        await asyncio.sleep(delay)
        return "later", 200

    @action(detached=True)
    async def later_fail(self, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        raise PermissionDenied("Not yours.")

    @action(detached=True)
    async def later_crash(self, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        raise KeyError("secret")

    def helper(self) -> str:
        return "not an action"


class GroupConsumer(AsyncAPIConsumer):
    """Joins and leaves channel-layer groups on request and relays group messages to the client."""

    permission_classes = (permissions.AllowAny,)

    @action()
    async def join(self, group: str) -> tuple[list[str], int]:
        await self.add_group(group)
        return sorted(self.groups), 200

    @action()
    async def leave(self, group: str) -> tuple[list[str], int]:
        await self.remove_group(group)
        return sorted(self.groups), 200

    @action()
    async def say(self, group: str, text: str) -> tuple[None, int]:
        await self.channel_layer.group_send(group, {"type": "chat.message", "text": text})
        return None, 202

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.reply(action="chat", data=event["text"])


class DenyConnect(permissions.BasePermission):
    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return True

    async def can_connect(self, scope: dict[str, Any], consumer: Any, message: Any = None) -> bool:
        return False


class DenyConnectConsumer(EchoConsumer):
    """Refuses every handshake."""

    permission_classes = (DenyConnect,)


class ItemConsumer(AsyncAPIConsumer):
    """Detail and list actions over ``Item`` with its own ``get_queryset``/``get_object``."""

    permission_classes = (permissions.AllowAny,)

    def get_queryset(self, **kwargs: Any) -> Any:
        return Item.objects.order_by("pk")

    def get_object(self, **kwargs: Any) -> Item:
        return self.get_queryset(**kwargs).get(pk=kwargs["pk"])

    @detail_action()
    def rename(self, instance: Item, name: str, **kwargs: Any) -> tuple[dict[str, Any], int]:
        instance.name = name
        instance.save()
        return {"pk": instance.pk, "name": instance.name}, 200

    @detail_action()
    async def peek(self, instance: Item, **kwargs: Any) -> tuple[str, int]:
        return instance.name, 200

    @detail_action()
    def exists(self) -> tuple[bool, int]:
        return True, 200

    @list_action()
    def names(self, **kwargs: Any) -> tuple[list[str], int]:
        return [item.name for item in self.get_queryset(**kwargs)], 200

    @action(atomic=True)
    def create_then_fail(self, name: str, **kwargs: Any) -> None:
        Item.objects.create(name=name)
        raise ValidationError({"name": ["Rolled back."]})

    @action()
    def create_then_fail_default(self, name: str, **kwargs: Any) -> None:
        Item.objects.create(name=name)
        raise ValidationError({"name": ["Maybe rolled back."]})

    @action()
    def count(self, **kwargs: Any) -> tuple[int, int]:
        return Item.objects.count(), 200


class TaskConsumer(AsyncAPIConsumer):
    """Detached work that records whether it finished or was cancelled."""

    permission_classes = (permissions.AllowAny,)
    started: list[Any] = []
    cancelled: list[Any] = []
    finished: list[Any] = []

    @action(detached=True)
    async def wait(self, request_id: Any, **kwargs: Any) -> tuple[str, int]:
        type(self).started.append(request_id)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            type(self).cancelled.append(request_id)
            raise
        type(self).finished.append(request_id)
        return "done", 200

    @detached
    async def background(self, tag: str) -> None:
        type(self).started.append(tag)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            type(self).cancelled.append(tag)
            raise

    @action()
    async def spawn(self, tag: str) -> tuple[int, int]:
        await self.background(tag)
        return sum(len(tasks) for tasks in self.detached_tasks.values()), 200

    @action()
    async def running(self) -> tuple[int, int]:
        return sum(len(tasks) for tasks in self.detached_tasks.values()), 200
