"""docs/live_lists.rst, replayed: the exchanges it shows, with the writes it describes, and its
JavaScript example (docs/examples/live_list.js) run in Node against a live server."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async

from docs.examples.live_lists import LiveItemListConsumer
from tests.support.app.models import Item
from tests.support.envelope import connect, reply
from tests.support.services import required

DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


def shown(*messages: Any) -> None:
    text = (DOCS / "live_lists.rst").read_text(encoding="utf-8")
    for message in messages:
        line = json.dumps(message, ensure_ascii=False)
        assert line in text, f"live_lists.rst does not show {line}"


@database_sync_to_async
def run(func: Any) -> Any:
    return func()


def rename(pk: int, name: str) -> None:
    item = Item.objects.get(pk=pk)
    item.name = name
    item.save()


def revalue(pk: int, value: int) -> None:
    item = Item.objects.get(pk=pk)
    item.value = value
    item.save()


async def test_the_page_shows_what_a_subscriber_receives() -> None:
    await run(lambda: (Item.objects.create(name="apple", value=1), Item.objects.create(name="banana", value=2)))
    communicator = await connect(LiveItemListConsumer)
    subscribe = {"action": "subscribe_list", "search": "an", "request_id": 1}
    await communicator.send_json_to(subscribe)
    snapshot = reply("subscribe_list", [{"id": 2, "name": "banana", "value": 2}], request_id=1)
    assert await communicator.receive_json_from() == snapshot

    writes = [
        lambda: Item.objects.create(name="mango", value=5),
        lambda: rename(2, "plantain"),
        lambda: rename(3, "kiwi"),
    ]
    events = [
        reply("create", {"id": 3, "name": "mango", "value": 5}, request_id=1),
        reply("update", {"id": 2, "name": "plantain", "value": 2}, request_id=1),
        reply("delete", {"pk": 3}, status=204, request_id=1),
    ]
    for write, event in zip(writes, events, strict=True):
        await run(write)
        assert await communicator.receive_json_from() == event
    await run(lambda: revalue(1, 7))  # apple never matched "an": nothing
    assert await communicator.receive_nothing()

    unsubscribe = {"action": "unsubscribe_list", "request_id": 1}
    await communicator.send_json_to(unsubscribe)
    answer = reply("unsubscribe_list", status=204, request_id=1)
    assert await communicator.receive_json_from() == answer
    shown(subscribe, snapshot, *events, unsubscribe, answer)
    await communicator.disconnect()


HARNESS = """
import { liveList } from %(module)s;
const socket = new WebSocket(%(url)s);
socket.addEventListener("open", () => {
  liveList(socket, {
    requestId: "items",
    params: { search: "an" },
    compare: (a, b) => a.name.localeCompare(b.name),
    render: (rows) => console.log(JSON.stringify(rows.map((row) => row.name))),
  });
});
"""


async def test_the_javascript_example_keeps_a_list_in_sync(live_server_url: Any, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        required("node is not installed")
    await run(lambda: (Item.objects.create(name="banana", value=1), Item.objects.create(name="apple", value=2)))
    url = live_server_url(LiveItemListConsumer.as_asgi()) + "/ws/"
    harness = tmp_path / "harness.mjs"
    module = (DOCS / "examples" / "live_list.js").as_uri()
    harness.write_text(HARNESS % {"module": json.dumps(module), "url": json.dumps(url)})
    process = await asyncio.create_subprocess_exec(
        node, "--experimental-websocket", "--no-warnings", str(harness), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None

    async def rendered() -> list[str]:
        return json.loads(await asyncio.wait_for(process.stdout.readline(), 15))  # type: ignore[union-attr]

    try:
        assert await rendered() == ["banana"]
        await run(lambda: Item.objects.create(name="mango"))
        assert await rendered() == ["banana", "mango"]
        await run(lambda: rename(1, "ananas"))
        assert await rendered() == ["ananas", "mango"]
        await run(lambda: Item.objects.filter(name="mango").delete())
        assert await rendered() == ["ananas"]
    finally:
        process.kill()
        await process.wait()
