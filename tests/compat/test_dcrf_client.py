"""The real dcrf-client (npm) through our demultiplexer, run with node against a live server.

tests/support/js/ holds the client (package.json + package-lock.json; ``npm ci`` installs it when missing) and
scenario.js, which prints one JSON line ``[label, value]`` per thing the client saw.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from docs.examples.dcrf_client import streams as dcrf_client_streams
from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.live_server import serve
from tests.support.services import required

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

JS = Path(__file__).parents[1] / "support" / "js"
_install_lock = threading.Lock()


@pytest.fixture(scope="module")
def node() -> str:
    """The node executable, with tests/support/js/node_modules installed (``npm ci``) if missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        required("node and npm are needed to run dcrf-client")
    with _install_lock:
        if not (JS / "node_modules" / "dcrf-client").is_dir():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, timeout=300)
    return node  # type: ignore[return-value]


async def run_scenario(node: str, scenario: str, url: str, on_line: Any = None) -> list[list[Any]]:
    """Run one scenario of scenario.js; ``on_line(label, value)`` may act on lines as they arrive."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(JS / "scenario.js"),
        scenario,
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    assert process.stdout is not None
    lines: list[list[Any]] = []
    while line := await asyncio.wait_for(process.stdout.readline(), 60):
        label, value = json.loads(line)
        lines.append([label, value])
        if on_line is not None:
            await on_line(label, value)
    stderr = await process.stderr.read() if process.stderr else b""
    assert await process.wait() == 0, (lines, stderr.decode())
    return lines


def row(pk: int, name: str, value: int) -> dict[str, Any]:
    return {"id": pk, "name": name, "value": value}


async def test_crud_helpers(node: str) -> None:
    with serve(dcrf_client_streams) as url:
        lines = await run_scenario(node, "crud", f"{url}/")
    pk = lines[0][1]["id"]
    assert lines == [
        ["create", row(pk, "ant", 1)],
        ["list", [row(pk, "ant", 1)]],
        ["retrieve", row(pk, "ant", 1)],
        ["update", row(pk, "bee", 2)],
        ["patch", row(pk, "bee", 3)],
        ["delete", None],
        ["retrieve deleted", reply("retrieve", status=404, errors=["Not found"], request_id=lines[6][1]["request_id"])],
        [
            "unknown stream",
            reply(
                None,
                status=404,
                errors=["Unknown stream 'nope'; the streams are: items, paged, activity."],
                request_id=lines[7][1]["request_id"],
            ),
        ],
    ]


async def test_instance_subscribe_and_cancel(node: str) -> None:
    with serve(dcrf_client_streams) as url:
        lines = await run_scenario(node, "subscribe", f"{url}/")
    watched = (await Item.objects.aget(name="watched")).pk
    other = watched + 1  # created right after it, then deleted
    assert lines == [
        ["subscribed", None],
        ["events", [{"action": "update", "data": row(watched, "watched", 1)}]],
        ["cancel", True],
        ["after cancel", []],
        ["subscribed other", None],
        # dcrf-client moves the delete event's ``pk`` to its pkField (``id``)
        ["delete events", [{"action": "delete", "data": {"id": other}}]],
    ]


async def test_custom_subscribe_action_with_create_events(node: str) -> None:
    with serve(dcrf_client_streams) as url:
        lines = await run_scenario(node, "activity", f"{url}/")
    pk = lines[1][1][0]["data"]["id"]
    assert lines == [
        ["subscribed", None],
        [
            "events",
            [
                {"action": "create", "data": row(pk, "new", 1)},
                {"action": "update", "data": row(pk, "new", 2)},
                {"action": "delete", "data": row(pk, "new", 2)},
            ],
        ],
        ["unsubscribed", None],
    ]


async def test_streamed_list(node: str) -> None:
    items = [await Item.objects.acreate(name=f"i{number}", value=number) for number in range(5)]
    rows = [row(item.pk, item.name, item.value) for item in items]
    with serve(dcrf_client_streams) as url:
        lines = await run_scenario(node, "streaming", f"{url}/")
    pages = [{"count": 5, "results": rows[offset : offset + 2], "limit": 2, "offset": offset} for offset in (0, 2, 4)]
    assert lines == [["pages", [reply("list", page, request_id="pages") for page in pages]]]


async def test_resubscribes_after_a_server_restart(node: str) -> None:
    manager = serve(dcrf_client_streams)
    url = manager.__enter__()
    port = int(url.rsplit(":", 1)[1])

    async def restart(label: str, value: Any) -> None:
        nonlocal manager
        if label == "ready for restart":
            await asyncio.to_thread(manager.__exit__, None, None, None)
            manager = serve(dcrf_client_streams, port=port)
            await asyncio.to_thread(manager.__enter__)

    try:
        lines = await run_scenario(node, "restart", f"{url}/", on_line=restart)
    finally:
        manager.__exit__(None, None, None)
    pk = lines[1][1]
    assert lines == [
        ["subscribed", None],
        ["ready for restart", pk],
        [
            "resubscribed",
            {"stream": "items", "payload": reply("subscribe_instance", None, status=201, request_id="sub-r")},
        ],
        ["events", [{"action": "update", "data": row(pk, "survivor", 7)}]],
    ]
