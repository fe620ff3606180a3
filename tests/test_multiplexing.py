"""The demultiplexer: routing, wrapping, the handshake, errors, isolation of streams and cleanup."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from tests.app.models import Item
from tests.envelope import reply
from tests.multiplexing_consumers import (
    DeclaredDemultiplexer,
    EchoConsumer,
    instances,
    items_and_echo,
    two_echoes,
    with_crashing,
    with_greeting,
    with_locked,
    with_refusing,
)


def framed(stream: str, payload: Any) -> dict[str, Any]:
    return {"stream": stream, "payload": payload}


async def opened(app: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(app, "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def ask(communicator: WebsocketCommunicator, stream: str, payload: Any) -> Any:
    await communicator.send_json_to(framed(stream, payload))
    return await communicator.receive_json_from()


# -- routing -------------------------------------------------------------------------------------


async def test_a_payload_reaches_its_stream_and_the_reply_comes_back_wrapped() -> None:
    communicator = await opened(items_and_echo)
    assert await ask(communicator, "echo", {"action": "echo", "text": "hi", "request_id": 1}) == framed(
        "echo", reply("echo", {"text": "hi", "channel": True}, request_id=1)
    )
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_generic_crud_through_a_stream() -> None:
    communicator = await opened(items_and_echo)
    created = await ask(communicator, "items", {"action": "create", "data": {"name": "ant"}, "request_id": "c"})
    pk = created["payload"]["data"]["id"]
    assert created == framed(
        "items", reply("create", {"id": pk, "name": "ant", "value": 0}, status=201, request_id="c")
    )
    assert await ask(communicator, "items", {"action": "list", "request_id": "l"}) == framed(
        "items", reply("list", [{"id": pk, "name": "ant", "value": 0}], request_id="l")
    )
    await communicator.disconnect()


async def test_streams_declared_on_a_subclass() -> None:
    communicator = await opened(DeclaredDemultiplexer.as_asgi())
    assert await ask(communicator, "echo", {"action": "echo", "text": "x"}) == framed(
        "echo", reply("echo", {"text": "x", "channel": True})
    )
    await communicator.disconnect()


# -- frames that cannot be routed -----------------------------------------------------------------


async def test_an_unknown_stream_gets_a_404_in_that_stream_and_the_socket_stays_open() -> None:
    communicator = await opened(items_and_echo)
    assert await ask(communicator, "nope", {"action": "list", "request_id": 9}) == framed(
        "nope",
        reply(None, status=404, errors=["Unknown stream 'nope'; the streams are: items, echo."], request_id=9),
    )
    assert await ask(communicator, "echo", {"action": "echo", "text": "still here"}) == framed(
        "echo", reply("echo", {"text": "still here", "channel": True})
    )
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (
            "{oops",
            reply(
                None,
                status=400,
                errors=["Malformed JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
            ),
        ),
        (
            "[1, 2]",
            reply(None, status=400, errors=['Message must be a JSON object {"stream": ..., "payload": {...}}.']),
        ),
        (
            '{"payload": {"action": "echo"}}',
            reply(None, status=400, errors=[{"stream": ["The name of a stream is required."]}]),
        ),
        (
            '{"stream": 5, "payload": {}}',
            reply(None, status=400, errors=[{"stream": ["The name of a stream is required."]}]),
        ),
        (
            '{"stream": "echo"}',
            framed("echo", reply(None, status=400, errors=[{"payload": ["The message for the stream is required."]}])),
        ),
        # A payload that is not an object reaches the consumer, which answers as it would alone.
        (
            '{"stream": "echo", "payload": [1]}',
            framed("echo", reply(None, status=400, errors=["Message must be a JSON object."])),
        ),
        (
            '{"stream": "echo", "payload": {"text": "x", "request_id": 3}}',
            framed("echo", reply(None, status=405, errors=["Unable to find action in message body."], request_id=3)),
        ),
    ],
)
async def test_a_bad_envelope_gets_a_400_and_the_socket_stays_open(frame: str, expected: Any) -> None:
    communicator = await opened(items_and_echo)
    await communicator.send_to(text_data=frame)
    assert await communicator.receive_json_from() == expected
    assert await ask(communicator, "echo", {"action": "echo", "text": "ok"}) == framed(
        "echo", reply("echo", {"text": "ok", "channel": True})
    )
    await communicator.disconnect()


async def test_a_binary_frame_gets_a_400() -> None:
    communicator = await opened(items_and_echo)
    await communicator.send_to(bytes_data=b"\x00")
    assert await communicator.receive_json_from() == reply(
        None, status=400, errors=["Binary frames are not supported; send a JSON object as a text frame."]
    )
    await communicator.disconnect()


# -- the handshake --------------------------------------------------------------------------------


async def test_a_stream_that_refuses_closes_the_socket_with_its_code() -> None:
    communicator = WebsocketCommunicator(with_refusing, "/ws/")
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4403)


async def test_a_stream_that_fails_while_connecting_closes_the_socket_with_1011() -> None:
    communicator = WebsocketCommunicator(with_crashing, "/ws/")
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 1011)


async def test_frames_sent_before_every_stream_accepted_arrive_after_the_accept() -> None:
    communicator = await opened(with_greeting)
    assert await communicator.receive_json_from() == framed("greeter", reply("hello", {"stream": "greeter"}))
    assert await ask(communicator, "slow", {"action": "echo", "text": "late"}) == framed(
        "slow", reply("echo", {"text": "late", "channel": True})
    )
    await communicator.disconnect()


# -- isolation ------------------------------------------------------------------------------------


async def test_a_permission_failure_on_one_stream_leaves_the_other_working() -> None:
    communicator = await opened(with_locked)
    assert await ask(communicator, "locked", {"action": "echo", "text": "x", "request_id": 1}) == framed(
        "locked", reply("echo", status=403, errors=["You do not have permission to perform this action."], request_id=1)
    )
    assert await ask(communicator, "echo", {"action": "echo", "text": "x", "request_id": 2}) == framed(
        "echo", reply("echo", {"text": "x", "channel": True}, request_id=2)
    )
    await communicator.disconnect()


async def test_a_server_error_on_one_stream_leaves_the_other_working() -> None:
    communicator = await opened(two_echoes)
    assert await ask(communicator, "left", {"action": "fail", "request_id": 1}) == framed(
        "left", reply("fail", status=500, errors=["A server error occurred."], request_id=1)
    )
    assert await ask(communicator, "right", {"action": "echo", "text": "fine"}) == framed(
        "right", reply("echo", {"text": "fine", "channel": True})
    )
    assert await ask(communicator, "left", {"action": "echo", "text": "again"}) == framed(
        "left", reply("echo", {"text": "again", "channel": True})
    )
    await communicator.disconnect()


async def test_each_stream_has_its_own_groups() -> None:
    communicator = await opened(two_echoes)
    assert await ask(communicator, "left", {"action": "join", "group": "g-left"}) == framed(
        "left", reply("join", ["g-left"])
    )
    assert await ask(communicator, "right", {"action": "join", "group": "g-right"}) == framed(
        "right", reply("join", ["g-right"])
    )
    layer = get_channel_layer()
    assert len(layer.groups["g-left"]) == 1 and len(layer.groups["g-right"]) == 1
    assert set(layer.groups["g-left"]).isdisjoint(layer.groups["g-right"])
    await communicator.disconnect()
    assert "g-left" not in layer.groups and "g-right" not in layer.groups


@pytest.mark.django_db(transaction=True)
async def test_an_instance_subscription_reports_only_on_its_own_stream() -> None:
    item = await Item.objects.acreate(name="ant", value=1)
    communicator = await opened(instances)
    assert await ask(
        communicator, "items", {"action": "subscribe_instance", "pk": item.pk, "request_id": "s"}
    ) == framed("items", reply("subscribe_instance", None, status=201, request_id="s"))
    item.value = 2
    await item.asave()
    assert await communicator.receive_json_from() == framed(
        "items", reply("update", {"id": item.pk, "name": "ant", "value": 2}, request_id="s")
    )
    assert await communicator.receive_nothing()
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_streamed_list_pages_through_its_stream() -> None:
    rows = [await Item.objects.acreate(name=f"i{n}", value=n) for n in range(3)]
    communicator = await opened(instances)
    await communicator.send_json_to(framed("stream", {"action": "list", "limit": 2, "request_id": "p"}))
    first = await communicator.receive_json_from()
    second = await communicator.receive_json_from()
    as_row = [{"id": row.pk, "name": row.name, "value": row.value} for row in rows]
    assert first == framed(
        "stream", reply("list", {"count": 3, "results": as_row[:2], "limit": 2, "offset": 0}, request_id="p")
    )
    assert second == framed(
        "stream", reply("list", {"count": 3, "results": as_row[2:], "limit": 2, "offset": 2}, request_id="p")
    )
    await communicator.disconnect()


# -- closing --------------------------------------------------------------------------------------


async def test_a_stream_that_closes_itself_leaves_the_others_open() -> None:
    communicator = await opened(two_echoes)
    await communicator.send_json_to(framed("left", {"action": "bye"}))
    assert await communicator.receive_nothing()  # the stream closed; the socket did not
    assert await ask(communicator, "left", {"action": "echo", "text": "x", "request_id": 4}) == framed(
        "left", reply(None, status=404, errors=["Stream 'left' is closed."], request_id=4)
    )
    assert await ask(communicator, "right", {"action": "echo", "text": "x"}) == framed(
        "right", reply("echo", {"text": "x", "channel": True})
    )
    await communicator.send_json_to(framed("right", {"action": "bye"}))
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4000}


async def test_disconnect_cancels_every_streams_detached_tasks() -> None:
    EchoConsumer.started.clear()
    EchoConsumer.cancelled.clear()
    communicator = await opened(two_echoes)
    await communicator.send_json_to(framed("left", {"action": "wait_forever", "request_id": "a"}))
    await communicator.send_json_to(framed("right", {"action": "wait_forever", "request_id": "b"}))
    for _ in range(200):  # the tasks start when each stream's consumer reads its frame
        if len(EchoConsumer.started) == 2:
            break
        await asyncio.sleep(0.01)
    assert sorted(EchoConsumer.started) == ["a", "b"]
    await communicator.disconnect(timeout=5)
    assert sorted(EchoConsumer.cancelled) == ["a", "b"]


async def test_a_compact_frame_hands_the_payload_text_over_exactly() -> None:
    # {"stream":"s","payload":P} as JSON.stringify writes it: P reaches the consumer as sent.
    communicator = await opened(items_and_echo)
    await communicator.send_to(
        text_data='{"stream":"echo","payload":{"action":"echo","text":"x","request_id":123456789012345678901}}'
    )
    assert await communicator.receive_from() == (
        '{"stream":"echo","payload":{"errors":[],"data":{"text":"x","channel":true},"action":"echo",'
        '"response_status":200,"request_id":123456789012345678901}}'
    )
    await communicator.disconnect()


async def test_keys_after_the_payload_of_a_compact_frame_are_a_400_from_the_stream() -> None:
    communicator = await opened(items_and_echo)
    await communicator.send_to(text_data='{"stream":"echo","payload":{"action":"echo","text":"x"},"extra":1}')
    assert await communicator.receive_json_from() == framed(
        "echo",
        reply(None, status=400, errors=["Malformed JSON: Extra data: line 1 column 29 (char 28)"]),
    )
    await communicator.disconnect()
