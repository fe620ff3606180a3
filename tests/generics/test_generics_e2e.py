"""A generic consumer served by a real server (uvicorn) and used by a real websocket client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.routing import URLRouter
from django.urls import path
from websockets.asyncio.client import connect

from djangochannelsrestframework.view_consumer import view_as_consumer
from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.generic_consumers import ItemConsumer, ItemViewSet, StreamedItemConsumer

pytestmark = pytest.mark.django_db(transaction=True)

application = URLRouter(
    [
        path("ws/items/", ItemConsumer.as_asgi()),
        path("ws/stream/", StreamedItemConsumer.as_asgi()),
        path("ws/viewset/", view_as_consumer(ItemViewSet)),
    ]
)


async def ask(ws: Any, message: dict[str, Any]) -> Any:
    await ws.send(json.dumps(message))
    return json.loads(await ws.recv())


async def test_crud_over_a_real_socket(live_server_url: Any) -> None:
    url = live_server_url(application)
    async with connect(f"{url}/ws/items/") as ws:
        created = await ask(ws, {"action": "create", "data": {"name": "ant", "value": 1}, "request_id": 1})
        pk = created["data"]["id"]
        assert created == reply("create", {"id": pk, "name": "ant", "value": 1}, status=201, request_id=1)
        assert await ask(ws, {"action": "list", "request_id": 2}) == reply(
            "list", [{"id": pk, "name": "ant", "value": 1}], request_id=2
        )
        assert await ask(ws, {"action": "retrieve", "pk": pk, "request_id": 3}) == reply(
            "retrieve", {"id": pk, "name": "ant", "value": 1}, request_id=3
        )
        assert await ask(ws, {"action": "patch", "pk": pk, "data": {"value": 2}, "request_id": 4}) == reply(
            "patch", {"id": pk, "name": "ant", "value": 2}, request_id=4
        )
        assert await ask(
            ws, {"action": "update", "pk": pk, "data": {"name": "bee", "value": 3}, "request_id": 5}
        ) == reply("update", {"id": pk, "name": "bee", "value": 3}, request_id=5)
        assert await ask(ws, {"action": "delete", "pk": pk, "request_id": 6}) == reply(
            "delete", None, status=204, request_id=6
        )
        assert await ask(ws, {"action": "retrieve", "pk": pk, "request_id": 7}) == reply(
            "retrieve", status=404, errors=["Not found"], request_id=7
        )
    assert not await Item.objects.aexists()


async def test_bad_input_does_not_close_a_real_socket(live_server_url: Any) -> None:
    url = live_server_url(application)
    async with connect(f"{url}/ws/items/") as ws:
        assert await ask(ws, {"action": "retrieve", "pk": {"x": 1}}) == reply(
            "retrieve", status=400, errors=[{"pk": ["A valid integer is required."]}]
        )
        assert await ask(ws, {"action": "create", "data": "nope"}) == reply(
            "create", status=400, errors=[{"data": ["Expected an object."]}]
        )
        assert await ask(ws, {"action": "list"}) == reply("list", [])


async def test_streamed_list_over_a_real_socket(live_server_url: Any) -> None:
    items = [await Item.objects.acreate(name=f"item {number}", value=number) for number in range(5)]
    url = live_server_url(application)
    async with connect(f"{url}/ws/stream/") as ws:
        await ws.send(json.dumps({"action": "list", "limit": 2, "request_id": "s"}))
        pages = [json.loads(await ws.recv()) for _ in range(3)]
    assert [page["request_id"] for page in pages] == ["s", "s", "s"]
    assert [row["id"] for page in pages for row in page["data"]["results"]] == [item.pk for item in items]


async def test_viewset_over_a_real_socket(live_server_url: Any) -> None:
    url = live_server_url(application)
    async with connect(f"{url}/ws/viewset/") as ws:
        created = await ask(ws, {"action": "create", "data": {"name": "ant", "value": 1}})
        pk = created["data"]["id"]
        assert created == reply("create", {"id": pk, "name": "ant", "value": 1}, status=201)
        assert await ask(ws, {"action": "retrieve", "parameters": {"pk": pk}}) == reply(
            "retrieve", {"id": pk, "name": "ant", "value": 1}
        )
        assert await ask(ws, {"action": "delete", "parameters": {"pk": pk}}) == reply("delete", None, status=204)
