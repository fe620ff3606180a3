"""@action (sync, atomic, detached), @detached, @detail_action and @list_action."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action, detached, detail_action, list_action
from tests.support.app.models import Item
from tests.support.core_consumers import (  # noqa: F401
    EchoConsumer,
    ItemConsumer,
    TaskConsumer,
    allow_connection_housekeeping,
)
from tests.support.envelope import reply

TOO_MANY = ["Too many detached actions are running on this connection; wait for one to finish."]


async def connect(consumer_class: type) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(consumer_class.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def ask(communicator: WebsocketCommunicator, message: dict[str, Any]) -> dict[str, Any]:
    await communicator.send_json_to(message)
    return await communicator.receive_json_from()


@pytest.fixture
def tasks() -> type[TaskConsumer]:
    TaskConsumer.started, TaskConsumer.cancelled, TaskConsumer.finished = [], [], []
    return TaskConsumer


async def wait_until(condition: Any, timeout: float = 2.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


# -- decoration rules -----------------------------------------------------------------------------


def test_async_action_cannot_be_atomic() -> None:
    with pytest.raises(ValueError, match="^Only synchronous actions can be atomic$"):

        @action(atomic=True)
        async def act(self: Any) -> None: ...


def test_sync_action_cannot_be_detached() -> None:
    with pytest.raises(ValueError, match="^Only asynchronous actions can be detached$"):

        @action(detached=True)
        def act(self: Any) -> None: ...


def test_detached_needs_a_coroutine_function() -> None:
    with pytest.raises(ValueError, match="^Only asynchronous methods can be detached$"):

        @detached
        def work(self: Any) -> None: ...


def test_sync_action_becomes_a_coroutine_function() -> None:
    assert asyncio.iscoroutinefunction(ItemConsumer.count)
    assert ItemConsumer.count.__name__ == "count"
    assert ItemConsumer.count.action is True  # type: ignore[attr-defined]


def test_async_action_is_returned_unchanged() -> None:
    async def act(self: Any) -> None: ...

    assert action()(act) is act


def test_detail_and_list_markers() -> None:
    assert ItemConsumer.rename.detail is True  # type: ignore[attr-defined]
    assert ItemConsumer.names.detail is False  # type: ignore[attr-defined]
    assert {"rename", "peek", "names"} <= set(ItemConsumer.available_actions)


# -- atomic ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_atomic_action_rolls_back_on_error() -> None:
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "create_then_fail", "name": "ghost", "request_id": 1}) == reply(
        "create_then_fail", errors=[{"name": ["Rolled back."]}], status=400, request_id=1
    )
    assert await ask(communicator, {"action": "count"}) == reply("count", 0)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_non_atomic_action_keeps_writes_by_default() -> None:
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "create_then_fail_default", "name": "kept"}) == reply(
        "create_then_fail_default", errors=[{"name": ["Maybe rolled back."]}], status=400
    )
    assert await ask(communicator, {"action": "count"}) == reply("count", 1)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_atomic_requests_setting_is_the_default(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(settings.DATABASES["default"], "ATOMIC_REQUESTS", True)
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "create_then_fail_default", "name": "ghost"}) == reply(
        "create_then_fail_default", errors=[{"name": ["Maybe rolled back."]}], status=400
    )
    assert await ask(communicator, {"action": "count"}) == reply("count", 0)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_atomic_false_wins_over_atomic_requests(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    class NotAtomic(ItemConsumer):
        @action(atomic=False)
        def write_then_fail(self, **kwargs: Any) -> None:
            Item.objects.create(name="kept")
            raise ValueError("boom")

    monkeypatch.setitem(settings.DATABASES["default"], "ATOMIC_REQUESTS", True)
    communicator = await connect(NotAtomic)
    assert await ask(communicator, {"action": "write_then_fail"}) == reply(
        "write_then_fail", errors=["A server error occurred."], status=500
    )
    assert await ask(communicator, {"action": "count"}) == reply("count", 1)
    await communicator.disconnect()


# -- detached actions -----------------------------------------------------------------------------


async def test_detached_action_replies_later_while_others_are_answered() -> None:
    communicator = await connect(EchoConsumer)
    await communicator.send_json_to({"action": "later", "delay": 0.2, "request_id": "slow"})
    assert await ask(communicator, {"action": "echo", "value": 1, "request_id": "fast"}) == reply(
        "echo", {"value": 1}, request_id="fast"
    )
    assert await communicator.receive_json_from() == reply("later", "later", request_id="slow")
    await communicator.disconnect()


async def test_detached_api_error_is_replied() -> None:
    communicator = await connect(EchoConsumer)
    assert await ask(communicator, {"action": "later_fail", "request_id": 5}) == reply(
        "later_fail", errors=["Not yours."], status=403, request_id=5
    )
    await communicator.disconnect()


async def test_detached_crash_is_a_500_reply_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="djangochannelsrestframework")
    communicator = await connect(EchoConsumer)
    assert await ask(communicator, {"action": "later_crash", "request_id": 5}) == reply(
        "later_crash", errors=["A server error occurred."], status=500, request_id=5
    )
    assert "KeyError: 'secret'" in caplog.text
    assert await ask(communicator, {"action": "echo"}) == reply("echo", {"value": None})
    await communicator.disconnect()


async def test_detached_action_without_action_or_request_id_parameters() -> None:
    class Minimal(AsyncAPIConsumer):
        @action(detached=True)
        async def work(self, n: int) -> tuple[int, int]:
            await asyncio.sleep(0)
            return n * 2, 200

    communicator = await connect(Minimal)
    assert await ask(communicator, {"action": "work", "n": 21, "request_id": "w"}) == reply("work", 42, request_id="w")
    await communicator.disconnect()


async def test_disconnect_cancels_every_detached_task(tasks: type[TaskConsumer]) -> None:
    communicator = await connect(tasks)
    for request_id in (1, 2, 3, 4):
        await communicator.send_json_to({"action": "wait", "request_id": request_id})
    assert await ask(communicator, {"action": "running"}) == reply("running", 4)
    await wait_until(lambda: len(tasks.started) == 4)
    await communicator.disconnect()
    assert sorted(tasks.cancelled) == [1, 2, 3, 4]
    assert tasks.finished == []


async def test_detached_task_is_forgotten_when_done() -> None:
    communicator = await connect(EchoConsumer)
    assert await ask(communicator, {"action": "later", "delay": 0}) == reply("later", "later")
    await asyncio.sleep(0.01)
    await communicator.send_json_to({"action": "echo"})
    await communicator.receive_json_from()
    await communicator.disconnect()


async def test_detached_task_limit(settings: Any, tasks: type[TaskConsumer]) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"MAX_DETACHED_TASKS": 2}
    communicator = await connect(tasks)
    await communicator.send_json_to({"action": "wait", "request_id": 1})
    await communicator.send_json_to({"action": "wait", "request_id": 2})
    assert await ask(communicator, {"action": "wait", "request_id": 3}) == reply(
        "wait", errors=TOO_MANY, status=429, request_id=3
    )
    assert await ask(communicator, {"action": "running"}) == reply("running", 2)
    await communicator.disconnect()
    assert sorted(tasks.cancelled) == [1, 2]
    assert 3 not in tasks.started


async def test_detached_task_limit_can_be_switched_off(settings: Any, tasks: type[TaskConsumer]) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"MAX_DETACHED_TASKS": None}
    communicator = await connect(tasks)
    for request_id in range(70):
        await communicator.send_json_to({"action": "wait", "request_id": request_id})
    assert await ask(communicator, {"action": "running"}) == reply("running", 70)
    await communicator.disconnect()
    assert tasks.finished == []


async def test_detached_slot_is_freed_when_a_task_ends(settings: Any) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"MAX_DETACHED_TASKS": 1}
    communicator = await connect(EchoConsumer)
    assert await ask(communicator, {"action": "later", "delay": 0, "request_id": 1}) == reply(
        "later", "later", request_id=1
    )
    await asyncio.sleep(0.01)
    assert await ask(communicator, {"action": "later", "delay": 0, "request_id": 2}) == reply(
        "later", "later", request_id=2
    )
    await communicator.disconnect()


async def test_detached_method_runs_in_background_and_is_cancelled(tasks: type[TaskConsumer]) -> None:
    communicator = await connect(tasks)
    assert await ask(communicator, {"action": "spawn", "tag": "a"}) == reply("spawn", 1)
    assert await ask(communicator, {"action": "spawn", "tag": "b"}) == reply("spawn", 2)
    await wait_until(lambda: len(tasks.started) == 2)
    await communicator.disconnect()
    assert sorted(tasks.cancelled) == ["a", "b"]


async def test_cancel_detached_tasks_by_request_id(tasks: type[TaskConsumer]) -> None:
    consumer = tasks()
    consumer.start_detached_task("wait", asyncio.sleep(30), request_id="a")
    consumer.start_detached_task("wait", asyncio.sleep(30), request_id="b")
    assert await consumer.cancel_detached_tasks("wait", request_id="a") == 1
    assert len(consumer.detached_tasks["wait"]) == 1
    assert await consumer.cancel_detached_tasks() == 1
    assert dict(consumer.detached_tasks) == {}


# -- detail and list actions ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_detail_action_receives_the_instance() -> None:
    item = await Item.objects.acreate(name="old")
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "rename", "pk": item.pk, "name": "new", "request_id": 1}) == reply(
        "rename", {"pk": item.pk, "name": "new"}, request_id=1
    )
    assert (await Item.objects.aget(pk=item.pk)).name == "new"
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_async_detail_action() -> None:
    item = await Item.objects.acreate(name="peeked")
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "peek", "pk": item.pk}) == reply("peek", "peeked")
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_detail_action_without_parameters_still_takes_the_lookup_key() -> None:
    item = await Item.objects.acreate(name="here")
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "exists", "pk": item.pk}) == reply("exists", True)
    assert await ask(communicator, {"action": "exists", "pk": item.pk + 1}) == reply(
        "exists", errors=["Not found"], status=404
    )
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_client_cannot_replace_the_instance() -> None:
    item = await Item.objects.acreate(name="real")
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "peek", "pk": item.pk, "instance": "fake"}) == reply("peek", "real")
    assert await ask(communicator, {"action": "exists", "pk": item.pk, "instance": "fake"}) == reply("exists", True)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_detail_action_without_lookup_key_is_400() -> None:
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "rename", "name": "x", "request_id": 2}) == reply(
        "rename", errors=[{"pk": ["This argument is required."]}], status=400, request_id=2
    )
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_detail_action_missing_object_is_404() -> None:
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "rename", "pk": 999, "name": "x", "request_id": 3}) == reply(
        "rename", errors=["Not found"], status=404, request_id=3
    )
    assert await ask(communicator, {"action": "peek", "pk": 999}) == reply("peek", errors=["Not found"], status=404)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_detail_action_uses_lookup_url_kwarg() -> None:
    class ByName(ItemConsumer):
        lookup_url_kwarg = "item_name"

        def get_object(self, **kwargs: Any) -> Item:
            return Item.objects.get(name=kwargs["item_name"])

        @detail_action()
        def value_of(self, instance: Item) -> tuple[int, int]:
            return instance.value, 200

    await Item.objects.acreate(name="answer", value=42)
    communicator = await connect(ByName)
    assert await ask(communicator, {"action": "value_of", "item_name": "answer"}) == reply("value_of", 42)
    assert await ask(communicator, {"action": "value_of"}) == reply(
        "value_of", errors=[{"item_name": ["This argument is required."]}], status=400
    )
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_list_action_sees_the_queryset() -> None:
    await Item.objects.acreate(name="a")
    await Item.objects.acreate(name="b")
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "names", "request_id": 9}) == reply("names", ["a", "b"], request_id=9)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_list_action_on_empty_table() -> None:
    communicator = await connect(ItemConsumer)
    assert await ask(communicator, {"action": "names"}) == reply("names", [])
    await communicator.disconnect()


async def test_list_action_async() -> None:
    class Lists(AsyncAPIConsumer):
        @list_action()
        async def summary(self, **kwargs: Any) -> tuple[str, int]:
            return "summary", 200

    communicator = await connect(Lists)
    assert await ask(communicator, {"action": "summary"}) == reply("summary", "summary")
    await communicator.disconnect()
