"""Malformed frames and bad arguments get a 4xx reply, and the same socket keeps answering."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from tests.support.core_consumers import EchoConsumer, allow_connection_housekeeping  # noqa: F401
from tests.support.envelope import reply

NOT_AN_OBJECT = ["Message must be a JSON object."]
ACTION_NOT_STRING = [{"action": ["Action must be a string."]}]


def bad_frame(errors: list[Any], status: int = 400) -> dict:
    return reply(None, errors=errors, status=status)


@pytest.fixture
async def echo():
    communicator = WebsocketCommunicator(EchoConsumer.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    yield communicator
    # after every bad input, the same socket still answers a valid action
    await communicator.send_json_to({"action": "echo", "value": "still here", "request_id": "check"})
    assert await communicator.receive_json_from() == reply("echo", {"value": "still here"}, request_id="check")
    await communicator.disconnect()


async def send_text(communicator: WebsocketCommunicator, text: str) -> dict[str, Any]:
    await communicator.send_input({"type": "websocket.receive", "text": text})
    return await communicator.receive_json_from()


# -- frames that are not a JSON object ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "Expecting value: line 1 column 1 (char 0)"),
        ("", "Expecting value: line 1 column 1 (char 0)"),
        ("   ", "Expecting value: line 1 column 4 (char 3)"),
        ("{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ('{"action": "echo",}', "Expecting property name enclosed in double quotes: line 1 column 19 (char 18)"),
        ("{'action': 'echo'}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ('{"action":"echo"} trailing', "Extra data: line 1 column 19 (char 18)"),
        ("NaN", "NaN is not valid JSON"),
        ('"\\ud800"', "no low surrogate in string"),
    ],
)
async def test_non_json_text(echo: WebsocketCommunicator, text: str, message: str) -> None:
    assert await send_text(echo, text) == bad_frame([f"Malformed JSON: {message}"])


async def test_deeply_nested_json(echo: WebsocketCommunicator) -> None:
    assert await send_text(echo, "[" * 5000 + "]" * 5000) == bad_frame(
        ["Malformed JSON: JSON is nested deeper than 128 levels"]
    )


async def test_deeply_nested_object_arguments(echo: WebsocketCommunicator) -> None:
    nested = '{"action": "echo", "value": ' + '{"a":' * 5000 + "1" + "}" * 5000 + "}"
    reply_ = await send_text(echo, nested)
    assert reply_["response_status"] == 400
    assert reply_["errors"] == ["Malformed JSON: JSON is nested deeper than 128 levels"]


async def test_deeply_nested_json_with_a_big_number(echo: WebsocketCommunicator) -> None:
    assert await send_text(echo, "[" * 5000 + "12345678901234567890" + "]" * 5000) == bad_frame(
        ["Malformed JSON: JSON is nested deeper than 128 levels"]
    )


async def test_binary_frame(echo: WebsocketCommunicator) -> None:
    await echo.send_to(bytes_data=b'{"action": "echo"}')
    assert await echo.receive_json_from() == bad_frame(
        ["Binary frames are not supported; send a JSON object as a text frame."]
    )


@pytest.mark.parametrize("text", ["[]", '[{"action": "echo"}]', "42", "-1.5", '"echo"', "null", "true"])
async def test_json_that_is_not_an_object(echo: WebsocketCommunicator, text: str) -> None:
    assert await send_text(echo, text) == bad_frame(NOT_AN_OBJECT)


async def test_frame_over_the_size_limit(settings: Any, echo: WebsocketCommunicator) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"MAX_MESSAGE_SIZE": 100}
    assert await send_text(echo, '{"action": "echo", "value": "' + "x" * 200 + '"}') == bad_frame(
        ["Message is too large; the limit is 100 characters."], status=413
    )


async def test_frame_at_the_size_limit_is_accepted(settings: Any, echo: WebsocketCommunicator) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"MAX_MESSAGE_SIZE": 100}
    text = '{"action": "echo", "value": "' + "x" * 69 + '"}'
    assert len(text) == 100
    assert await send_text(echo, text) == reply("echo", {"value": "x" * 69})


async def test_size_limit_can_be_switched_off(settings: Any, echo: WebsocketCommunicator) -> None:
    settings.DJANGO_CHANNELS_REST_API = {"MAX_MESSAGE_SIZE": None}
    big = "w" * (1024 * 1024 + 10)
    await echo.send_json_to({"action": "echo", "value": big})
    assert await echo.receive_json_from() == reply("echo", {"value": big})


async def test_default_size_limit_allows_large_frames(echo: WebsocketCommunicator) -> None:
    big = "y" * 250_000
    await echo.send_json_to({"action": "echo", "value": big})
    assert await echo.receive_json_from() == reply("echo", {"value": big})


async def test_default_size_limit_refuses_huge_frames(echo: WebsocketCommunicator) -> None:
    assert await send_text(echo, '{"action": "echo", "value": "' + "z" * 256_000 + '"}') == bad_frame(
        ["Message is too large; the limit is 256000 characters."], status=413
    )


# -- action key ------------------------------------------------------------------------------------


async def test_missing_action(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"value": 1, "request_id": 5})
    assert await echo.receive_json_from() == reply(
        None, errors=["Unable to find action in message body."], status=405, request_id=5
    )


async def test_empty_object(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({})
    assert await echo.receive_json_from() == reply(None, errors=["Unable to find action in message body."], status=405)


@pytest.mark.parametrize("action", [None, 1, 2.5, True, [], ["echo"], {"name": "echo"}])
async def test_action_that_is_not_a_string(echo: WebsocketCommunicator, action: Any) -> None:
    await echo.send_json_to({"action": action, "request_id": 8})
    assert await echo.receive_json_from() == reply(None, errors=ACTION_NOT_STRING, status=400, request_id=8)


@pytest.mark.parametrize("action", ["nope", "", "ECHO", "echo ", "__class__", "x" * 1000])
async def test_unknown_action(echo: WebsocketCommunicator, action: str) -> None:
    await echo.send_json_to({"action": action, "request_id": 1})
    assert await echo.receive_json_from() == reply(
        action, errors=[f'Method "{action}" not allowed.'], status=405, request_id=1
    )


# -- arguments ---------------------------------------------------------------------------------------


async def test_unexpected_and_missing_arguments(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "strict", "x": 1, "request_id": 1})
    assert await echo.receive_json_from() == reply(
        "strict",
        errors=[{"x": ["Unexpected argument."], "value": ["This argument is required."]}],
        status=400,
        request_id=1,
    )


async def test_unexpected_argument(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "add", "a": 1, "b": 2, "c": 3})
    assert await echo.receive_json_from() == reply("add", errors=[{"c": ["Unexpected argument."]}], status=400)


async def test_missing_arguments(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "add"})
    assert await echo.receive_json_from() == reply(
        "add", errors=[{"a": ["This argument is required."], "b": ["This argument is required."]}], status=400
    )


async def test_self_key_is_refused(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "echo", "self": 1, "request_id": 2})
    assert await echo.receive_json_from() == reply(
        "echo", errors=[{"self": ["Unexpected argument."]}], status=400, request_id=2
    )


async def test_object_argument_given_a_list(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "configure", "options": [1, 2]})
    assert await echo.receive_json_from() == reply(
        "configure", errors=[{"options": ["Expected an object."]}], status=400
    )


async def test_object_argument_given_null(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "configure", "options": None})
    assert await echo.receive_json_from() == reply(
        "configure", errors=[{"options": ["Expected an object."]}], status=400
    )


async def test_object_argument_given_an_object(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "configure", "options": {"a": 1}})
    assert await echo.receive_json_from() == reply("configure", {"a": 1})


@pytest.mark.parametrize("key", ["permission", "method_name", "scope", "consumer", "func", "kwargs", "args"])
async def test_keys_named_like_internal_parameters(echo: WebsocketCommunicator, key: str) -> None:
    await echo.send_json_to({"action": "echo", key: 1, "request_id": key})
    assert await echo.receive_json_from() == reply("echo", {"value": None}, request_id=key)


async def test_unusual_key_names(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "echo", "": 1, "a-b": 2, "ü": 3, "1": 4})
    assert await echo.receive_json_from() == reply("echo", {"value": None})


async def test_argument_of_the_wrong_type_is_refused_before_the_action(echo: WebsocketCommunicator) -> None:
    # ``a: int`` in the signature: a string is not converted (see docs/typed_parameters.rst).
    await echo.send_json_to({"action": "add", "a": "1", "b": 2})
    assert await echo.receive_json_from() == reply("add", errors=[{"a": ["A valid integer is required."]}], status=400)


async def test_unhandled_exception(echo: WebsocketCommunicator) -> None:
    await echo.send_json_to({"action": "boom", "request_id": 1})
    assert await echo.receive_json_from() == reply(
        "boom", errors=["A server error occurred."], status=500, request_id=1
    )


async def test_many_bad_frames_in_a_row(echo: WebsocketCommunicator) -> None:
    for text in ["x", "[]", "{}", '{"action": 1}', '{"action": "nope"}', '{"action": "add"}']:
        assert (await send_text(echo, text))["response_status"] in (400, 405)


async def test_nesting_beyond_the_supported_depth(echo: WebsocketCommunicator) -> None:
    value = "[" * 128 + "1" + "]" * 128
    assert await send_text(echo, '{"action": "echo", "value": ' + value + "}") == bad_frame(
        ["Malformed JSON: JSON is nested deeper than 128 levels"]
    )


async def test_nesting_within_the_supported_depth_is_echoed(echo: WebsocketCommunicator) -> None:
    value = "[" * 126 + "1" + "]" * 126
    await echo.send_input({"type": "websocket.receive", "text": '{"action": "echo", "value": ' + value + "}"})
    assert await echo.receive_from() == (
        '{"errors":[],"data":{"value":' + value + '},"action":"echo","response_status":200,"request_id":null}'
    )
