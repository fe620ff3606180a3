"""What the library logs: DEBUG records of connections, actions, subscriptions and events; warnings
for action results that are not ``(data, status)``; what a server error says to configure."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.testing import HandshakeRefused, WebsocketClient
from tests.support.app.models import Item
from tests.support.core_consumers import DenyConnectConsumer, EchoConsumer, allow_connection_housekeeping  # noqa: F401
from tests.support.envelope import reply
from tests.support.observer_consumers import ItemActivityConsumer, ItemInstanceConsumer

LOGGER = "djangochannelsrestframework"


def records(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    """(logger, level, message) of every record, with durations masked."""
    return [
        (record.name, record.levelname, re.sub(r"duration=\d+\.\d\dms", "duration=Xms", record.getMessage()))
        for record in caplog.records
    ]


async def test_debug_records_of_a_connection_and_its_actions(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    async with WebsocketClient(EchoConsumer, "/ws/echo/", allow_server_errors=True) as client:
        await client.call("echo", value="x")
        await client.call("created")
        await client.send({"action": "silent", "request_id": "quiet"})
        await client.call("nope")
        await client.call("drf_not_found")
        await client.call("boom")
    debug = [record for record in records(caplog) if record[1] == "DEBUG"]
    assert debug == [
        (LOGGER, "DEBUG", "connect EchoConsumer path=/ws/echo/"),
        (LOGGER, "DEBUG", "accept EchoConsumer path=/ws/echo/"),
        (LOGGER, "DEBUG", "action echo request_id=1 status=200 duration=Xms consumer=EchoConsumer"),
        (LOGGER, "DEBUG", "action created request_id=2 status=201 duration=Xms consumer=EchoConsumer"),
        (LOGGER, "DEBUG", "action silent request_id='quiet' status=- duration=Xms consumer=EchoConsumer"),
        (LOGGER, "DEBUG", "action nope request_id=3 status=405 (MethodNotAllowed) duration=Xms consumer=EchoConsumer"),
        (LOGGER, "DEBUG", "action drf_not_found request_id=4 status=404 (NotFound) duration=Xms consumer=EchoConsumer"),
        (LOGGER, "DEBUG", "action boom request_id=5 status=500 (RuntimeError) duration=Xms consumer=EchoConsumer"),
        (LOGGER, "DEBUG", "disconnect EchoConsumer path=/ws/echo/ code=1000"),
    ]


async def test_info_stays_quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with WebsocketClient(EchoConsumer) as client:
        await client.call("echo", value="x")
    assert records(caplog) == []


async def test_refused_connection_names_the_permission(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    with pytest.raises(HandshakeRefused):
        await WebsocketClient(DenyConnectConsumer, "/ws/denied/").connect()
    assert records(caplog) == [
        (LOGGER, "DEBUG", "connect DenyConnectConsumer path=/ws/denied/"),
        (LOGGER, "DEBUG", "refuse DenyConnectConsumer path=/ws/denied/ by DenyConnect.can_connect"),
        (LOGGER, "DEBUG", "disconnect DenyConnectConsumer path=/ws/denied/ code=1000"),
    ]


@pytest.mark.django_db(transaction=True)
async def test_debug_records_of_subscriptions_and_events(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    async with WebsocketClient(ItemActivityConsumer) as client:
        await client.call("subscribe", request_id="watch")
        await sync_to_async(Item.objects.create)(name="a")
        await client.event(request_id="watch", action="create")
        await client.call("unsubscribe", request_id="watch")
    observer = [record for record in records(caplog) if record[0] == f"{LOGGER}.observer"]
    assert observer == [
        (f"{LOGGER}.observer", "DEBUG", "subscribe ItemActivityConsumer.item_activity groups=1 request_id='watch'"),
        (f"{LOGGER}.observer", "DEBUG", "publish messages=1 groups=1"),
        (f"{LOGGER}.observer", "DEBUG", "event ItemActivityConsumer.item_activity action=create request_ids=1"),
        (f"{LOGGER}.observer", "DEBUG", "unsubscribe ItemActivityConsumer.item_activity groups=1 request_id='watch'"),
    ]


@pytest.mark.django_db(transaction=True)
async def test_debug_records_of_instance_subscriptions(caplog: pytest.LogCaptureFixture) -> None:
    item = await sync_to_async(Item.objects.create)(name="a")
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    async with WebsocketClient(ItemInstanceConsumer) as client:
        await client.call("subscribe_instance", pk=item.pk, request_id=1)
        await client.call("subscribe_instance", pk=item.pk, request_id=2)
        item.name = "b"
        await sync_to_async(item.save)()
        await client.events(2, action="update")
        await client.call("unsubscribe_instance", request_id=2)
        await client.call("unsubscribe_instance", request_id=1)
        await client.call("subscribe_instance", pk=item.pk, request_id=3)
        await client.call("unsubscribe_instance", pk=item.pk)
    observer = [record[2] for record in records(caplog) if record[0] == f"{LOGGER}.observer"]
    # Each subscription is logged under its request id; an unsubscribe by pk alone names none, and one
    # that leaves no group (request 2 shared its group with request 1) has nothing to log.
    assert observer == [
        "subscribe ItemInstanceConsumer.handle_instance_change groups=1 request_id=1",
        "subscribe ItemInstanceConsumer.handle_instance_change groups=1 request_id=2",
        "publish messages=1 groups=1",
        "event ItemInstanceConsumer.handle_instance_change action=update request_ids=2",
        "unsubscribe ItemInstanceConsumer.handle_instance_change groups=1 request_id=1",
        "subscribe ItemInstanceConsumer.handle_instance_change groups=1 request_id=3",
        "unsubscribe ItemInstanceConsumer.handle_instance_change groups=1 request_id=None",
    ]


class ResultConsumer(AsyncAPIConsumer):
    @action()
    async def forgot_status(self) -> Any:
        return {"id": 1}


async def test_a_result_without_status_is_a_warning_and_an_error_reply(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    async with WebsocketClient(ResultConsumer, allow_server_errors=True) as client:
        assert await client.call("forgot_status") == reply(
            "forgot_status", errors=["A server error occurred."], status=500, request_id=1
        )
    assert records(caplog) == [
        (
            LOGGER,
            "WARNING",
            "Action 'forgot_status' returned a dict ({'id': 1}); return (data, status) to reply, or None when the "
            "action sends its own replies. The client got a 500 reply.",
        )
    ]


class Subscriber(AsyncAPIConsumer):
    @action()
    async def join(self) -> tuple[None, int]:
        await self.add_group("news")
        return None, 200


async def test_subscribing_without_a_channel_layer_says_what_to_configure(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    with override_settings(CHANNEL_LAYERS={}):
        async with WebsocketClient(Subscriber, allow_server_errors=True) as client:
            assert await client.call("join") == reply(
                "join", errors=["A server error occurred."], status=500, request_id=1
            )
    [record] = caplog.records
    assert record.getMessage() == "Unhandled exception in action 'join'"
    assert str(record.exc_info[1]) == (
        "No channel layer is configured, so this consumer cannot join groups (subscriptions and observers need "
        'one). Set CHANNEL_LAYERS in your settings: {"default": {"BACKEND": '
        '"channels.layers.InMemoryChannelLayer"}} for a single process, or channels_redis.core.RedisChannelLayer '
        "for several."
    )


class NotAList(AsyncAPIConsumer):
    permission_classes = permissions.IsAuthenticated

    @action()
    async def ping(self) -> tuple[str, int]:
        return "pong", 200


async def test_permission_classes_not_a_list_says_so(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    with pytest.raises(HandshakeRefused):
        await WebsocketClient(NotAList).connect()
    [record] = caplog.records
    assert record.getMessage() == "Error in can_connect; refusing the connection"
    assert str(record.exc_info[1]) == (
        "permission_classes of NotAList must be a list or tuple of permission classes, not "
        "<class 'djangochannelsrestframework.permissions.IsAuthenticated'>; write "
        "permission_classes = [IsAuthenticated]."
    )


def test_the_documented_logging_config_prints_each_record_once(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/examples/logging_config.py under a server that also logs the root logger (as Daphne does)."""
    import logging.config

    from docs.examples.logging_config import LOGGING

    library = logging.getLogger(LOGGER)
    saved = (library.level, list(library.handlers), library.propagate)
    root = logging.getLogger()
    server_handler = logging.StreamHandler()  # what Daphne/runserver put on the root logger
    root.addHandler(server_handler)
    try:
        logging.config.dictConfig(LOGGING)
        logging.getLogger(LOGGER).error("Unhandled exception in action 'boom'")
        logging.getLogger(f"{LOGGER}.observer").error("Could not send")
    finally:
        root.removeHandler(server_handler)
        for handler in library.handlers:
            library.removeHandler(handler)
        library.setLevel(saved[0])
        for handler in saved[1]:
            library.addHandler(handler)
        library.propagate = saved[2]
    assert capsys.readouterr().err == (
        "ERROR djangochannelsrestframework: Unhandled exception in action 'boom'\n"
        "ERROR djangochannelsrestframework.observer: Could not send\n"
    )


def test_the_logging_page_shows_the_subscriptions_request_id() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "logging.rst").read_text()
    subscribe = "subscribe NoteConsumer.handle_instance_change groups=1 request_id=2\n"
    action = "action subscribe_instance request_id=2 status=201"
    assert subscribe in page and action in page.split(subscribe, 1)[1].splitlines()[0]
