"""Action arguments are validated and converted from type hints: each type valid and invalid, exact replies."""

from __future__ import annotations

import datetime
import enum
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional, TypedDict

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework import serializers

from djangochannelsrestframework._engine.arguments import action_plan
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action, detail_action
from tests.support.core_consumers import allow_connection_housekeeping  # noqa: F401
from tests.support.envelope import reply

INT = ["A valid integer is required."]
NUMBER = ["A valid number is required."]
STRING = ["Not a valid string."]
BOOLEAN = ["Must be a valid boolean."]
NULL = ["This field may not be null."]
DATETIME_FORMAT = (
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


class Pair(TypedDict, total=False):
    left: int
    right: str


class NameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=3)


class TypedConsumer(AsyncAPIConsumer):
    @action()
    # Each action has one typed parameter ``v`` and echoes what arrived, with its Python type.
    @action()
    async def as_int(self, v: int) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_float(self, v: float) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_str(self, v: str) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_bool(self, v: bool) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_decimal(self, v: Decimal) -> tuple[Any, int]:
        return {"v": str(v), "type": type(v).__name__}, 200

    @action()
    async def as_datetime(self, v: datetime.datetime) -> tuple[Any, int]:
        return {"v": v.astimezone(datetime.timezone.utc).isoformat(), "type": type(v).__name__}, 200

    @action()
    async def as_date(self, v: datetime.date) -> tuple[Any, int]:
        return {"v": v.isoformat(), "type": type(v).__name__}, 200

    @action()
    async def as_time(self, v: datetime.time) -> tuple[Any, int]:
        return {"v": v.isoformat(), "type": type(v).__name__}, 200

    @action()
    async def as_uuid(self, v: uuid.UUID) -> tuple[Any, int]:
        return {"v": str(v), "type": type(v).__name__}, 200

    @action()
    async def as_enum(self, v: Size) -> tuple[Any, int]:
        return {"v": v.name, "type": type(v).__name__}, 200

    @action()
    async def as_literal(self, v: Literal[1, "one"]) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_optional(self, v: Optional[int]) -> tuple[Any, int]:  # noqa: UP045 (typing.Optional too)
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_union(self, v: int | str) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_list(self, v: list[int]) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_dict(self, v: dict[str, float | None]) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_typeddict(self, v: Pair) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_nested(self, v: list[Pair]) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_annotated(self, v: Annotated[int, "a note"]) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def as_serializer(self, v: NameSerializer) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    def as_int_sync(self, v: int = 0) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def defaults_to_none(self, v: int = None) -> tuple[Any, int]:  # type: ignore[assignment]
        return {"v": v, "type": type(v).__name__}, 200

    @action()
    async def legacy(self, v, **kwargs):  # type: ignore[no-untyped-def]
        return {"v": v, "type": type(v).__name__, "kwargs": sorted(kwargs)}, 200

    @action(detached=True)
    async def later(self, v: int) -> tuple[Any, int]:
        return {"v": v, "type": type(v).__name__}, 200

    @action(serializer_class=NameSerializer)
    async def whole(self, name: str) -> tuple[Any, int]:
        return {"v": name, "type": type(name).__name__}, 200

    @detail_action()
    async def detail(self, pk: int, instance: Any) -> tuple[Any, int]:
        return {"v": pk, "type": type(pk).__name__, "instance": instance}, 200

    def get_object(self, **kwargs: Any) -> Any:
        return "the object"


@pytest.fixture
async def ws():
    communicator = WebsocketCommunicator(TypedConsumer.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    yield communicator
    await communicator.disconnect()


async def call(ws: WebsocketCommunicator, action: str, **arguments: Any) -> dict[str, Any]:
    await ws.send_json_to({"action": action, **arguments})
    return await ws.receive_json_from()


def ok(action: str, value: Any, type_name: str) -> dict[str, Any]:
    return reply(action, {"v": value, "type": type_name})


def bad(action: str, errors: Any) -> dict[str, Any]:
    return reply(action, errors=[{"v": errors}], status=400)


U = "12345678-1234-5678-1234-567812345678"

VALID = [
    ("as_int", 7, 7, "int"),
    ("as_int", 7.0, 7, "int"),
    ("as_int", -3, -3, "int"),
    ("as_float", 2, 2.0, "float"),
    ("as_float", 2.5, 2.5, "float"),
    ("as_str", "", "", "str"),
    ("as_str", "  x ", "  x ", "str"),
    ("as_bool", False, False, "bool"),
    ("as_decimal", "1.10", "1.10", "Decimal"),
    ("as_decimal", 3, "3", "Decimal"),
    ("as_datetime", "2026-01-02T03:04:05Z", "2026-01-02T03:04:05+00:00", "datetime"),
    ("as_date", "2026-01-02", "2026-01-02", "date"),
    ("as_time", "03:04", "03:04:00", "time"),
    ("as_uuid", U, U, "UUID"),
    ("as_enum", 2, "LARGE", "Size"),
    ("as_literal", 1, 1, "int"),
    ("as_literal", "one", "one", "str"),
    ("as_optional", None, None, "NoneType"),
    ("as_optional", 4, 4, "int"),
    ("as_union", 4, 4, "int"),
    ("as_union", "4", "4", "str"),
    ("as_list", [], [], "list"),
    ("as_list", [1, 2.0], [1, 2], "list"),
    ("as_dict", {"a": 1, "b": None}, {"a": 1.0, "b": None}, "dict"),
    ("as_typeddict", {"left": 1}, {"left": 1}, "dict"),
    ("as_nested", [{"right": "r"}], [{"right": "r"}], "list"),
    ("as_annotated", 5, 5, "int"),
    ("as_serializer", {"name": "abc"}, {"name": "abc"}, "dict"),
    ("as_int_sync", 8, 8, "int"),
    ("defaults_to_none", None, None, "NoneType"),
    ("later", 9, 9, "int"),
]


@pytest.mark.parametrize(("action", "sent", "received", "type_name"), VALID)
async def test_valid_values_are_converted(ws, action: str, sent: Any, received: Any, type_name: str) -> None:
    assert await call(ws, action, v=sent) == ok(action, received, type_name)


INVALID = [
    ("as_int", True, INT),
    ("as_int", 1.5, INT),
    ("as_int", "1", INT),
    ("as_int", [1], INT),
    ("as_int", None, NULL),
    ("as_float", "1.5", NUMBER),
    ("as_float", True, NUMBER),
    ("as_str", 5, STRING),
    ("as_str", False, STRING),
    ("as_str", {}, STRING),
    ("as_bool", 1, BOOLEAN),
    ("as_bool", "true", BOOLEAN),
    ("as_decimal", "abc", NUMBER),
    ("as_decimal", True, NUMBER),
    ("as_decimal", "NaN", NUMBER),
    (
        "as_datetime",
        "yesterday",
        [DATETIME_FORMAT],
    ),
    ("as_date", 20260102, ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]),
    ("as_time", "25:00", ["Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]]."]),
    ("as_uuid", "xyz", ["Must be a valid UUID."]),
    ("as_uuid", 5, ["Must be a valid UUID."]),
    ("as_enum", 3, ['"3" is not a valid choice.']),
    ("as_enum", True, ['"True" is not a valid choice.']),
    ("as_enum", "1", ['"1" is not a valid choice.']),
    ("as_literal", True, ['"True" is not a valid choice.']),
    ("as_literal", [1], ['"[1]" is not a valid choice.']),
    ("as_optional", "4", INT),
    ("as_union", 1.5, INT),
    ("as_list", "1,2", ["Expected a list."]),
    ("as_list", None, ["Expected a list."]),
    ("as_list", [1, None, "3"], {"1": NULL, "2": INT}),
    ("as_dict", [], ["Expected an object."]),
    ("as_dict", {"a": "x"}, {"a": NUMBER}),
    ("as_typeddict", {"left": "1", "extra": 0}, {"left": INT, "extra": ["Unexpected field."]}),
    ("as_typeddict", "pair", ["Expected an object."]),
    ("as_nested", [{"right": 1}, 2], {"0": {"right": STRING}, "1": ["Expected an object."]}),
    ("as_annotated", "5", INT),
    ("as_serializer", {"name": "long"}, {"name": ["Ensure this field has no more than 3 characters."]}),
    ("as_int_sync", "8", INT),
    ("later", "9", INT),
]


@pytest.mark.parametrize(("action", "sent", "errors"), INVALID)
async def test_invalid_values_get_a_400_naming_the_field(ws, action: str, sent: Any, errors: Any) -> None:
    assert await call(ws, action, v=sent) == bad(action, errors)


async def test_the_action_does_not_run_and_the_socket_stays_open(ws) -> None:
    assert await call(ws, "as_int_sync", v="1", request_id=4) == reply(
        "as_int_sync", errors=[{"v": INT}], status=400, request_id=4
    )
    assert await call(ws, "as_int_sync", v=1) == ok("as_int_sync", 1, "int")


async def test_unknown_missing_and_ill_typed_are_reported_together(ws) -> None:
    assert await call(ws, "as_int", x=1) == reply(
        "as_int", errors=[{"x": ["Unexpected argument."], "v": ["This argument is required."]}], status=400
    )
    assert await call(ws, "as_bool", v=0, x=1) == reply(
        "as_bool", errors=[{"x": ["Unexpected argument."], "v": BOOLEAN}], status=400
    )


async def test_untyped_legacy_action_gets_values_as_sent_and_unknown_keys_in_kwargs(ws) -> None:
    assert await call(ws, "legacy", v="1", colour="red", size=3, request_id=1) == reply(
        "legacy", {"v": "1", "type": "str", "kwargs": ["action", "colour", "request_id", "size"]}, request_id=1
    )


async def test_serializer_class_validates_the_whole_message(ws) -> None:
    assert await call(ws, "whole", name="ann") == reply("whole", {"v": "ann", "type": "str"})
    assert await call(ws, "whole", name="anna", extra=1) == reply(
        "whole", errors=[{"name": ["Ensure this field has no more than 3 characters."]}], status=400
    )
    assert await call(ws, "whole") == reply("whole", errors=[{"name": ["This field is required."]}], status=400)


async def test_detail_action_lookup_key_is_converted(ws) -> None:
    assert await call(ws, "detail", pk=3) == reply("detail", {"v": 3, "type": "int", "instance": "the object"})
    assert await call(ws, "detail", pk="3") == reply("detail", errors=[{"pk": INT}], status=400)


def test_the_plan_is_built_once_per_action() -> None:
    first = action_plan(TypedConsumer.as_int)
    assert action_plan(TypedConsumer.as_int) is first
    assert [name for name, _, _ in first.converters] == ["v"]
    assert action_plan(TypedConsumer.legacy).converters == ()
