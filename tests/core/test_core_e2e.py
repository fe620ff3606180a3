"""End to end: the test consumers behind real servers (uvicorn in a thread, daphne in a subprocess),
driven by the ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from djangochannelsrestframework.settings import DEFAULTS
from tests.support.asgi import application
from tests.support.core_consumers import TaskConsumer, allow_connection_housekeeping  # noqa: F401
from tests.support.envelope import reply
from tests.support.live_server import free_port, serve_process


@pytest.fixture(scope="module")
def daphne_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    args = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "tests.support.asgi:application"]
    log_path = tmp_path_factory.mktemp("daphne") / "daphne.log"
    with serve_process(args, port, "tests.support.settings", log_path, timeout=20.0) as url:
        yield url


@pytest.fixture(params=["uvicorn", "daphne"])
def base_url(request: pytest.FixtureRequest, live_server_url: Any) -> str:
    if request.param == "uvicorn":
        return str(live_server_url(application))
    return str(request.getfixturevalue("daphne_url"))


async def receive(ws: Any) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=5))


async def test_action_round_trip(base_url: str) -> None:
    async with websockets.connect(base_url + "/ws/echo/") as ws:
        await ws.send(json.dumps({"action": "echo", "value": {"x": [1, "two"]}, "request_id": 42}))
        raw = await asyncio.wait_for(ws.recv(), timeout=5)
        assert (
            raw
            == '{"errors":[],"data":{"value":{"x":[1,"two"]}},"action":"echo","response_status":200,"request_id":42}'
        )


async def test_bad_frame_then_valid_frame(base_url: str) -> None:
    async with websockets.connect(base_url + "/ws/echo/") as ws:
        await ws.send("<not json>")
        assert await receive(ws) == reply(
            None,
            errors=["Malformed JSON: Expecting value: line 1 column 1 (char 0)"],
            status=400,
        )
        await ws.send(json.dumps({"action": "add", "a": 1}))
        assert await receive(ws) == reply("add", errors=[{"b": ["This argument is required."]}], status=400)
        await ws.send(json.dumps({"action": "add", "a": 1, "b": 2, "request_id": "ok"}))
        assert await receive(ws) == reply("add", 3, request_id="ok")


async def test_binary_frame(base_url: str) -> None:
    async with websockets.connect(base_url + "/ws/echo/") as ws:
        await ws.send(b'{"action": "echo"}')
        assert await receive(ws) == reply(
            None, errors=["Binary frames are not supported; send a JSON object as a text frame."], status=400
        )
        await ws.send(json.dumps({"action": "echo", "value": 1}))
        assert await receive(ws) == reply("echo", {"value": 1})


async def test_can_connect_denial_rejects_the_handshake(base_url: str) -> None:
    with pytest.raises(InvalidStatus) as excinfo:
        async with websockets.connect(base_url + "/ws/denied/"):
            pass
    assert excinfo.value.response.status_code == 403


async def test_detached_action_replies_after_a_later_action(base_url: str) -> None:
    async with websockets.connect(base_url + "/ws/echo/") as ws:
        await ws.send(json.dumps({"action": "later", "delay": 0.3, "request_id": "slow"}))
        await ws.send(json.dumps({"action": "echo", "value": "fast", "request_id": "fast"}))
        assert await receive(ws) == reply("echo", {"value": "fast"}, request_id="fast")
        assert await receive(ws) == reply("later", "later", request_id="slow")


async def test_groups_deliver_between_two_real_clients(base_url: str) -> None:
    async with (
        websockets.connect(base_url + "/ws/groups/") as alice,
        websockets.connect(base_url + "/ws/groups/") as bob,
    ):
        for ws in (alice, bob):
            await ws.send(json.dumps({"action": "join", "group": "e2e-room"}))
            assert await receive(ws) == reply("join", ["e2e-room"])
        await alice.send(json.dumps({"action": "say", "group": "e2e-room", "text": "hi"}))
        first, second = await receive(alice), await receive(alice)
        assert sorted([first, second], key=lambda message: message["action"]) == [
            reply("chat", "hi"),
            reply("say", None, status=202),
        ]
        assert await receive(bob) == reply("chat", "hi")
        await bob.send(json.dumps({"action": "leave", "group": "e2e-room"}))
        assert await receive(bob) == reply("leave", [])


async def test_closing_the_socket_cancels_detached_tasks(live_server_url: Any) -> None:
    TaskConsumer.started, TaskConsumer.cancelled, TaskConsumer.finished = [], [], []
    url = live_server_url(application)
    async with websockets.connect(url + "/ws/tasks/") as ws:
        for request_id in (1, 2, 3):
            await ws.send(json.dumps({"action": "wait", "request_id": request_id}))
        await ws.send(json.dumps({"action": "running"}))
        assert await receive(ws) == reply("running", 3)
    for _ in range(250):  # the server cancels the tasks once it sees the close
        if len(TaskConsumer.cancelled) == 3:
            break
        await asyncio.sleep(0.02)
    assert sorted(TaskConsumer.cancelled) == [1, 2, 3]
    assert TaskConsumer.finished == []


# -- oversized frames: the 413 reply happens on both servers with their default limits -----------


def oversized_frame(filler: str) -> str:
    """A frame one character over the default MAX_MESSAGE_SIZE, its value made of ``filler``."""
    limit = DEFAULTS["MAX_MESSAGE_SIZE"]
    head, tail = '{"action": "echo", "value": "', '"}'
    text = head + filler * (limit + 1 - len(head) - len(tail)) + tail
    assert len(text) == limit + 1
    return text


@pytest.mark.parametrize("filler", ["x", "\U0001f600"], ids=["ascii", "four-byte-utf8"])
async def test_frame_over_max_message_size_gets_413_and_the_socket_stays_open(base_url: str, filler: str) -> None:
    limit = DEFAULTS["MAX_MESSAGE_SIZE"]
    async with websockets.connect(base_url + "/ws/echo/", max_size=None) as ws:
        await ws.send(oversized_frame(filler))
        assert await receive(ws) == reply(
            None, errors=[f"Message is too large; the limit is {limit} characters."], status=413
        )
        await ws.send(json.dumps({"action": "echo", "value": "still open", "request_id": 2}))
        assert await receive(ws) == reply("echo", {"value": "still open"}, request_id=2)


async def test_frame_at_max_message_size_is_served(base_url: str) -> None:
    limit = DEFAULTS["MAX_MESSAGE_SIZE"]
    head, tail = '{"action": "echo", "value": "', '"}'
    value = "\U0001f600" * (limit - len(head) - len(tail))
    async with websockets.connect(base_url + "/ws/echo/", max_size=None) as ws:
        await ws.send(head + value + tail)
        assert await receive(ws) == reply("echo", {"value": value})
