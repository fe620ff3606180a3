"""JSON encoding and decoding of frames."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from djangochannelsrestframework import codec
from djangochannelsrestframework.consumers import AsyncAPIConsumer


def test_compact_output() -> None:
    assert codec.dumps({"a": [1, None, True], "b": "x"}) == '{"a":[1,null,true],"b":"x"}'


def test_key_order_is_kept() -> None:
    assert codec.dumps({"errors": [], "data": None, "action": "a", "response_status": 200, "request_id": None}) == (
        '{"errors":[],"data":null,"action":"a","response_status":200,"request_id":null}'
    )


def test_datetime_types() -> None:
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    assert codec.dumps([moment, moment.date(), datetime.time(7, 8, 9)]) == (
        '["2024-05-06T07:08:09+00:00","2024-05-06","07:08:09"]'
    )


def test_decimal_and_uuid() -> None:
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert codec.dumps([Decimal("1.10"), value]) == '["1.10","12345678-1234-5678-1234-567812345678"]'


def test_lazy_string() -> None:
    assert codec.dumps({"msg": gettext_lazy("Not found.")}) == '{"msg":"Not found."}'


def test_drf_return_types_and_error_detail() -> None:
    data = ReturnDict({"name": [ErrorDetail("Required.", code="required")]}, serializer=None)
    assert codec.dumps([data, ReturnList([1, 2], serializer=None)]) == '[{"name":["Required."]},[1,2]]'


def test_sets_and_tuples() -> None:
    assert codec.dumps({"t": (1, 2), "s": frozenset({3})}) == '{"t":[1,2],"s":[3]}'


def test_big_integers_round_trip() -> None:
    text = '{"id":123456789012345678901234567890}'
    assert codec.loads(text) == {"id": 123456789012345678901234567890}
    assert codec.dumps(codec.loads(text)) == text


def test_big_integer_inside_a_string_is_harmless() -> None:
    assert codec.loads('{"token":"12345678901234567890"}') == {"token": "12345678901234567890"}


def test_lone_surrogate_escape_round_trips() -> None:
    text = '{"a":"\\ud800","n":12345678901234567890}'
    assert codec.dumps(codec.loads(text)) == text


def test_unsupported_type_is_type_error() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        codec.dumps({"x": object()})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "nul",
        "[1,]",
        "NaN",
        "1e999",
        '{"a": NaN}',
        '{"a": Infinity, "n": 12345678901234567890}',
        "[1e999, 12345678901234567890]",
    ],
)
def test_invalid_json_is_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        codec.loads(text)


def test_too_deep_nesting_is_value_error() -> None:
    with pytest.raises(ValueError):
        codec.loads("[" * 5000 + "]" * 5000)
    with pytest.raises(ValueError):
        codec.loads("[" * 5000 + "12345678901234567890" + "]" * 5000)


def test_loads_bytes() -> None:
    assert codec.loads(b'{"a":1}') == {"a": 1}
    assert codec.loads(b"[12345678901234567890123]") == [12345678901234567890123]


def nested_list(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def test_nesting_up_to_the_limit_is_accepted() -> None:
    assert codec.MAX_DEPTH == 128
    value = codec.loads(nested_list(128))
    assert codec.dumps(value) == nested_list(128)


def test_nesting_beyond_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="^JSON is nested deeper than 128 levels$"):
        codec.loads(nested_list(129))
    with pytest.raises(ValueError, match="^JSON is nested deeper than 128 levels$"):
        codec.loads('{"a":' * 129 + "1" + "}" * 129)


def test_many_flat_brackets_are_fine() -> None:
    text = "[" + ",".join(["{}"] * 1000) + "]"
    assert codec.loads(text) == [{}] * 1000


def test_results_deeper_than_orjson_allows_are_encoded() -> None:
    value: list = [1]
    for _ in range(300):
        value = [value]
    assert codec.dumps(value) == nested_list(301)


def test_results_too_deep_for_any_encoder_are_type_errors() -> None:
    value: list = [1]
    for _ in range(100_000):
        value = [value]
    with pytest.raises(TypeError, match="^Content is nested too deeply to encode$"):
        codec.dumps(value)


@pytest.mark.parametrize(
    ("data", "status", "request_id"),
    [
        ({"pk": 1, "name": 'é "quoted"', "tags": [1, 2.5, None, True]}, 200, 7),
        ({"pk": 1}, 204, "req-1"),
        ([], 200, None),
        ("text", 201, 2**40),
    ],
)
async def test_reply_encoded_sends_the_frame_reply_sends(data, status, request_id):
    """Instance-subscription events splice pre-encoded data into the envelope; the bytes on the wire
    must be those of ``reply``."""
    consumer = AsyncAPIConsumer()
    sent: list[str] = []

    async def capture(message):
        sent.append(message["text"])

    consumer.base_send = capture
    await consumer.reply(action="update", data=data, status=status, request_id=request_id)
    await consumer.reply_encoded("update", data, codec.dumps(data), status=status, request_id=request_id)
    assert sent[0] == sent[1]
