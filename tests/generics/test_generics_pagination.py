"""Paginated ``list``: limit/offset, page number and cursor paginators, their settings and bad parameters."""

from __future__ import annotations

from typing import Any

import pytest

from djangochannelsrestframework.pagination import (
    WebsocketCursorPagination,
    WebsocketLimitOffsetPagination,
    WebsocketPageNumberPagination,
)
from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.generic_consumers import (
    ItemConsumer,
    SettingsPaginatedConsumer,
    ThreeByCursor,
    ThreeByLimitOffset,
    ThreeByPageNumber,
    ask,
    filtered_consumer,
    open_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = ["apple", "banana", "cherry", "apricot", "blueberry", "avocado", "cranberry"]


@pytest.fixture
def items() -> list[dict[str, Any]]:
    created = [Item.objects.create(name=name, value=value) for value, name in enumerate(NAMES, start=1)]
    return [{"id": item.pk, "name": item.name, "value": item.value} for item in created]


async def list_reply(consumer: Any, **message: Any) -> Any:
    async with open_socket(consumer) as ws:
        return await ask(ws, {"action": "list", **message})


# -- limit / offset ------------------------------------------------------------------------------


async def test_limit_and_offset_select_the_page(items: list[dict[str, Any]]) -> None:
    consumer = filtered_consumer(WebsocketLimitOffsetPagination)
    assert await list_reply(consumer, limit=2, offset=1, request_id=7) == reply(
        "list", {"count": 7, "results": items[1:3], "limit": 2, "offset": 1}, request_id=7
    )


async def test_limit_defaults_to_default_page_size(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(WebsocketLimitOffsetPagination)) == reply(
        "list", {"count": 7, "results": items, "limit": 25, "offset": 0}
    )


async def test_page_size_setting_is_the_default_limit(items: list[dict[str, Any]], settings: Any) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"PAGE_SIZE": 3}
    assert await list_reply(filtered_consumer(WebsocketLimitOffsetPagination), offset=3) == reply(
        "list", {"count": 7, "results": items[3:6], "limit": 3, "offset": 3}
    )


async def test_default_page_size_setting_is_used_without_page_size(items: list[dict[str, Any]], settings: Any) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"DEFAULT_PAGE_SIZE": 4}
    assert await list_reply(filtered_consumer(WebsocketLimitOffsetPagination)) == reply(
        "list", {"count": 7, "results": items[:4], "limit": 4, "offset": 0}
    )


@pytest.mark.parametrize("limit", [None, "abc", 0, -2, {}, [], True, "1.5"])
async def test_junk_limit_falls_back_to_the_default(limit: Any, items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByLimitOffset), limit=limit) == reply(
        "list", {"count": 7, "results": items[:3], "limit": 3, "offset": 0}
    )


@pytest.mark.parametrize("offset", [None, "abc", -1, {}, [], False])
async def test_junk_offset_falls_back_to_zero(offset: Any, items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByLimitOffset), offset=offset) == reply(
        "list", {"count": 7, "results": items[:3], "limit": 3, "offset": 0}
    )


async def test_limit_as_a_numeric_string_is_accepted(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByLimitOffset), limit="2", offset="5") == reply(
        "list", {"count": 7, "results": items[5:7], "limit": 2, "offset": 5}
    )


async def test_huge_limit_is_accepted(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByLimitOffset), limit=2**62, offset=5) == reply(
        "list", {"count": 7, "results": items[5:], "limit": 2**62, "offset": 5}
    )


@pytest.mark.parametrize("key", ["limit", "offset"])
async def test_numbers_beyond_64_bits_are_junk(key: str, items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByLimitOffset), **{key: 2**64}) == reply(
        "list", {"count": 7, "results": items[:3], "limit": 3, "offset": 0}
    )


async def test_empty_list_page_size_falls_back_to_the_default(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByPageNumber), page_size=[], page=[]) == reply(
        "list", {"count": 7, "results": items[:3], "page": 1, "page_size": 3, "num_pages": 3}
    )


async def test_offset_past_the_end_gives_an_empty_page(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByLimitOffset), offset=50) == reply(
        "list", {"count": 7, "results": [], "limit": 3, "offset": 50}
    )


async def test_max_limit_caps_the_limit(items: list[dict[str, Any]]) -> None:
    capped = type("Capped", (WebsocketLimitOffsetPagination,), {"max_limit": 2})
    assert await list_reply(filtered_consumer(capped), limit=100) == reply(
        "list", {"count": 7, "results": items[:2], "limit": 2, "offset": 0}
    )


async def test_empty_table_gives_an_empty_page() -> None:
    assert await list_reply(filtered_consumer(ThreeByLimitOffset)) == reply(
        "list", {"count": 0, "results": [], "limit": 3, "offset": 0}
    )


# -- page number ---------------------------------------------------------------------------------


async def test_page_selects_the_page(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByPageNumber), page=2) == reply(
        "list", {"count": 7, "results": items[3:6], "page": 2, "page_size": 3, "num_pages": 3}
    )


async def test_page_size_comes_from_the_message(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByPageNumber), page=3, page_size=2) == reply(
        "list", {"count": 7, "results": items[4:6], "page": 3, "page_size": 2, "num_pages": 4}
    )


async def test_page_defaults_to_the_first(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByPageNumber)) == reply(
        "list", {"count": 7, "results": items[:3], "page": 1, "page_size": 3, "num_pages": 3}
    )


async def test_page_last_is_the_last_page(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByPageNumber), page="last") == reply(
        "list", {"count": 7, "results": items[6:], "page": 3, "page_size": 3, "num_pages": 3}
    )


@pytest.mark.parametrize("page", [4, 0, -1, "abc"])
async def test_out_of_range_page_replies_404(page: Any, items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByPageNumber), page=page, request_id=1) == reply(
        "list", status=404, errors=["Invalid page."], request_id=1
    )


async def test_page_number_uses_the_page_size_setting(items: list[dict[str, Any]], settings: Any) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"PAGE_SIZE": 5}
    assert await list_reply(filtered_consumer(WebsocketPageNumberPagination), page=2) == reply(
        "list", {"count": 7, "results": items[5:], "page": 2, "page_size": 5, "num_pages": 2}
    )


# -- cursor --------------------------------------------------------------------------------------


async def test_cursor_pages_follow_next(items: list[dict[str, Any]]) -> None:
    async with open_socket(filtered_consumer(ThreeByCursor)) as ws:
        first = await ask(ws, {"action": "list", "request_id": 1})
        assert first == reply(
            "list", {"results": items[:3], "next": first["data"]["next"], "previous": None}, status=200, request_id=1
        )
        assert isinstance(first["data"]["next"], str)

        second = await ask(ws, {"action": "list", "cursor": first["data"]["next"], "request_id": 2})
        assert second["data"]["results"] == items[3:6]
        assert isinstance(second["data"]["previous"], str)

        last = await ask(ws, {"action": "list", "cursor": second["data"]["next"], "request_id": 3})
        assert last["data"]["results"] == items[6:]
        assert last["data"]["next"] is None

        back = await ask(ws, {"action": "list", "cursor": last["data"]["previous"]})
        assert back["data"]["results"] == items[3:6]


async def test_junk_cursor_replies_404(items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(ThreeByCursor), cursor="not-a-cursor") == reply(
        "list", status=404, errors=["Invalid cursor"]
    )


# -- settings ------------------------------------------------------------------------------------


async def test_default_pagination_class_setting_is_used(items: list[dict[str, Any]], settings: Any) -> None:
    settings.DJANGO_CHANNELS_REST_API = {
        "DEFAULT_PAGINATION_CLASS": "djangochannelsrestframework.pagination.WebsocketLimitOffsetPagination",
        "PAGE_SIZE": 2,
    }
    assert await list_reply(SettingsPaginatedConsumer) == reply(
        "list", {"count": 7, "results": items[:2], "limit": 2, "offset": 0}
    )


async def test_without_a_paginator_the_list_is_unpaginated(items: list[dict[str, Any]]) -> None:
    assert await list_reply(SettingsPaginatedConsumer, limit=2) == reply("list", items)


async def test_default_filter_backends_setting_is_used(items: list[dict[str, Any]], settings: Any) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"DEFAULT_FILTER_BACKENDS": ["rest_framework.filters.SearchFilter"]}
    assert await list_reply(SettingsPaginatedConsumer, search="berry") == reply("list", [items[4], items[6]])


async def test_plain_list_mixin_ignores_pagination_keys(items: list[dict[str, Any]]) -> None:
    assert await list_reply(ItemConsumer, limit=2, offset=1) == reply("list", items)


# -- the paginators on their own -----------------------------------------------------------------


def test_limit_offset_next_page_kwargs() -> None:
    paginator = WebsocketLimitOffsetPagination()
    assert paginator.next_page_kwargs({"count": 7, "limit": 3, "offset": 3}) == {"offset": 6, "limit": 3}
    assert paginator.next_page_kwargs({"count": 7, "limit": 3, "offset": 6}) is None


def test_page_number_next_page_kwargs() -> None:
    paginator = WebsocketPageNumberPagination()
    assert paginator.next_page_kwargs({"page": 1, "page_size": 3, "num_pages": 3}) == {"page": 2, "page_size": 3}
    assert paginator.next_page_kwargs({"page": 3, "page_size": 3, "num_pages": 3}) is None


def test_cursor_next_page_kwargs() -> None:
    paginator = WebsocketCursorPagination()
    assert paginator.next_page_kwargs({"results": [], "next": "abc", "previous": None}) == {"cursor": "abc"}
    assert paginator.next_page_kwargs({"results": [], "next": None, "previous": "abc"}) is None
