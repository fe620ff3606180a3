"""StreamedPaginatedListMixin: one reply per page, ``list_cancel`` by request id, disconnect cancels."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.generic_consumers import (
    PausedStreamedItemConsumer,
    SlowStreamedItemConsumer,
    StreamedCursorConsumer,
    StreamedItemConsumer,
    StreamedPageNumberConsumer,
    ask,
    open_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def items() -> list[dict[str, Any]]:
    created = [Item.objects.create(name=f"item {number}", value=number) for number in range(1, 8)]
    return [{"id": item.pk, "name": item.name, "value": item.value} for item in created]


def cancelled(request_id: Any) -> dict[str, Any]:
    return {"errors": [], "data": None, "action": "list_cancel", "response_status": 200, "request_id": request_id}


async def test_every_page_is_sent_with_the_same_request_id(items: list[dict[str, Any]]) -> None:
    async with open_socket(StreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 3, "request_id": "s1"})
        pages = [await ws.receive_json_from(timeout=5) for _ in range(3)]
        assert await ws.receive_nothing(timeout=0.2)
    assert pages == [
        reply("list", {"count": 7, "results": items[0:3], "limit": 3, "offset": 0}, request_id="s1"),
        reply("list", {"count": 7, "results": items[3:6], "limit": 3, "offset": 3}, request_id="s1"),
        reply("list", {"count": 7, "results": items[6:7], "limit": 3, "offset": 6}, request_id="s1"),
    ]


async def test_exact_multiple_of_the_page_size_ends_without_an_empty_page(items: list[dict[str, Any]]) -> None:
    await Item.objects.filter(value=7).adelete()
    async with open_socket(StreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 2, "request_id": 1})
        pages = [await ws.receive_json_from(timeout=5) for _ in range(3)]
        assert await ws.receive_nothing(timeout=0.2)
    assert [row for page in pages for row in page["data"]["results"]] == items[:6]
    assert [page["data"]["offset"] for page in pages] == [0, 2, 4]


async def test_empty_table_streams_one_empty_page() -> None:
    async with open_socket(StreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 3, "request_id": 1})
        assert await ws.receive_json_from(timeout=5) == reply(
            "list", {"count": 0, "results": [], "limit": 3, "offset": 0}, request_id=1
        )
        assert await ws.receive_nothing(timeout=0.2)


@pytest.mark.parametrize(
    ("consumer", "message"),
    [
        pytest.param(StreamedItemConsumer, {"limit": 2}, id="limit-offset"),
        pytest.param(StreamedPageNumberConsumer, {"page_size": 2}, id="page-number"),
        pytest.param(StreamedCursorConsumer, {}, id="cursor"),
    ],
)
async def test_every_row_is_delivered_exactly_once(
    consumer: Any, message: dict[str, Any], items: list[dict[str, Any]], settings: Any
) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"PAGE_SIZE": 2}
    rows: list[dict[str, Any]] = []
    async with open_socket(consumer) as ws:
        await ws.send_json_to({"action": "list", "request_id": 9, **message})
        for _ in range(4):
            page = await ws.receive_json_from(timeout=5)
            assert (page["action"], page["response_status"], page["request_id"], page["errors"]) == ("list", 200, 9, [])
            rows.extend(page["data"]["results"])
        assert await ws.receive_nothing(timeout=0.2)
    assert [row["id"] for row in rows] == [item["id"] for item in items]


async def test_stream_starts_at_the_offset_sent(items: list[dict[str, Any]]) -> None:
    async with open_socket(StreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 3, "offset": 4})
        pages = [await ws.receive_json_from(timeout=5) for _ in range(1)]
        assert await ws.receive_nothing(timeout=0.2)
    assert pages == [reply("list", {"count": 7, "results": items[4:7], "limit": 3, "offset": 4})]


async def test_list_cancel_stops_the_stream(items: list[dict[str, Any]]) -> None:
    async with open_socket(SlowStreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 1, "request_id": "a"})
        assert await ws.receive_json_from(timeout=5) == reply(
            "list", {"count": 7, "results": items[:1], "limit": 1, "offset": 0}, request_id="a"
        )
        assert await ask(ws, {"action": "list_cancel", "request_id": "a"}) == cancelled("a")
        assert await ws.receive_nothing(timeout=0.6)


async def test_list_cancel_with_a_request_id_cancels_only_that_stream(items: list[dict[str, Any]]) -> None:
    await Item.objects.filter(value__gt=4).adelete()
    async with open_socket(SlowStreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 1, "request_id": "a"})
        await ws.send_json_to({"action": "list", "limit": 1, "request_id": "b"})
        first = [await ws.receive_json_from(timeout=5) for _ in range(2)]
        assert sorted(page["request_id"] for page in first) == ["a", "b"]

        await ws.send_json_to({"action": "list_cancel", "request_id": "a"})
        rest = []
        while not await ws.receive_nothing(timeout=0.5):
            rest.append(await ws.receive_json_from())
    assert cancelled("a") in rest
    after_cancel = rest[rest.index(cancelled("a")) + 1 :]
    assert all(page["request_id"] == "b" for page in after_cancel)
    b_rows = [row for page in first + rest if page["request_id"] == "b" for row in page["data"]["results"]]
    assert b_rows == items[:4]


async def test_list_cancel_without_request_id_cancels_every_stream(items: list[dict[str, Any]]) -> None:
    async with open_socket(SlowStreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 1, "request_id": "a"})
        await ws.send_json_to({"action": "list", "limit": 1, "request_id": "b"})
        [await ws.receive_json_from(timeout=5) for _ in range(2)]
        assert await ask(ws, {"action": "list_cancel"}) == cancelled(None)
        assert await ws.receive_nothing(timeout=0.6)


async def test_list_cancel_without_a_stream_still_replies() -> None:
    async with open_socket(StreamedItemConsumer) as ws:
        assert await ask(ws, {"action": "list_cancel", "request_id": 3}) == cancelled(3)


async def test_socket_answers_other_actions_while_streaming(items: list[dict[str, Any]]) -> None:
    async with open_socket(PausedStreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 1, "request_id": "stream"})
        assert await ask(ws, {"action": "retrieve", "pk": items[2]["id"], "request_id": "r"}) == reply(
            "retrieve", items[2], request_id="r"
        )
        assert await ask(ws, {"action": "list_cancel"}) == cancelled(None)


async def test_disconnect_cancels_the_stream(items: list[dict[str, Any]]) -> None:
    consumer = SlowStreamedItemConsumer()
    async with open_socket(consumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 1, "request_id": "a"})
        await ws.receive_json_from(timeout=5)
        tasks = list(consumer.detached_tasks["list"])
        assert len(tasks) == 1
    assert all(task.cancelled() for task in tasks)
    assert not consumer.detached_tasks


async def test_page_out_of_range_is_replied_on_the_stream(items: list[dict[str, Any]]) -> None:
    async with open_socket(StreamedPageNumberConsumer) as ws:
        await ws.send_json_to({"action": "list", "page": 9, "request_id": "p"})
        assert await ws.receive_json_from(timeout=5) == reply(
            "list", status=404, errors=["Invalid page."], request_id="p"
        )
        assert await ask(ws, {"action": "list_cancel", "request_id": "p"}) == cancelled("p")


async def test_without_a_page_size_the_stream_is_one_unpaginated_reply(
    items: list[dict[str, Any]], settings: Any
) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"PAGE_SIZE": None, "DEFAULT_PAGE_SIZE": None}
    async with open_socket(StreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "request_id": "all"})
        assert await ws.receive_json_from(timeout=5) == reply("list", items, request_id="all")
        assert await ws.receive_nothing(timeout=0.2)


async def test_get_queryset_sees_the_same_keys_as_for_a_plain_list(items: list[dict[str, Any]]) -> None:
    seen: list[dict[str, Any]] = []

    class Recording(StreamedItemConsumer):
        def get_queryset(self, **kwargs: Any) -> Any:
            seen.append(kwargs)
            return super().get_queryset(**kwargs)

    async with open_socket(Recording) as ws:
        await ws.send_json_to({"action": "list", "limit": 4, "request_id": "r", "colour": "red"})
        [await ws.receive_json_from(timeout=5) for _ in range(2)]
    assert seen == [
        {"limit": 4, "colour": "red", "action": "list", "request_id": "r"},
        {"limit": 4, "offset": 4, "colour": "red", "action": "list", "request_id": "r"},
    ]
