"""The test client (``djangochannelsrestframework.testing``): reply matching, kept frames, timeouts,
server errors, refused handshakes and what disconnecting cleans up."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.layers import get_channel_layer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.contrib.auth.models import AnonymousUser, User
from django.test import TransactionTestCase
from django.urls import path

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.testing import (
    ConnectionClosed,
    HandshakeRefused,
    Reply,
    ServerError,
    WebsocketClient,
)
from tests.support.app.models import Item
from tests.support.core_consumers import DenyConnectConsumer, TaskConsumer, allow_connection_housekeeping  # noqa: F401
from tests.support.envelope import reply


class NewsConsumer(AsyncAPIConsumer):
    """Sends events next to its replies, so replies and events interleave."""

    @action()
    async def echo(self, value: Any = None) -> tuple[Any, int]:
        return value, 200

    @action()
    async def publish(self, headline: str, request_id: Any) -> tuple[str, int]:
        # an event for an earlier subscription arrives before this action's own reply
        await self.reply(action="news", data=headline, request_id="feed")
        return "published", 201

    @action()
    async def publish_later(self, headline: str, delay: float) -> tuple[None, int]:
        asyncio.get_running_loop().call_later(
            delay, lambda: asyncio.ensure_future(self.reply(action="news", data=headline, request_id="feed"))
        )
        return None, 202

    @action()
    async def boom(self) -> None:
        raise ZeroDivisionError("secret internal detail")

    @action()
    async def whoami(self) -> tuple[str, int]:
        user = self.scope.get("user")
        return (user.username if user is not None and user.is_authenticated else "anonymous"), 200

    @action()
    async def hang_up(self) -> None:
        await self.close(code=4001)

    async def news_crash(self, event: dict[str, Any]) -> None:
        raise RuntimeError("crash outside any action")

    @action()
    async def crash_later(self) -> tuple[None, int]:
        await self.channel_layer.send(self.channel_name, {"type": "news.crash"})
        return None, 202


async def test_call_returns_the_reply_with_a_fresh_request_id() -> None:
    async with WebsocketClient(NewsConsumer) as client:
        first = await client.call("echo", value="a")
        second = await client.call("echo", value="b")
    assert first == reply("echo", "a", request_id=1)
    assert second == reply("echo", "b", request_id=2)
    assert isinstance(first, Reply)
    assert (first.data, first.status, first.errors, first.action, first.request_id) == ("a", 200, [], "echo", 1)


async def test_fresh_request_ids_skip_ids_the_test_used() -> None:
    async with WebsocketClient(NewsConsumer) as client:
        assert (await client.call("echo", request_id=2)).request_id == 2
        assert (await client.call("echo")).request_id == 1
        assert (await client.call("echo")).request_id == 3
        assert (await client.call("echo", request_id="mine")).request_id == "mine"


async def test_frames_before_the_reply_are_kept_for_event() -> None:
    async with WebsocketClient(NewsConsumer) as client:
        assert await client.call("publish", headline="rain") == reply("publish", "published", status=201, request_id=1)
        assert client.pending == [reply("news", "rain", request_id="feed")]
        assert await client.event(request_id="feed") == reply("news", "rain", request_id="feed")
        await client.assert_nothing_pending()


async def test_event_waits_for_a_later_frame_and_matches_by_status_alias() -> None:
    async with WebsocketClient(NewsConsumer) as client:
        await client.call("publish_later", headline="sun", delay=0.05)
        assert await client.event(action="news", status=200) == reply("news", "sun", request_id="feed")


async def test_events_collects_a_count_or_until_quiet() -> None:
    async with WebsocketClient(NewsConsumer) as client:
        for headline in ("a", "b", "c"):
            await client.call("publish", headline=headline)
        assert [event.data for event in await client.events(2, request_id="feed")] == ["a", "b"]
        assert [event.data for event in await client.events(request_id="feed")] == ["c"]
        assert await client.events(request_id="feed", timeout=0.01) == []


async def test_event_timeout_names_what_did_arrive() -> None:
    async with WebsocketClient(NewsConsumer) as client:
        await client.call("publish", headline="rain")
        with pytest.raises(AssertionError) as failure:
            await client.event(action="weather", timeout=0.05)
        assert str(failure.value) == (
            "Expected 1 frame(s) matching {'action': 'weather'} within 0.05s, got 0.\n"
            "Matched:\n  (nothing)\n"
            "Other frames received and not consumed:\n"
            "  {'errors': [], 'data': 'rain', 'action': 'news', 'response_status': 200, 'request_id': 'feed'}"
        )
        # a timeout does not stop the application
        assert await client.call("echo", value=1) == reply("echo", 1, request_id=2)
        await client.event(request_id="feed")


async def test_assert_nothing_pending_fails_on_kept_and_late_frames() -> None:
    async with WebsocketClient(NewsConsumer) as client:
        await client.call("publish", headline="rain")
        with pytest.raises(AssertionError, match="Frames were received and not consumed"):
            await client.assert_nothing_pending()
        await client.receive()
        await client.call("publish_later", headline="late", delay=0.02)
        with pytest.raises(AssertionError, match="'data': 'late'"):
            await client.assert_nothing_pending(timeout=0.2)


async def test_a_500_reply_fails_the_test_at_exit_with_the_server_log() -> None:
    with pytest.raises(ServerError) as failure:
        async with WebsocketClient(NewsConsumer) as client:
            assert (await client.call("boom")).status == 500
    report = str(failure.value)
    # pytest's short summary shows only the first line: it carries the logged reason.
    assert report.startswith(
        "The server had unhandled errors during the test: "
        "Unhandled exception in action 'boom': ZeroDivisionError: secret internal detail\n"
    )
    assert "reply {'errors': ['A server error occurred.'], 'data': None, 'action': 'boom'" in report
    assert "ERROR djangochannelsrestframework: Unhandled exception in action 'boom'" in report


async def test_server_errors_can_be_allowed() -> None:
    async with WebsocketClient(NewsConsumer, allow_server_errors=True) as client:
        assert await client.call("boom") == reply("boom", errors=["A server error occurred."], status=500, request_id=1)
    assert len(client.server_errors) == 2  # the reply and the log record


async def test_a_failing_test_gets_the_server_errors_as_a_note() -> None:
    with pytest.raises(AssertionError) as failure:
        async with WebsocketClient(NewsConsumer) as client:
            assert (await client.call("boom")).status == 200
    assert "Unhandled exception in action 'boom'" in "\n".join(getattr(failure.value, "__notes__", []))


async def test_an_exception_in_the_application_is_raised_in_the_test() -> None:
    with pytest.raises(RuntimeError, match="crash outside any action"):
        async with WebsocketClient(NewsConsumer) as client:
            await client.call("crash_later")
            await client.event(action="never")


async def test_refused_handshake() -> None:
    client = WebsocketClient(DenyConnectConsumer)
    with pytest.raises(HandshakeRefused) as refused:
        await client.connect()
    assert refused.value.code == 1000
    assert "can_connect returned False" in str(refused.value)


async def test_server_closing_the_connection() -> None:
    async with WebsocketClient(NewsConsumer) as client:
        await client.send({"action": "hang_up"})
        assert await client.wait_closed() == 4001
        with pytest.raises(ConnectionClosed, match=r"code 4001"):
            await client.event(action="anything")


async def test_raw_frames() -> None:
    async with WebsocketClient(NewsConsumer) as client:
        await client.send("{")
        assert await client.receive() == reply(
            None,
            errors=["Malformed JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
            status=400,
        )


async def test_disconnect_cancels_detached_tasks_and_leaves_groups() -> None:
    TaskConsumer.cancelled.clear()
    layer = get_channel_layer()
    async with WebsocketClient(TaskConsumer) as client:
        await client.send({"action": "wait", "request_id": "long"})
        assert (await client.call("running")).data == 1
    assert TaskConsumer.cancelled == ["long"]
    await client.assert_nothing_pending()

    class Joiner(AsyncAPIConsumer):
        @action()
        async def join(self) -> tuple[None, int]:
            await self.add_group("client-test-group")
            return None, 200

    async with WebsocketClient(Joiner) as client:
        await client.call("join")
        assert layer.groups.get("client-test-group")
    assert not layer.groups.get("client-test-group")


class WhoAmI(NewsConsumer):
    pass


application = ProtocolTypeRouter({"websocket": AuthMiddlewareStack(URLRouter([path("ws/who/", WhoAmI.as_asgi())]))})


@pytest.mark.django_db(transaction=True)
async def test_whole_application_with_user_in_scope() -> None:
    alice = User(pk=1, username="alice")
    async with WebsocketClient(application, "/ws/who/?x=1", user=alice) as client:
        assert (await client.call("whoami")).data == "alice"
    async with WebsocketClient(application, "/ws/who/", user=AnonymousUser()) as client:
        assert (await client.call("whoami")).data == "anonymous"


@pytest.mark.django_db(transaction=True)
async def test_whole_application_with_a_logged_in_session() -> None:
    """AuthMiddlewareStack finds the user in the session, as it does for a browser's cookie."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    alice = await sync_to_async(User.objects.create_user)("alice")
    session = SessionStore()
    session[SESSION_KEY] = str(alice.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = alice.get_session_auth_hash()
    async with WebsocketClient(application, "/ws/who/", session=session) as client:
        assert (await client.call("whoami")).data == "alice"
    async with WebsocketClient(application, "/ws/who/", session=SessionStore()) as client:
        assert (await client.call("whoami")).data == "anonymous"


async def test_unrouted_path_is_refused() -> None:
    with pytest.raises(ValueError, match="No route found for path"):
        async with WebsocketClient(application, "/ws/nowhere/"):
            pass


async def test_consumer_instance_and_dotted_path() -> None:
    async with WebsocketClient(NewsConsumer()) as client:
        assert (await client.call("echo", value=3)).data == 3
    async with WebsocketClient("tests.testing.test_testing_client.NewsConsumer") as client:
        assert (await client.call("echo", value=4)).data == 4


class ItemCounter(AsyncAPIConsumer):
    @action()
    def count(self) -> tuple[int, int]:
        return Item.objects.count(), 200


class ClientInTransactionTestCase(TransactionTestCase):
    """Django's own test cases run async tests too."""

    async def test_sync_action_sees_the_test_database(self) -> None:
        await Item.objects.acreate(name="one")
        async with WebsocketClient(ItemCounter) as client:
            self.assertEqual(await client.call("count"), reply("count", 1, request_id=1))


async def test_error_records_are_only_captured_while_connected(caplog: pytest.LogCaptureFixture) -> None:
    async with WebsocketClient(NewsConsumer) as client:
        await client.call("echo")
    logging.getLogger("djangochannelsrestframework").error("after the test")
    assert client.server_errors == []
