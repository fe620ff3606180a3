"""AsyncAPIConsumer: the action registry, results, request ids, argument injection and groups."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from djangochannelsrestframework.consumers import APIConsumerMetaclass, AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from tests.support.app.models import Item
from tests.support.core_consumers import EchoConsumer, GroupConsumer, allow_connection_housekeeping  # noqa: F401
from tests.support.envelope import reply


@pytest.fixture
async def echo():
    communicator = WebsocketCommunicator(EchoConsumer.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    yield communicator
    await communicator.disconnect()


# -- the registry ---------------------------------------------------------------------------------


def test_metaclass_is_public() -> None:
    assert type(AsyncAPIConsumer) is APIConsumerMetaclass


def test_available_actions_maps_wire_names_to_methods() -> None:
    assert EchoConsumer.available_actions["echo"] == "echo"
    assert EchoConsumer.available_actions["renamed"] == "method_with_other_name"
    assert "method_with_other_name" not in EchoConsumer.available_actions
    assert "helper" not in EchoConsumer.available_actions
    assert "receive_json" not in EchoConsumer.available_actions


def test_base_consumer_has_no_actions() -> None:
    assert AsyncAPIConsumer.available_actions == {}


def test_subclass_inherits_actions() -> None:
    class Child(EchoConsumer):
        @action()
        async def extra(self) -> tuple[str, int]:
            return "extra", 200

    assert Child.available_actions["echo"] == "echo"
    assert Child.available_actions["extra"] == "extra"
    assert "extra" not in EchoConsumer.available_actions


def test_overriding_without_decorator_removes_the_action() -> None:
    class Child(EchoConsumer):
        async def echo(self, value: Any = None, **kwargs: Any) -> tuple[Any, int]:  # type: ignore[override]
            return "hidden", 200

    assert "echo" not in Child.available_actions
    assert "add" in Child.available_actions


def test_action_marks_method() -> None:
    assert EchoConsumer.echo.action is True  # type: ignore[attr-defined]
    assert EchoConsumer.method_with_other_name.kwargs == {"name": "renamed"}  # type: ignore[attr-defined]


async def test_renamed_action_on_the_wire(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "renamed", "request_id": 1})
    assert await echo.receive_json_from() == reply("renamed", "renamed", request_id=1)


async def test_method_name_of_renamed_action_is_not_callable(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "method_with_other_name", "request_id": 1})
    assert await echo.receive_json_from() == reply(
        "method_with_other_name", errors=['Method "method_with_other_name" not allowed.'], status=405, request_id=1
    )


async def test_overridden_action_is_not_callable() -> None:
    class Child(EchoConsumer):
        async def echo(self, value: Any = None, **kwargs: Any) -> tuple[Any, int]:  # type: ignore[override]
            return "hidden", 200

    communicator = WebsocketCommunicator(Child.as_asgi(), "/ws/")
    await communicator.connect()
    await communicator.send_json_to({"action": "echo", "request_id": 1})
    assert await communicator.receive_json_from() == reply(
        "echo", errors=['Method "echo" not allowed.'], status=405, request_id=1
    )
    await communicator.disconnect()


@pytest.mark.parametrize("name", ["helper", "receive_json", "reply", "__init__", "handle_action", "no_such_action"])
async def test_non_actions_are_not_allowed(echo: WebsocketCommunicator, name: str) -> None:
    await echo.send_json_to({"action": name, "request_id": 1})
    assert await echo.receive_json_from() == reply(
        name, errors=[f'Method "{name}" not allowed.'], status=405, request_id=1
    )


# -- results --------------------------------------------------------------------------------------


async def test_async_action_round_trip(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "echo", "value": {"nested": [1, 2.5, "x", None, True]}, "request_id": 7})
    assert await echo.receive_json_from() == reply(
        "echo", {"value": {"nested": [1, 2.5, "x", None, True]}}, request_id=7
    )


async def test_reply_key_order(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "echo", "request_id": 7})
    raw = await echo.receive_from()
    assert raw == '{"errors":[],"data":{"value":null},"action":"echo","response_status":200,"request_id":7}'


async def test_status_from_result_tuple(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "created"})
    assert await echo.receive_json_from() == reply("created", "made", status=201)


async def test_none_result_sends_nothing(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "silent", "request_id": 1})
    assert await echo.receive_nothing()
    await echo.send_json_to({"action": "echo", "value": 1})
    assert await echo.receive_json_from() == reply("echo", {"value": 1})


async def test_action_can_send_its_own_reply(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "self_reply", "request_id": "abc"})
    assert await echo.receive_json_from() == reply("custom", "sent by the action", status=202, request_id="abc")
    assert await echo.receive_nothing()


async def test_tuple_of_three_is_a_server_error(echo: WebsocketCommunicator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="djangochannelsrestframework")
    await echo.send_json_to({"action": "three", "request_id": 1})
    assert await echo.receive_json_from() == reply(
        "three", errors=["A server error occurred."], status=500, request_id=1
    )
    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        (
            "WARNING",
            "Action 'three' returned a tuple of 3 items ((1, 2, 3)); return (data, status) to reply, or None when "
            "the action sends its own replies. The client got a 500 reply.",
        )
    ]


async def test_unhandled_exception_is_500_without_details(
    echo: WebsocketCommunicator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="djangochannelsrestframework")
    await echo.send_json_to({"action": "boom", "request_id": 1})
    raw = await echo.receive_from()
    assert (
        raw
        == '{"errors":["A server error occurred."],"data":null,"action":"boom","response_status":500,"request_id":1}'
    )
    assert "secret internal detail" in caplog.text
    assert "Traceback" in caplog.text


async def test_http404_reply(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "not_found", "request_id": 1})
    assert await echo.receive_json_from() == reply("not_found", errors=["Not found"], status=404, request_id=1)


async def test_drf_not_found_reply(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "drf_not_found", "request_id": 1})
    assert await echo.receive_json_from() == reply("drf_not_found", errors=["Not found."], status=404, request_id=1)


async def test_validation_error_reply(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "invalid", "request_id": 1})
    assert await echo.receive_json_from() == reply(
        "invalid", errors=[{"name": ["This field is required."]}], status=400, request_id=1
    )


@pytest.mark.django_db(transaction=True)
async def test_sync_action_runs_in_a_thread_with_database_access(echo: WebsocketCommunicator) -> None:
    await Item.objects.acreate(name="a")
    await Item.objects.acreate(name="b")
    await echo.send_json_to({"action": "sync_count", "request_id": 1})
    assert await echo.receive_json_from() == reply("sync_count", 2, request_id=1)


# -- request ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_id",
    [
        0,
        1,
        -17,
        2**40,
        12345678901234567890123,
        1.5,
        -0.25,
        "",
        "abc",
        "ünï 😀",
        [],
        [1, "a", None],
        {},
        {"k": [1]},
        True,
        False,
        None,
    ],
)
async def test_request_id_is_echoed_verbatim(echo: WebsocketCommunicator, request_id: Any) -> None:
    await echo.send_json_to({"action": "echo", "request_id": request_id})
    received = await echo.receive_json_from()
    assert received == reply("echo", {"value": None}, request_id=request_id)
    assert type(received["request_id"]) is type(request_id)


async def test_request_id_echoed_on_errors(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "add", "request_id": {"id": 3}})
    assert await echo.receive_json_from() == reply(
        "add",
        errors=[{"a": ["This argument is required."], "b": ["This argument is required."]}],
        status=400,
        request_id={"id": 3},
    )


async def test_absent_request_id_is_null(echo: WebsocketCommunicator) -> None:
    await echo.send_to(text_data='{"action": "echo"}')
    assert (
        await echo.receive_from()
        == '{"errors":[],"data":{"value":null},"action":"echo","response_status":200,"request_id":null}'
    )


# -- argument injection ----------------------------------------------------------------------------


async def test_action_and_request_id_injected_when_accepted(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "seen", "request_id": "r-1"})
    assert await echo.receive_json_from() == reply("seen", {"action": "seen", "request_id": "r-1"}, request_id="r-1")


async def test_nothing_injected_when_not_accepted(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "no_injection", "request_id": 3})
    assert await echo.receive_json_from() == reply("no_injection", "ok", request_id=3)


async def test_named_arguments(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "add", "a": 2, "b": 40, "request_id": 1})
    assert await echo.receive_json_from() == reply("add", 42, request_id=1)


async def test_kwargs_action_receives_extra_keys() -> None:
    class Collect(AsyncAPIConsumer):
        @action()
        async def collect(self, **kwargs: Any) -> tuple[dict[str, Any], int]:
            return kwargs, 200

    communicator = WebsocketCommunicator(Collect.as_asgi(), "/ws/")
    await communicator.connect()
    await communicator.send_json_to({"action": "collect", "request_id": 4, "pk": 1, "data": {"a": 1}})
    assert await communicator.receive_json_from() == reply(
        "collect", {"request_id": 4, "action": "collect", "pk": 1, "data": {"a": 1}}, request_id=4
    )
    await communicator.disconnect()


async def test_documented_example_signature() -> None:
    class MyConsumer(AsyncAPIConsumer):
        @action()
        async def delete_user(self, request_id, user_pk, **kwargs):  # type: ignore[no-untyped-def]
            return {"deleted": user_pk, "request_id": request_id}, 204

    communicator = WebsocketCommunicator(MyConsumer.as_asgi(), "/ws/")
    await communicator.connect()
    await communicator.send_json_to({"action": "delete_user", "user_pk": 5, "request_id": 10})
    assert await communicator.receive_json_from() == reply(
        "delete_user", {"deleted": 5, "request_id": 10}, status=204, request_id=10
    )
    await communicator.disconnect()


# -- consumer instances ---------------------------------------------------------------------------


async def test_consumer_instance_works_with_communicator() -> None:
    communicator = WebsocketCommunicator(EchoConsumer(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"action": "echo", "value": "x", "request_id": 1})
    assert await communicator.receive_json_from() == reply("echo", {"value": "x"}, request_id=1)
    await communicator.send_json_to({"action": "nope", "request_id": 2})
    assert await communicator.receive_json_from() == reply(
        "nope", errors=['Method "nope" not allowed.'], status=405, request_id=2
    )
    await communicator.disconnect()


def test_instances_do_not_share_state() -> None:
    first, second = EchoConsumer(), EchoConsumer()
    assert first.groups is not second.groups
    assert first.detached_tasks is not second.detached_tasks
    assert first.groups == set()


# -- groups --------------------------------------------------------------------------------------


async def test_add_and_remove_group_bookkeeping() -> None:
    communicator = WebsocketCommunicator(GroupConsumer.as_asgi(), "/ws/")
    await communicator.connect()
    await communicator.send_json_to({"action": "join", "group": "books-1"})
    assert await communicator.receive_json_from() == reply("join", ["books-1"])
    await communicator.send_json_to({"action": "join", "group": "books-1"})
    assert await communicator.receive_json_from() == reply("join", ["books-1"])
    await communicator.send_json_to({"action": "join", "group": "books-2"})
    assert await communicator.receive_json_from() == reply("join", ["books-1", "books-2"])
    await communicator.send_json_to({"action": "leave", "group": "books-1"})
    assert await communicator.receive_json_from() == reply("leave", ["books-2"])
    await communicator.send_json_to({"action": "leave", "group": "never-joined"})
    assert await communicator.receive_json_from() == reply("leave", ["books-2"])
    await communicator.disconnect()


async def test_group_messages_are_delivered_to_members_only() -> None:
    layer = get_channel_layer()
    alice = WebsocketCommunicator(GroupConsumer.as_asgi(), "/ws/")
    bob = WebsocketCommunicator(GroupConsumer.as_asgi(), "/ws/")
    await alice.connect()
    await bob.connect()
    for communicator in (alice, bob):
        await communicator.send_json_to({"action": "join", "group": "room-delivery"})
        await communicator.receive_json_from()

    await layer.group_send("room-delivery", {"type": "chat.message", "text": "hello"})
    assert await alice.receive_json_from() == reply("chat", "hello")
    assert await bob.receive_json_from() == reply("chat", "hello")

    await bob.send_json_to({"action": "leave", "group": "room-delivery"})
    await bob.receive_json_from()
    await layer.group_send("room-delivery", {"type": "chat.message", "text": "only alice"})
    assert await alice.receive_json_from() == reply("chat", "only alice")
    assert await bob.receive_nothing()
    await alice.disconnect()
    await bob.disconnect()


async def test_groups_are_left_on_disconnect() -> None:
    layer = get_channel_layer()
    communicator = WebsocketCommunicator(GroupConsumer.as_asgi(), "/ws/")
    await communicator.connect()
    await communicator.send_json_to({"action": "join", "group": "room-leave"})
    await communicator.receive_json_from()
    assert len(layer.groups["room-leave"]) == 1
    await communicator.disconnect()
    assert not layer.groups.get("room-leave")


async def test_class_level_groups_are_joined_on_connect() -> None:
    class Announcements(GroupConsumer):
        groups = ["announcements"]

    layer = get_channel_layer()
    communicator = WebsocketCommunicator(Announcements.as_asgi(), "/ws/")
    await communicator.connect()
    await layer.group_send("announcements", {"type": "chat.message", "text": "news"})
    assert await communicator.receive_json_from() == reply("chat", "news")
    await communicator.disconnect()
    assert not layer.groups.get("announcements")
