"""The demultiplexer: routing, wrapping, the handshake, errors, isolation of streams and cleanup."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from djangochannelsrestframework.multiplexing import MAX_HELD_FRAMES, AsyncJsonWebsocketDemultiplexer
from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.multiplexing_consumers import (
    DeclaredDemultiplexer,
    DisconnectHookDemultiplexer,
    EchoConsumer,
    GreetingConsumer,
    HookedDemultiplexer,
    RefusingConsumer,
    SilentConsumer,
    SlowAcceptConsumer,
    SlowCleanupConsumer,
    all_streams,
    instances,
    items_and_echo,
    only_crashing,
    only_silent,
    refusing_first,
    two_echoes,
    with_locked,
    with_silent,
    with_slow,
    with_slow_refusing,
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


async def test_the_socket_is_accepted_when_the_first_stream_accepts() -> None:
    # The silent stream never answers; the socket is open as soon as the echo stream accepted.
    communicator = await opened(with_silent)
    assert await ask(communicator, "echo", {"action": "echo", "text": "hi"}) == framed(
        "echo", reply("echo", {"text": "hi", "channel": True})
    )
    await communicator.disconnect()


async def test_no_stream_accepting_leaves_the_handshake_unanswered() -> None:
    communicator = WebsocketCommunicator(only_silent, "/ws/")
    with pytest.raises(asyncio.TimeoutError):
        await communicator.connect(timeout=0.3)


async def test_a_frame_for_a_stream_still_connecting_waits_for_its_accept() -> None:
    communicator = await opened(with_slow)
    await communicator.send_json_to(framed("slow", {"action": "echo", "text": "early", "request_id": 1}))
    await communicator.send_json_to(framed("slow", {"action": "echo", "text": "later", "request_id": 2}))
    assert await communicator.receive_json_from() == framed(
        "slow", reply("echo", {"text": "early", "channel": True}, request_id=1)
    )
    assert await communicator.receive_json_from() == framed(
        "slow", reply("echo", {"text": "later", "channel": True}, request_id=2)
    )
    await communicator.disconnect()


async def test_frames_held_for_a_stream_that_then_refuses_get_a_404_each() -> None:
    communicator = await opened(with_slow_refusing)
    await communicator.send_json_to(framed("refusing", {"action": "list", "request_id": "a"}))
    await communicator.send_json_to(framed("refusing", {"action": "list", "request_id": "b"}))
    for request_id in ("a", "b"):
        assert await communicator.receive_json_from() == framed(
            "refusing", reply(None, status=404, errors=["Stream 'refusing' is closed."], request_id=request_id)
        )
    assert await ask(communicator, "echo", {"action": "echo", "text": "still open"}) == framed(
        "echo", reply("echo", {"text": "still open", "channel": True})
    )
    await communicator.disconnect()


async def test_frames_for_a_stream_that_never_answers_get_a_404_after_the_accept_timeout() -> None:
    class Impatient(AsyncJsonWebsocketDemultiplexer):
        stream_accept_timeout = 0.2

    communicator = await opened(Impatient.as_asgi(echo=EchoConsumer.as_asgi(), silent=SilentConsumer.as_asgi()))
    await communicator.send_json_to(framed("silent", {"action": "list", "request_id": "early"}))
    not_accepted = ["Stream 'silent' has not accepted the connection."]
    assert await communicator.receive_json_from(timeout=2) == framed(
        "silent", reply(None, status=404, errors=not_accepted, request_id="early")
    )
    # Later frames are answered at once, and the other stream still serves the socket.
    assert await ask(communicator, "silent", {"action": "list", "request_id": "late"}) == framed(
        "silent", reply(None, status=404, errors=not_accepted, request_id="late")
    )
    assert await ask(communicator, "echo", {"action": "echo", "text": "hi"}) == framed(
        "echo", reply("echo", {"text": "hi", "channel": True})
    )
    await communicator.disconnect()


async def test_too_many_frames_for_a_stream_that_never_answers_get_a_429() -> None:
    communicator = await opened(with_silent)
    for n in range(MAX_HELD_FRAMES):
        await communicator.send_json_to(framed("silent", {"action": "list", "request_id": n}))
    assert await communicator.receive_nothing()
    assert await ask(communicator, "silent", {"action": "list", "request_id": "over"}) == framed(
        "silent",
        reply(
            None,
            status=429,
            errors=[
                f"Stream 'silent' has not accepted the connection yet; at most {MAX_HELD_FRAMES} frames wait for it."
            ],
            request_id="over",
        ),
    )
    await communicator.disconnect()


async def test_a_refusal_before_any_stream_accepted_closes_the_socket_with_its_code() -> None:
    communicator = WebsocketCommunicator(refusing_first, "/ws/")
    assert await communicator.connect() == (False, 4403)


async def test_a_stream_that_crashes_before_any_accepted_closes_the_socket_with_1011() -> None:
    communicator = WebsocketCommunicator(only_crashing, "/ws/")
    assert await communicator.connect() == (False, 1011)


async def test_when_the_last_accepted_stream_closes_the_socket_closes_even_if_another_never_answered() -> None:
    communicator = await opened(with_silent)
    await communicator.send_json_to(framed("echo", {"action": "bye"}))
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4000}


async def test_waiting_for_all_streams_holds_the_accept_and_early_frames() -> None:
    communicator = await opened(all_streams(slow=SlowAcceptConsumer.as_asgi(), greeter=GreetingConsumer.as_asgi()))
    assert await communicator.receive_json_from() == framed("greeter", reply("hello", {"stream": "greeter"}))
    assert await ask(communicator, "slow", {"action": "echo", "text": "late"}) == framed(
        "slow", reply("echo", {"text": "late", "channel": True})
    )
    await communicator.disconnect()


async def test_waiting_for_all_streams_a_refusal_closes_the_handshake_with_its_code() -> None:
    communicator = WebsocketCommunicator(
        all_streams(echo=EchoConsumer.as_asgi(), refusing=RefusingConsumer.as_asgi()), "/ws/"
    )
    assert await communicator.connect() == (False, 4403)


async def test_waiting_for_all_streams_a_silent_stream_leaves_the_handshake_unanswered() -> None:
    communicator = WebsocketCommunicator(
        all_streams(echo=EchoConsumer.as_asgi(), silent=SilentConsumer.as_asgi()), "/ws/"
    )
    with pytest.raises(asyncio.TimeoutError):
        await communicator.connect(timeout=0.3)


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


# -- channelsmultiplexer's hooks and ways of use --------------------------------------------------


async def test_overridden_accept_close_and_send_hooks_are_called() -> None:
    HookedDemultiplexer.calls.clear()
    communicator = await opened(
        HookedDemultiplexer.as_asgi(echo=EchoConsumer.as_asgi(), slow=SlowAcceptConsumer.as_asgi())
    )
    assert HookedDemultiplexer.calls == [("accept", "echo", False), ("accept", "slow", True)]
    assert await ask(communicator, "slow", {"action": "echo", "text": "x"}) == {
        **framed("slow", reply("echo", {"text": "x", "channel": True})),
        "hooked": True,
    }
    await communicator.send_json_to(framed("echo", {"action": "bye"}))
    assert await communicator.receive_nothing()
    assert HookedDemultiplexer.calls[2:] == [("close", "echo", 4000)]
    await communicator.disconnect()


async def test_the_disconnect_hook_waits_a_while_then_slow_streams_are_cancelled() -> None:
    SlowCleanupConsumer.events.clear()
    SlowCleanupConsumer.cleanup = 5
    communicator = await opened(DisconnectHookDemultiplexer.as_asgi())
    await communicator.disconnect(code=4321, timeout=3)
    assert SlowCleanupConsumer.events == ["cleanup started 4321", "hook started 4321", "hook done"]


async def test_the_disconnect_hook_is_cancelled_once_every_stream_has_ended() -> None:
    SlowCleanupConsumer.events.clear()
    SlowCleanupConsumer.cleanup = 0.01
    communicator = await opened(DisconnectHookDemultiplexer.as_asgi())
    await communicator.disconnect(code=4321, timeout=3)
    assert SlowCleanupConsumer.events == ["cleanup started 4321", "hook started 4321", "cleanup done"]


async def test_the_streams_consumers_see_the_demultiplexer_class_in_their_scope() -> None:
    communicator = await opened(DeclaredDemultiplexer.as_asgi())
    assert await ask(communicator, "echo", {"action": "demultiplexer"}) == framed(
        "echo", reply("demultiplexer", "DeclaredDemultiplexer")
    )
    await communicator.disconnect()


async def test_one_instance_routed_for_every_connection_serves_each_on_its_own() -> None:
    app = DeclaredDemultiplexer()
    first, second = await opened(app), await opened(app)
    await first.send_json_to(framed("echo", {"action": "echo", "text": "one"}))
    await second.send_json_to(framed("echo", {"action": "echo", "text": "two"}))
    assert await first.receive_json_from() == framed("echo", reply("echo", {"text": "one", "channel": True}))
    assert await second.receive_json_from() == framed("echo", reply("echo", {"text": "two", "channel": True}))
    await first.disconnect()
    assert await ask(second, "echo", {"action": "echo", "text": "still"}) == framed(
        "echo", reply("echo", {"text": "still", "channel": True})
    )
    await second.disconnect()


async def test_a_cancelled_demultiplexer_stops_its_streams_and_ends_normally() -> None:
    EchoConsumer.started.clear()
    EchoConsumer.cancelled.clear()
    communicator = await opened(two_echoes)
    await communicator.send_json_to(framed("left", {"action": "wait_forever", "request_id": "c"}))
    for _ in range(200):
        if EchoConsumer.started:
            break
        await asyncio.sleep(0.01)
    with pytest.raises(asyncio.TimeoutError):
        await communicator.receive_output(timeout=0.1)  # the test client cancels the application
    assert communicator.future.done() and not communicator.future.cancelled()
    assert communicator.future.result() is None
    assert EchoConsumer.cancelled == ["c"]


async def test_a_stream_served_by_a_url_router_routes_by_the_sockets_path() -> None:
    app = DeclaredDemultiplexer.as_asgi(routed=URLRouter([path("ws/echo/", EchoConsumer.as_asgi())]))
    communicator = WebsocketCommunicator(app, "/ws/echo/")
    assert (await communicator.connect())[0]
    assert await ask(communicator, "routed", {"action": "echo", "text": "x"}) == framed(
        "routed", reply("echo", {"text": "x", "channel": True})
    )
    await communicator.disconnect()
    # No route for the path: the router raises, which is logged and refuses the handshake with 1011.
    only_routed = AsyncJsonWebsocketDemultiplexer.as_asgi(routed=URLRouter([path("ws/echo/", EchoConsumer.as_asgi())]))
    assert await WebsocketCommunicator(only_routed, "/elsewhere/").connect() == (False, 1011)
