"""Filter backends on ``list``: the message's keys are the query parameters, with each paginator."""

from __future__ import annotations

from typing import Any

import pytest
from django_filters import rest_framework as django_filters
from rest_framework.filters import OrderingFilter

from djangochannelsrestframework.filters import query_dict_from_message
from djangochannelsrestframework.mixins import RetrieveModelMixin
from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.generic_consumers import (
    ItemFilterSet,
    ThreeByCursor,
    ThreeByLimitOffset,
    ThreeByPageNumber,
    ask,
    filtered_consumer,
    open_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = ["apple", "banana", "cherry", "apricot", "blueberry", "avocado", "cranberry"]
PAGINATORS = [
    pytest.param(ThreeByLimitOffset, id="limit-offset"),
    pytest.param(ThreeByPageNumber, id="page-number"),
    pytest.param(ThreeByCursor, id="cursor"),
]


@pytest.fixture
def items() -> list[dict[str, Any]]:
    created = [Item.objects.create(name=name, value=value) for value, name in enumerate(NAMES, start=1)]
    return [{"id": item.pk, "name": item.name, "value": item.value} for item in created]


def first_page(paginator: Any, results: list[dict[str, Any]], count: int) -> dict[str, Any]:
    """The exact reply body of the first page when all ``count`` results fit on it."""
    if paginator is ThreeByLimitOffset:
        return {"count": count, "results": results, "limit": 3, "offset": 0}
    if paginator is ThreeByPageNumber:
        return {"count": count, "results": results, "page": 1, "page_size": 3, "num_pages": 1}
    return {"results": results, "next": None, "previous": None}


async def list_reply(consumer: Any, **message: Any) -> Any:
    async with open_socket(consumer) as ws:
        return await ask(ws, {"action": "list", **message})


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_search_filter(paginator: Any, items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(paginator), search="ap") == reply(
        "list", first_page(paginator, [items[0], items[3]], 2)
    )


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_search_filter_with_several_terms(paginator: Any, items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(paginator), search="an ba") == reply(
        "list", first_page(paginator, [items[1]], 1)
    )


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_ordering_filter(paginator: Any, items: list[dict[str, Any]]) -> None:
    expected = first_page(paginator, [items[6], items[5], items[4]], 7)
    if paginator is ThreeByLimitOffset:
        expected = {**expected, "count": 7}
    if paginator is ThreeByPageNumber:
        expected = {**expected, "num_pages": 3}
    response = await list_reply(filtered_consumer(paginator), ordering="-value")
    if paginator is ThreeByCursor:
        assert isinstance(response["data"]["next"], str)
        expected = {**expected, "next": response["data"]["next"]}
    assert response == reply("list", expected)


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_ordering_by_a_field_not_allowed_is_ignored(paginator: Any, items: list[dict[str, Any]]) -> None:
    response = await list_reply(filtered_consumer(paginator), ordering="-secret", search="ap")
    assert response == reply("list", first_page(paginator, [items[0], items[3]], 2))


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_filterset_fields(paginator: Any, items: list[dict[str, Any]]) -> None:
    assert await list_reply(filtered_consumer(paginator), name="banana") == reply(
        "list", first_page(paginator, [items[1]], 1)
    )
    assert await list_reply(filtered_consumer(paginator), value=3) == reply(
        "list", first_page(paginator, [items[2]], 1)
    )


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_filterset_class(paginator: Any, items: list[dict[str, Any]]) -> None:
    consumer = filtered_consumer(paginator, filterset_class=ItemFilterSet)
    assert await list_reply(consumer, name="an", min_value=5) == reply("list", first_page(paginator, [items[6]], 1))


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_invalid_filter_value_replies_400_with_django_filter_errors(
    paginator: Any, items: list[dict[str, Any]]
) -> None:
    assert await list_reply(filtered_consumer(paginator), value="many", request_id=4) == reply(
        "list", status=400, errors=[{"value": ["Enter a number."]}], request_id=4
    )


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_invalid_filterset_class_value_replies_400(paginator: Any, items: list[dict[str, Any]]) -> None:
    consumer = filtered_consumer(paginator, filterset_class=ItemFilterSet)
    assert await list_reply(consumer, min_value="lots") == reply(
        "list", status=400, errors=[{"min_value": ["Enter a number."]}]
    )


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_filters_combine(paginator: Any, items: list[dict[str, Any]]) -> None:
    consumer = filtered_consumer(paginator, filterset_class=ItemFilterSet)
    assert await list_reply(consumer, search="a", min_value=4, ordering="-name") == reply(
        "list", first_page(paginator, [items[6], items[5], items[3]], 3)
    )


async def test_limit_offset_pages_through_a_filtered_list(items: list[dict[str, Any]]) -> None:
    async with open_socket(filtered_consumer(ThreeByLimitOffset)) as ws:
        assert await ask(ws, {"action": "list", "search": "a", "offset": 3}) == reply(
            "list", {"count": 5, "results": [items[5], items[6]], "limit": 3, "offset": 3}
        )


async def test_page_number_pages_through_a_filtered_list(items: list[dict[str, Any]]) -> None:
    async with open_socket(filtered_consumer(ThreeByPageNumber)) as ws:
        assert await ask(ws, {"action": "list", "search": "a", "page": 2}) == reply(
            "list", {"count": 5, "results": [items[5], items[6]], "page": 2, "page_size": 3, "num_pages": 2}
        )
        assert await ask(ws, {"action": "list", "search": "a", "page": 3}) == reply(
            "list", status=404, errors=["Invalid page."]
        )


async def test_cursor_follows_next_through_an_ordered_list(items: list[dict[str, Any]]) -> None:
    seen: list[dict[str, Any]] = []
    message: dict[str, Any] = {"action": "list", "ordering": "-value"}
    async with open_socket(filtered_consumer(ThreeByCursor)) as ws:
        while True:
            response = await ask(ws, message)
            seen.extend(response["data"]["results"])
            if response["data"]["next"] is None:
                break
            message = {"action": "list", "ordering": "-value", "cursor": response["data"]["next"]}
    assert seen == items[::-1]


async def test_filters_apply_to_detail_actions_too(items: list[dict[str, Any]]) -> None:
    consumer = type("FilteredDetail", (RetrieveModelMixin, filtered_consumer(ThreeByLimitOffset)), {})
    async with open_socket(consumer) as ws:
        assert await ask(ws, {"action": "retrieve", "pk": items[0]["id"], "search": "ap"}) == reply(
            "retrieve", items[0]
        )
        assert await ask(ws, {"action": "retrieve", "pk": items[1]["id"], "search": "ap"}) == reply(
            "retrieve", status=404, errors=["Not found"]
        )


async def test_django_filter_backend_needs_no_installed_app(items: list[dict[str, Any]]) -> None:
    consumer = filtered_consumer(None, filter_backends=[django_filters.DjangoFilterBackend])
    assert await list_reply(consumer, name="cherry") == reply("list", [items[2]])


def test_message_keys_become_query_parameters() -> None:
    query = query_dict_from_message(
        {
            "action": "list",
            "request_id": 1,
            "pk": 3,
            "data": {"x": 1},
            "search": "ada",
            "limit": 20,
            "flag": True,
            "off": False,
            "nothing": None,
            "nested": {"a": 1},
            "ids": [1, 2, None, {"b": 2}],
            "empty": [],
            "nulls": [None],
        }
    )
    assert {key: query.getlist(key) for key in query} == {
        "search": ["ada"],
        "limit": ["20"],
        "flag": ["true"],
        "off": ["false"],
        "ids": ["1", "2"],
    }


async def test_ordering_fields_default_to_the_serializer_fields(items: list[dict[str, Any]]) -> None:
    consumer = filtered_consumer(None, filter_backends=[OrderingFilter], ordering_fields=None)
    assert await list_reply(consumer, ordering="-value") == reply("list", items[::-1])
    assert await list_reply(consumer, ordering="-secret") == reply("list", items)


JUNK = [None, "", "abc", -1, 0, 10**20, 1.5, True, [], {}, [None], ["x", 1], "\x00", "é" * 500, "-", ","]
KEYS = ["search", "ordering", "name", "value", "min_value", "limit", "offset", "page", "page_size", "cursor"]


@pytest.mark.parametrize("paginator", PAGINATORS)
async def test_junk_parameters_never_break_the_socket(paginator: Any, items: list[dict[str, Any]]) -> None:
    consumer = filtered_consumer(paginator, filterset_class=ItemFilterSet)
    statuses = set()
    async with open_socket(consumer) as ws:
        for key in KEYS:
            for value in JUNK:
                response = await ask(ws, {"action": "list", key: value, "request_id": [key, repr(value)]})
                assert response["request_id"] == [key, repr(value)]
                assert response["response_status"] in (200, 400, 404), response
                statuses.add(response["response_status"])
        assert (await ask(ws, {"action": "list"}))["response_status"] == 200
    assert 200 in statuses
