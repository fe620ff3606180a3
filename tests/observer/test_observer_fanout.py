"""The process-local fan-out (_engine/fanout.py): one layer membership per group and process,
events handed to the local sockets in order, and the registry's edge cases."""

from __future__ import annotations

import asyncio
import logging

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.dispatch import Signal

from djangochannelsrestframework import permissions
from djangochannelsrestframework._engine.fanout import fanout_for
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import observer
from tests.support.envelope import reply

pytestmark = pytest.mark.django_db(transaction=True)

said = Signal()
#: Set by a test to hold every "slow" handler (and action) until it is released.
gate: dict[str, asyncio.Event] = {}


class RoomConsumer(AsyncAPIConsumer):
    """Joins rooms; every ``said`` signal in a room is a ``said`` frame per subscribing request id."""

    permission_classes = (permissions.AllowAny,)

    @observer(said)
    async def room_said(self, message, subscribing_request_ids=(), **kwargs):
        if message["text"] == "hold":
            await gate["hold"].wait()
        if message["text"] == "boom" and getattr(self, "fragile", False):
            raise RuntimeError("handler failed")
        for request_id in subscribing_request_ids:
            await self.reply(action="said", data=self.render(message), request_id=request_id)
        if message["text"] == "last" and getattr(self, "leave_on_last", False):
            await self.room_said.unsubscribe(room=message["room"])

    @room_said.groups_for_signal
    def room_said(self, room=None, **kwargs):
        yield room

    @room_said.groups_for_consumer
    def room_said(self, room, **kwargs):
        yield room

    @room_said.serializer
    def room_said(self, signal, sender, room=None, text=None, **kwargs):
        return {"room": room, "text": text}

    def render(self, message):
        return dict(message)

    @action()
    async def join(self, room, request_id=None, **kwargs):
        await self.room_said.subscribe(room=room, request_id=request_id)
        return None, 201

    @action()
    async def leave(self, room, request_id=None, **kwargs):
        await self.room_said.unsubscribe(room=room, request_id=request_id)
        return None, 204

    @action()
    async def slow(self, **kwargs):
        await gate["slow"].wait()
        return "done", 200

    @action()
    async def set_flags(self, fragile=False, leave_on_last=False, **kwargs):
        self.fragile = fragile
        self.leave_on_last = leave_on_last
        return None, 200


class ShoutingRoomConsumer(RoomConsumer):
    """Another consumer class on the same groups (it inherits the observer), rendering differently."""

    def render(self, message):
        return {**message, "text": message["text"].upper()}


class VerbatimRoomConsumer(RoomConsumer):
    """Replies with the message it got (the sockets of an event share its encoded text)."""

    def render(self, message):
        return message


class EditingRoomConsumer(RoomConsumer):
    """Changes the message it got before replying with it."""

    def render(self, message):
        message["text"] = message["text"] + "!"
        return message


class ChatConsumer(RoomConsumer):
    """Joins a plain channels group itself, next to its observer groups."""

    @action()
    async def chat_join(self, **kwargs):
        await self.channel_layer.group_add("chat", self.channel_name)
        return None, 201

    async def disconnect(self, code):
        await self.channel_layer.group_discard("chat", self.channel_name)

    async def chat_message(self, message):
        await self.reply(action="chat", data=message["text"])


@pytest.fixture(autouse=True)
def gates():
    gate.clear()
    gate["hold"] = asyncio.Event()
    gate["slow"] = asyncio.Event()


async def connected(consumer_class=RoomConsumer) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(consumer_class.as_asgi(), "/ws/")
    assert (await communicator.connect())[0]
    return communicator


async def join(communicator, room, request_id):
    await communicator.send_json_to({"action": "join", "room": room, "request_id": request_id})
    assert await communicator.receive_json_from() == reply("join", status=201, request_id=request_id)


def group_of(room: str) -> str:
    return RoomConsumer.room_said.group_names_for_signal(room=room)[0]


def layer_members(room: str) -> set[str]:
    return set(get_channel_layer().groups.get(group_of(room), {}))


def said_frame(room, text, request_id):
    return reply("said", {"room": room, "text": text}, request_id=request_id)


async def test_the_process_joins_a_group_once_for_all_its_sockets():
    sockets = [await connected() for _ in range(3)]
    for number, communicator in enumerate(sockets):
        await join(communicator, "lobby", number)
    fanout = fanout_for(get_channel_layer())
    assert layer_members("lobby") == {fanout.channel}
    said.send(sender="test", room="lobby", text="hi")
    for number, communicator in enumerate(sockets):
        assert await communicator.receive_json_from() == said_frame("lobby", "hi", number)
    for communicator in sockets[:2]:
        await communicator.disconnect()
    assert layer_members("lobby") == {fanout.channel}
    await sockets[2].disconnect()
    assert layer_members("lobby") == set()
    assert fanout.groups == {}


async def test_a_socket_in_many_groups_gets_each_event_once_in_order():
    communicator = await connected()
    for number, room in enumerate(("a", "b", "c")):
        await join(communicator, room, number)
    for room in ("c", "a", "b", "a"):
        said.send(sender="test", room=room, text=f"to {room}")
    for room, request_id in (("c", 2), ("a", 0), ("b", 1), ("a", 0)):
        assert await communicator.receive_json_from() == said_frame(room, f"to {room}", request_id)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_an_event_waits_for_the_action_the_socket_is_running():
    communicator = await connected()
    await join(communicator, "lobby", 1)
    await communicator.send_json_to({"action": "slow", "request_id": 2})
    await asyncio.sleep(0.05)  # the action is running and waits for the gate
    said.send(sender="test", room="lobby", text="during")
    said.send(sender="test", room="lobby", text="after")
    assert await communicator.receive_nothing(timeout=0.1)
    gate["slow"].set()
    assert await communicator.receive_json_from() == reply("slow", "done", request_id=2)
    assert await communicator.receive_json_from() == said_frame("lobby", "during", 1)
    assert await communicator.receive_json_from() == said_frame("lobby", "after", 1)
    await communicator.disconnect()


async def test_a_handler_that_unsubscribes_during_delivery_leaves_the_others_their_event():
    first, second = await connected(), await connected()
    await join(first, "lobby", 1)
    await join(second, "lobby", 2)
    await first.send_json_to({"action": "set_flags", "leave_on_last": True})
    assert await first.receive_json_from() == reply("set_flags")
    said.send(sender="test", room="lobby", text="last")
    assert await first.receive_json_from() == said_frame("lobby", "last", 1)
    assert await second.receive_json_from() == said_frame("lobby", "last", 2)
    said.send(sender="test", room="lobby", text="again")
    assert await second.receive_json_from() == said_frame("lobby", "again", 2)
    assert await first.receive_nothing()
    await first.disconnect()
    await second.disconnect()


async def test_the_last_socket_unsubscribing_in_its_handler_stops_nothing_it_needs():
    communicator = await connected()
    await join(communicator, "lobby", 1)
    await communicator.send_json_to({"action": "set_flags", "leave_on_last": True})
    assert await communicator.receive_json_from() == reply("set_flags")
    said.send(sender="test", room="lobby", text="last")
    assert await communicator.receive_json_from() == said_frame("lobby", "last", 1)
    await asyncio.sleep(0.05)
    assert layer_members("lobby") == set()
    await join(communicator, "lobby", 3)
    said.send(sender="test", room="lobby", text="back")
    assert await communicator.receive_json_from() == said_frame("lobby", "back", 3)
    await communicator.disconnect()


async def test_a_socket_that_disconnects_during_delivery_is_skipped():
    holder, leaving, staying = await connected(), await connected(), await connected()
    await join(holder, "lobby", 1)
    await join(leaving, "lobby", 2)
    await join(staying, "lobby", 3)
    said.send(sender="test", room="lobby", text="hold")
    await asyncio.sleep(0.05)  # the holder's handler waits: the delivery is in progress
    await leaving.disconnect()
    gate["hold"].set()
    assert await holder.receive_json_from() == said_frame("lobby", "hold", 1)
    assert await staying.receive_json_from() == said_frame("lobby", "hold", 3)
    await holder.disconnect()
    await staying.disconnect()


async def test_two_consumer_classes_on_one_group_each_get_their_own_handler():
    plain, shouting = await connected(RoomConsumer), await connected(ShoutingRoomConsumer)
    await join(plain, "lobby", 1)
    await join(shouting, "lobby", 2)
    assert len(layer_members("lobby")) == 1
    said.send(sender="test", room="lobby", text="hi")
    assert await plain.receive_json_from() == said_frame("lobby", "hi", 1)
    assert await shouting.receive_json_from() == said_frame("lobby", "HI", 2)
    await plain.disconnect()
    await shouting.disconnect()


async def test_a_failing_handler_closes_its_socket_only():
    fragile, sturdy = await connected(), await connected()
    await join(fragile, "lobby", 1)
    await join(sturdy, "lobby", 2)
    await fragile.send_json_to({"action": "set_flags", "fragile": True})
    assert await fragile.receive_json_from() == reply("set_flags")
    said.send(sender="test", room="lobby", text="boom")
    assert await sturdy.receive_json_from() == said_frame("lobby", "boom", 2)
    assert await fragile.receive_output() == {"type": "websocket.close", "code": 1011}
    said.send(sender="test", room="lobby", text="still")
    assert await sturdy.receive_json_from() == said_frame("lobby", "still", 2)
    await fragile.disconnect()
    await sturdy.disconnect()


async def test_a_process_with_no_local_subscribers_receives_nothing():
    fanout = fanout_for(get_channel_layer())
    said.send(sender="test", room="empty", text="nobody")
    await asyncio.sleep(0.05)
    assert fanout.groups == {}
    assert fanout._task is None
    # a message for a group without local sockets (or naming none) is dropped quietly
    await fanout.deliver({"type": "room.said", "group": group_of("empty"), "body": {}})
    await fanout.deliver({"type": "room.said", "body": {}})


async def test_own_channels_groups_keep_working_beside_observer_groups():
    communicator = await connected(ChatConsumer)
    await join(communicator, "lobby", 1)
    await communicator.send_json_to({"action": "chat_join", "request_id": 2})
    assert await communicator.receive_json_from() == reply("chat_join", status=201, request_id=2)
    await get_channel_layer().group_send("chat", {"type": "chat.message", "text": "hello"})
    assert await communicator.receive_json_from() == reply("chat", "hello")
    said.send(sender="test", room="lobby", text="hi")
    assert await communicator.receive_json_from() == said_frame("lobby", "hi", 1)
    await communicator.disconnect()


async def test_a_burst_for_many_sockets_fits_the_process_channel():
    # 3 sockets x 50 events: each socket's share fits the layer's per-channel capacity (100), and
    # the process channel that carries all 150 at once must not drop any.
    sockets = [await connected() for _ in range(3)]
    for number, communicator in enumerate(sockets):
        await join(communicator, f"room-{number}", number)
    for index in range(50):
        for number in range(3):
            said.send(sender="test", room=f"room-{number}", text=str(index))
    for number, communicator in enumerate(sockets):
        for index in range(50):
            assert await communicator.receive_json_from() == said_frame(f"room-{number}", str(index), number)
    for communicator in sockets:
        await communicator.disconnect()


class FlakyLayer(InMemoryChannelLayer):
    """An in-memory layer whose next receive fails once, losing every group membership (a Redis restart)."""

    fail_next = False

    async def receive(self, channel):
        if FlakyLayer.fail_next:
            await asyncio.sleep(0.01)
            FlakyLayer.fail_next = False
            self.groups.clear()
            raise ConnectionError("layer went away")
        return await super().receive(channel)


async def test_the_process_joins_its_groups_again_after_the_layer_failed(settings, caplog):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "tests.observer.test_observer_fanout.FlakyLayer"}}
    communicator = await connected()
    await join(communicator, "lobby", 1)
    FlakyLayer.fail_next = True
    said.send(sender="test", room="lobby", text="lost")  # sent while the receiver is failing
    await asyncio.sleep(1.3)
    assert not FlakyLayer.fail_next
    assert layer_members("lobby") == {fanout_for(get_channel_layer()).channel}
    said.send(sender="test", room="lobby", text="back")
    frames = [await communicator.receive_json_from()]
    if frames[0]["data"]["text"] == "lost":  # queued before the failure: delivered late, not lost
        frames.append(await communicator.receive_json_from())
    assert frames[-1] == said_frame("lobby", "back", 1)
    recovered = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Channel layer is back")]
    assert len(recovered) == 1 and recovered[0].endswith("this process re-joined its 1 observer groups")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    await communicator.disconnect()


class CrashingConsumer(RoomConsumer):
    async def websocket_receive(self, message):
        if message.get("text") == "crash":
            raise RuntimeError("the app fails")
        await super().websocket_receive(message)


async def test_a_socket_whose_app_fails_leaves_its_groups():
    communicator = await connected(CrashingConsumer)
    await join(communicator, "lobby", 1)
    assert layer_members("lobby") == {fanout_for(get_channel_layer()).channel}
    await communicator.send_to(text_data="crash")
    with pytest.raises(RuntimeError, match="the app fails"):
        await communicator.receive_output()
    assert layer_members("lobby") == set()


async def test_a_handler_changing_its_message_changes_no_other_sockets_frame():
    sockets = [await connected(VerbatimRoomConsumer), await connected(EditingRoomConsumer)]
    sockets.append(await connected(VerbatimRoomConsumer))
    for number, communicator in enumerate(sockets):
        await join(communicator, "lobby", number)
    said.send(sender="test", room="lobby", text="hi")
    assert await sockets[0].receive_json_from() == said_frame("lobby", "hi", 0)
    assert await sockets[1].receive_json_from() == said_frame("lobby", "hi!", 1)
    assert await sockets[2].receive_json_from() == said_frame("lobby", "hi", 2)
    for communicator in sockets:
        await communicator.disconnect()


# -- staying joined (docs/delivery.rst, "Staying joined") -------------------------------------------


async def test_quiet_seconds_per_group_since_the_last_event():
    communicator = await connected()
    await join(communicator, "lobby", 1)
    await asyncio.sleep(0.3)
    quiet = fanout_for(get_channel_layer()).quiet_seconds()
    assert list(quiet) == [group_of("lobby")] and quiet[group_of("lobby")] >= 0.3
    said.send(sender="test", room="lobby", text="hi")
    assert await communicator.receive_json_from() == said_frame("lobby", "hi", 1)
    assert fanout_for(get_channel_layer()).quiet_seconds()[group_of("lobby")] < 0.2
    await communicator.disconnect()
    assert fanout_for(get_channel_layer()).quiet_seconds() == {}


async def test_the_health_reading_is_public_on_the_observer_package():
    from djangochannelsrestframework.observer import fanout_quiet_seconds

    communicator = await connected()
    await join(communicator, "lobby", 1)
    assert list(fanout_quiet_seconds()) == [group_of("lobby")]
    assert list(fanout_quiet_seconds(get_channel_layer())) == [group_of("lobby")]
    await communicator.disconnect()
    assert fanout_quiet_seconds() == {}


async def test_each_new_subscription_joins_its_group_again():
    first, second = await connected(), await connected()
    await join(first, "lobby", 1)
    get_channel_layer().groups[group_of("lobby")].clear()  # the layer forgot the membership
    said.send(sender="test", room="lobby", text="lost")
    assert await first.receive_nothing(0.2)
    await join(second, "lobby", 2)
    said.send(sender="test", room="lobby", text="back")
    assert await first.receive_json_from() == said_frame("lobby", "back", 1)
    assert await second.receive_json_from() == said_frame("lobby", "back", 2)
    await first.disconnect()
    await second.disconnect()


async def test_groups_are_joined_again_within_the_layer_group_expiry(settings, caplog):
    caplog.set_level(logging.INFO, logger="djangochannelsrestframework.observer")
    layer = {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"group_expiry": 1}}
    settings.CHANNEL_LAYERS = {"default": layer}
    communicator = await connected()
    await join(communicator, "lobby", 1)
    for text in ("one", "two", "three"):
        await asyncio.sleep(1.5)  # past the expiry of a membership that was not renewed
        said.send(sender="test", room="lobby", text=text)
        assert await communicator.receive_json_from() == said_frame("lobby", text, 1)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Observer fan-out: re-joined 1")]
    assert len(lines) >= 4 and lines[0].startswith(
        f"Observer fan-out: re-joined 1 groups; the quietest, {group_of('lobby')}"
    )
    await communicator.disconnect()


class FailingSendLayer(InMemoryChannelLayer):
    """An in-memory layer whose next group_send fails, losing every membership (a Redis restart
    seen by a sender only: the process's reads never fail)."""

    fail_next = False

    async def group_send(self, group, message):
        if FailingSendLayer.fail_next:
            FailingSendLayer.fail_next = False
            self.groups.clear()
            raise OSError("layer went away")
        await super().group_send(group, message)


async def test_a_failure_seen_by_a_sender_makes_the_process_join_its_groups_again(settings, caplog):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "tests.observer.test_observer_fanout.FailingSendLayer"}}
    communicator = await connected()
    await join(communicator, "lobby", 1)
    FailingSendLayer.fail_next = True
    said.send(sender="test", room="lobby", text="lost")
    for _ in range(50):
        if not FailingSendLayer.fail_next and layer_members("lobby"):
            break
        await asyncio.sleep(0.05)
    assert layer_members("lobby") == {fanout_for(get_channel_layer()).channel}
    said.send(sender="test", room="lobby", text="back")
    assert await communicator.receive_json_from() == said_frame("lobby", "back", 1)
    recovered = [r for r in caplog.records if r.getMessage().startswith("Channel layer is back")]
    assert [r.levelno for r in recovered] == [logging.WARNING]
    await communicator.disconnect()
