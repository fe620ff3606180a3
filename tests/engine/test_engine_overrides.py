"""``overrides``: whether a class keeps the hooks a fast path stands in for."""

from __future__ import annotations

from typing import Any
from unittest import mock

from channels.testing import WebsocketCommunicator

from djangochannelsrestframework import permissions
from djangochannelsrestframework._engine.overrides import Hooks, forget, overrides
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from tests.support.envelope import connect, reply


class Base:
    def hook(self) -> str:
        return "base"

    @classmethod
    def encode(cls) -> str:
        return "base"


class Kept(Base):
    pass


class Replaced(Base):
    def hook(self) -> str:
        return "replaced"


class Reencoded(Base):
    @classmethod
    def encode(cls) -> str:
        return "reencoded"


class Mixin:
    def hook(self) -> str:
        return "mixin"


class MixinBelow(Base, Mixin):
    # Base.hook comes first, but a super() call from it would now reach the mixin.
    pass


def test_a_subclass_that_defines_nothing_keeps_the_hooks() -> None:
    assert not overrides(Kept, Hooks(Base, "hook", "encode"))
    assert not overrides(Base, Hooks(Base, "hook"))


def test_a_subclass_defining_one_of_the_hooks_overrides_them() -> None:
    assert overrides(Replaced, Hooks(Base, "hook", "encode"))
    assert not overrides(Replaced, Hooks(Base, "encode"))


def test_class_methods_compare_as_defined() -> None:
    assert not overrides(Kept, Hooks(Base, "encode"))
    assert overrides(Reencoded, Hooks(Base, "encode"))


def test_a_definition_anywhere_in_the_mro_counts() -> None:
    assert overrides(MixinBelow, Hooks(Base, "hook"))


def test_equal_hooks_are_the_same_object() -> None:
    assert Hooks(Base, "hook", "encode") is Hooks(Base, "hook", "encode")
    assert Hooks(Base, "encode", "hook") is not Hooks(Base, "hook", "encode")


def test_a_patched_base_counts_as_overridden() -> None:
    hooks = Hooks(Base, "hook")
    assert not overrides(Kept, hooks)
    original = Base.hook
    try:
        Base.hook = lambda self: "patched"  # type: ignore[method-assign]
        forget(Base)
        assert overrides(Kept, hooks)
    finally:
        Base.hook = original  # type: ignore[method-assign]
        forget(Base)
    assert not overrides(Kept, hooks)


class Refuses(permissions.BasePermission):
    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return False


class OpenConsumer(AsyncAPIConsumer):
    permission_classes = [permissions.AllowAny]

    @action()
    async def ping(self, **kwargs: Any) -> tuple[dict[str, str], int]:
        return {"pong": "yes"}, 200


async def ping(communicator: WebsocketCommunicator) -> dict[str, Any]:
    await communicator.send_json_to({"action": "ping", "request_id": 1})
    reply_frame: dict[str, Any] = await communicator.receive_json_from()
    return reply_frame


async def test_patching_a_consumer_after_it_served_takes_effect() -> None:
    # The permission fast path has read OpenConsumer once it served; a test that then patches
    # get_permissions (as DCRF users do) must still be obeyed, and the patch's end as well.
    communicator = await connect(OpenConsumer)
    assert await ping(communicator) == reply("ping", {"pong": "yes"}, request_id=1)
    with mock.patch.object(OpenConsumer, "get_permissions", return_value=[Refuses()]):
        assert await ping(communicator) == reply(
            "ping", errors=["You do not have permission to perform this action."], status=403, request_id=1
        )
    assert await ping(communicator) == reply("ping", {"pong": "yes"}, request_id=1)
    await communicator.disconnect()
