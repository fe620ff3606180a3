"""Subclasses of dict, list, str, int and float encode as the standard library (and so DCRF) encodes them."""

from __future__ import annotations

import enum
import json
from collections import OrderedDict
from typing import Any

import pytest
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework.decorators import api_view
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from djangochannelsrestframework import codec
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.view_consumer import view_as_consumer
from tests.support.core_consumers import allow_connection_housekeeping  # noqa: F401
from tests.support.envelope import reply
from tests.support.generic_consumers import ask, open_socket


class Reversed(list):  # type: ignore[type-arg]
    """A list subclass that iterates backwards: the standard library encodes what iteration yields."""

    def __iter__(self) -> Any:
        return iter(list.__getitem__(self, slice(None, None, -1)))


class Text(str):
    def __str__(self) -> str:
        return "not what is stored"


class Number(int):
    def __int__(self) -> int:
        return -1


class Real(float):
    pass


class Colour(enum.IntEnum):
    RED = 1


def query_dict() -> QueryDict:
    query = QueryDict(mutable=True)
    query["value"] = 1
    query.setlist("many", [1, 2])
    query.setlist("none", [])
    return query


def moved_ordered_dict() -> OrderedDict[str, int]:
    ordered = OrderedDict(first=1, second=2)
    ordered.move_to_end("first")  # changes the order items() gives, not the storage orjson reads
    return ordered


def stdlib(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


SUBCLASSED = [
    pytest.param(query_dict(), '{"value":1,"many":2,"none":[]}', id="QueryDict"),
    pytest.param(MultiValueDict({"a": [1, 2], "b": ["x"]}), '{"a":2,"b":"x"}', id="MultiValueDict"),
    pytest.param(moved_ordered_dict(), '{"second":2,"first":1}', id="OrderedDict"),
    pytest.param(Reversed([1, 2, 3]), "[3,2,1]", id="list-subclass"),
    pytest.param(Text("stored"), '"stored"', id="str-subclass"),
    pytest.param(Number(7), "7", id="int-subclass"),
    pytest.param(Real(2.5), "2.5", id="float-subclass"),
    pytest.param(Colour.RED, "1", id="IntEnum"),
    pytest.param({"nested": [query_dict()]}, '{"nested":[{"value":1,"many":2,"none":[]}]}', id="nested"),
    pytest.param(
        ReturnDict({"name": [ErrorDetail("Required.", code="required")]}, serializer=None),
        '{"name":["Required."]}',
        id="ReturnDict",
    ),
    pytest.param(ReturnList([{"pk": 1}], serializer=None), '[{"pk":1}]', id="ReturnList"),
]


@pytest.mark.parametrize(("value", "expected"), SUBCLASSED)
def test_subclasses_encode_as_the_standard_library_does(value: Any, expected: str) -> None:
    assert stdlib(value) == expected
    assert codec.dumps(value) == expected


class SubclassConsumer(AsyncAPIConsumer):
    @action()
    async def query(self, **kwargs: Any) -> tuple[Any, int]:
        return query_dict(), 200

    @action()
    async def mixed(self, **kwargs: Any) -> tuple[Any, int]:
        return {
            "multi": MultiValueDict({"a": [1, 2]}),
            "ordered": moved_ordered_dict(),
            "items": Reversed([1, 2]),
            "text": Text("stored"),
            "number": Number(3),
            "real": Real(0.5),
        }, 200


async def test_an_action_returning_a_query_dict() -> None:
    async with open_socket(SubclassConsumer) as ws:
        assert await ask(ws, {"action": "query", "request_id": 1}) == reply(
            "query", {"value": 1, "many": 2, "none": []}, request_id=1
        )


async def test_an_action_returning_subclasses_sends_the_standard_library_json() -> None:
    async with open_socket(SubclassConsumer) as ws:
        await ws.send_json_to({"action": "mixed", "request_id": 2})
        text = await ws.receive_from(timeout=5)
    expected = {
        "errors": [],
        "data": {
            "multi": {"a": 2},
            "ordered": {"second": 2, "first": 1},
            "items": [2, 1],
            "text": "stored",
            "number": 3,
            "real": 0.5,
        },
        "action": "mixed",
        "response_status": 200,
        "request_id": 2,
    }
    assert text == stdlib(expected)


@api_view(["GET"])
def query_echo_view(request: Any) -> Response:
    return Response(request.GET)


@pytest.mark.django_db
async def test_view_as_consumer_response_of_request_get() -> None:
    async with open_socket(view_as_consumer(query_echo_view)) as ws:
        message = {"action": "list", "request_id": 3, "query": {"value": 1, "many": [1, 2]}}
        assert await ask(ws, message) == reply("list", {"value": 1, "many": 2}, request_id=3)
