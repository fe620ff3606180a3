"""Live lists across processes: two server processes share a Redis channel layer and PostgreSQL;
a third process writes.  Every subscriber, on either server, gets every event exactly once.

Needs Redis and PostgreSQL on 127.0.0.1; skipped with a reason without them, except under CI=true.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.support.envelope import reply
from tests.support.live_server import free_port, wait_for_port
from tests.support.services import require

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "tests" / "support" / "list_processes.py")
ENV = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.support.settings_services", "DCRF_LAYER": "core"}


def server_started(port: int, process: subprocess.Popen[str]) -> None:
    """Wait until the server ``process`` listens on ``port``; fails with its errors if it exits first."""
    wait_for_port(port, process, lambda: process.stderr.read() if process.stderr and process.poll() is not None else "")


@pytest.fixture
def writer() -> Iterator[Any]:
    require("Redis", "PostgreSQL")
    prefix = f"lists-{uuid.uuid4().hex[:8]}-"
    process = subprocess.Popen(
        [sys.executable, SCRIPT, "write", prefix],
        env=ENV,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    assert json.loads(process.stdout.readline()) == {"ready": True}  # the table exists before any server

    def step(name: str) -> dict[str, Any]:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(name + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        return json.loads(line)  # type: ignore[no-any-return]

    step.prefix = prefix  # type: ignore[attr-defined]
    yield step
    process.stdin.close()
    process.wait(timeout=30)


#: Seconds a server may take to exit after SIGTERM once its clients are gone (it takes well under 1).
SHUTDOWN_TIMEOUT = 10


def start_server(port: int, kind: str = "uvicorn") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, SCRIPT, "serve", str(port), kind], env=ENV, cwd=ROOT, stderr=subprocess.PIPE, text=True
    )


def stop_servers(processes: list[subprocess.Popen[str]]) -> list[str]:
    """SIGTERM every server and wait for it; the errors of those that did not exit in time (then killed)."""
    for process in processes:
        process.terminate()
    hung = []
    for process in processes:
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            _, errors = process.communicate(timeout=30)
            server = f"{process.args[4]} on port {process.args[3]}"
            hung.append(f"{server} did not exit within {SHUTDOWN_TIMEOUT} s of SIGTERM; its stderr: {errors}")
    return hung


@pytest.fixture
def servers() -> Iterator[list[str]]:
    ports = [free_port(), free_port()]
    processes = [start_server(port) for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            server_started(port, process)
        yield [f"ws://127.0.0.1:{port}/ws/" for port in ports]
    finally:
        hung = stop_servers(processes)
    assert not hung, hung  # a graceful shutdown that hangs fails the test


async def live_list_round(writer: Any, urls: list[str], kept: list[dict[str, Any]]) -> dict[str, Any]:
    """One socket per url subscribes to the writer's live list, which already holds ``kept``; the
    writer creates two rows, updates one, deletes the other.  Every socket gets every event once,
    then closes.  Returns the row that stays."""
    sockets = [await websockets.connect(url) for url in urls]
    try:
        for number, ws in enumerate(sockets):
            await ws.send(json.dumps({"action": "subscribe_list", "request_id": number, "prefix": writer.prefix}))
            assert json.loads(await ws.recv()) == reply("subscribe_list", kept, request_id=number)

        async def received(count: int) -> list[list[Any]]:
            return [[json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(count)] for ws in sockets]

        created = await asyncio.to_thread(writer, "create")
        assert await received(2) == [
            [
                reply("create", created["a"], request_id=number),
                reply("create", created["b"], request_id=number),
            ]
            for number in range(len(sockets))
        ]
        updated = await asyncio.to_thread(writer, "update")
        assert await received(1) == [[reply("update", updated["a"], request_id=n)] for n in range(len(sockets))]
        await asyncio.to_thread(writer, "delete")
        deleted = {"pk": created["b"]["id"]}
        assert await received(1) == [[reply("delete", deleted, status=204, request_id=n)] for n in range(len(sockets))]
        for ws in sockets:  # each event came once: nothing else follows
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)
    finally:
        for ws in sockets:
            await ws.close()
    return updated["a"]  # type: ignore[no-any-return]


async def test_subscribers_on_two_server_processes_get_every_event_once(writer, servers):
    await live_list_round(writer, [url for url in servers for _ in range(2)], [])


@pytest.mark.parametrize("kind", ["uvicorn", "daphne"])
async def test_a_server_exits_on_sigterm_after_its_sockets_got_events_and_closed(writer, kind):
    """Closing a socket cancels its channel-layer read; a read that missed its cancellation kept
    the server's graceful shutdown waiting forever (see djangochannelsrestframework._engine.cancellation).
    It took a close at the wrong moment: five rounds of two sockets hung every run before the fix."""
    port = free_port()
    process = start_server(port, kind)
    try:
        server_started(port, process)
        kept: list[dict[str, Any]] = []
        for _ in range(5):
            kept.append(await live_list_round(writer, [f"ws://127.0.0.1:{port}/ws/"] * 2, kept))
    finally:
        hung = stop_servers([process])
    assert hung == []
