"""Fuzzing every consumer kind of the test app, subscriptions included.

Hypothesis (derandomized) builds frames around each consumer's real actions and argument names
with junk values, junk action names, non-objects and malformed JSON.  After each frame a sentinel
message (an unknown action with its own request id) marks the end of what that frame caused, so
every reply and event is checked: a JSON object, no 5xx status, no exception name or traceback
text, and the socket still open.

CI runs ``FRAMES_PER_KIND`` frames per consumer; the long mode, ``DCRF_FUZZ_LONG=1``, runs
10,000 frames in all (``DCRF_FUZZ_FRAMES`` sets the number per consumer)::

    DCRF_FUZZ_LONG=1 python3 dev.py test tests/core/test_fuzz_consumer_kinds.py -q
"""

from __future__ import annotations

import inspect
import json
import os
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.app.models import Board, Item
from tests.support.core_consumers import allow_connection_housekeeping  # noqa: F401
from tests.support.generic_consumers import ItemConsumer
from tests.support.list_consumers import ItemListConsumer, PagedItemListConsumer
from tests.support.observer_consumers import ItemActivityConsumer, ItemInstanceConsumer, TeamBoardsConsumer
from tests.support.security_consumers import RoomConsumer

KINDS = {
    "generic CRUD": ItemConsumer,
    "instance subscriptions": ItemInstanceConsumer,
    "live list": ItemListConsumer,
    "paginated live list": PagedItemListConsumer,
    "model observer": ItemActivityConsumer,
    "observer groups from input": TeamBoardsConsumer,
    "raw group names": RoomConsumer,
}
LONG = os.environ.get("DCRF_FUZZ_LONG") == "1"
FRAMES_PER_KIND = int(os.environ.get("DCRF_FUZZ_FRAMES", 10_000 // len(KINDS) + 1 if LONG else 120))
LEAKS = ("Traceback", "TypeError", "KeyError", "AttributeError", "ValueError", "RecursionError", "IndexError")
ARGUMENTS = ["pk", "id", "name", "value", "data", "page", "page_size", "team", "room", "min_value", "prefix", "x"]

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)  # pks 1..5 exist

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
small_ids = st.integers(-2, 6)


def own_parameters(consumer_class: Any, action: str) -> list[str]:
    method = inspect.unwrap(getattr(consumer_class, consumer_class.available_actions[action]))
    return [
        name
        for name, parameter in inspect.signature(method).parameters.items()
        if name not in ("self", "request_id", "action") and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
    ]


def accepts_pk(consumer_class: Any, action: str) -> bool:
    method = inspect.unwrap(getattr(consumer_class, consumer_class.available_actions[action]))
    parameters = inspect.signature(method).parameters
    return "pk" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def frames_for(consumer_class: Any) -> Any:
    actions = sorted(consumer_class.available_actions)
    names = st.sampled_from([*actions, "__init__", "dispatch", "reply", "add_group", "UPDATE"]) | st.text(max_size=8)

    @st.composite
    def message(draw: st.DrawFn) -> str:
        body: dict[str, Any] = {"action": draw(st.sampled_from(actions)) if draw(st.booleans()) else draw(names)}
        if body["action"] in actions and draw(st.booleans()):  # the action's own parameters, plausible values
            for key in own_parameters(consumer_class, body["action"]):
                body[key] = draw(small_ids | st.text(max_size=4))
            if accepts_pk(consumer_class, body["action"]):
                body["pk"] = draw(st.integers(1, 5))
            body["request_id"] = draw(st.integers(0, 9))
        for key in draw(st.lists(st.sampled_from(ARGUMENTS), max_size=4, unique=True)):
            body[key] = draw(small_ids | json_values)
        if draw(st.integers(0, 4)) == 0:
            body["data"] = {"name": draw(st.text(max_size=20)), "value": draw(small_ids | json_values)}
        if draw(st.booleans()):
            body["request_id"] = draw(small_ids | json_values)
        return json.dumps(body)

    others = st.one_of(
        json_values.map(json.dumps),
        st.text(max_size=60),
        st.sampled_from(['{"action": ', "[", '{"action": "list"', "\\ud800", "1e999", '{"a":' * 2000]),
    )
    return st.one_of(message(), message(), message(), others)


def generate(consumer_class: Any, count: int) -> list[str]:
    collected: list[str] = []

    @settings(
        max_examples=count, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(frame=frames_for(consumer_class))
    def collect(frame: str) -> None:
        collected.append(frame)

    collect()
    return collected


def check(raw: str, where: str) -> dict[str, Any]:
    assert not any(leak in raw for leak in LEAKS), (where, raw[:300])
    frame = json.loads(raw)
    assert isinstance(frame, dict), (where, raw[:300])
    status = frame.get("response_status", 200)
    assert isinstance(status, int) and status < 500, (where, raw[:300])
    return frame


@pytest.mark.parametrize("kind", list(KINDS))
async def test_fuzzed_frames_against_every_consumer_kind(kind: str) -> None:
    consumer_class = KINDS[kind]
    await database_sync_to_async(lambda: [Item.objects.create(name=f"i{n}", value=n) for n in range(5)])()
    await database_sync_to_async(lambda: [Board.objects.create(name=f"b{n}", team=n) for n in range(2)])()
    frames = generate(consumer_class, FRAMES_PER_KIND)
    assert len(frames) >= FRAMES_PER_KIND * 0.9
    communicator = WebsocketCommunicator(consumer_class.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    statuses: dict[int, int] = {}
    for n, text in enumerate(frames):
        await communicator.send_input({"type": "websocket.receive", "text": text})
        sentinel = f"sentinel-{n}"
        await communicator.send_json_to({"action": "__sentinel__", "request_id": sentinel})
        while True:
            frame = check(await communicator.receive_from(timeout=10), text[:200])
            if frame.get("request_id") == sentinel and frame.get("action") == "__sentinel__":
                assert frame["response_status"] == 405
                break
            status = frame.get("response_status")
            if isinstance(status, int):
                statuses[status] = statuses.get(status, 0) + 1
    # the fuzz reached the actions (successes) as well as the error paths
    assert sum(count for status, count in statuses.items() if status < 300) > 0, statuses
    assert sum(count for status, count in statuses.items() if status >= 400) > FRAMES_PER_KIND // 4, statuses
    await communicator.send_json_to({"action": "__sentinel__", "request_id": "end"})
    assert json.loads(await communicator.receive_from())["request_id"] == "end"
    await communicator.disconnect()
