"""A live list is right from its snapshot on, whatever is committed while it is read: the
subscription is in its groups before the snapshot is read, and knows every row the snapshot shows,
so each later change reaches it as an event relative to what the client has.

Two uvicorn servers share a Redis channel layer and PostgreSQL; writers are processes of their own.
Needs Redis and PostgreSQL on 127.0.0.1 (skipped without them, a failure under CI=true).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
import websockets

from tests.support.envelope import reply
from tests.support.live_server import free_port, wait_for_port
from tests.support.services import require

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "tests" / "support" / "race_processes.py")
ENV = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.support.settings_services", "DCRF_LAYER": "core"}


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, SCRIPT, *args],
        env=ENV,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ready(process: subprocess.Popen[str]) -> None:
    """Wait for a writer's first line (its table exists then)."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, process.stderr.read() if process.stderr else ""
    assert json.loads(line) == {"ready": True}


@pytest.fixture
def servers() -> Iterator[list[str]]:
    require("Redis", "PostgreSQL")
    ports = [free_port(), free_port()]
    processes = [start("serve", str(port)) for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_for_port(port, process, lambda p=process: p.stderr.read() if p.poll() is not None else "")  # type: ignore[misc]
        yield [f"ws://127.0.0.1:{port}/ws/" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def write() -> Iterator[Any]:
    """Commit one change in a writer process; returns the row (``None`` for a delete)."""
    require("Redis", "PostgreSQL")
    process = start("write")
    ready(process)

    def change(command: dict[str, Any]) -> Any:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(command) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        return json.loads(line)

    yield change
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=30)


async def receive(ws: Any, timeout: float = 10) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))  # type: ignore[no-any-return]


class Copy:
    """A client's copy of a live list: events applied as the docs say (create and update as an
    upsert, a delete of an unknown row as nothing)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = {row["id"]: row for row in rows}

    def apply(self, message: dict[str, Any]) -> None:
        if message["action"] in ("create", "update"):
            self.rows[message["data"]["id"]] = message["data"]
        else:
            assert message["action"] == "delete", message
            self.rows.pop(message["data"]["pk"], None)

    def listed(self) -> list[dict[str, Any]]:
        return [self.rows[key] for key in sorted(self.rows)]


async def settle(ws: Any, copies: dict[Any, Copy], params: dict[str, Any], wait: float = 30) -> list[Any]:
    """Apply events to ``copies`` (per request id) until they stop, then compare each with a fresh
    ``list``; returns ``[copies' rows, list]`` once they are equal, or as they are after ``wait`` s."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        while True:  # quiet for a second: the events of the last commits have arrived
            try:
                message = await receive(ws, 1.0)
            except asyncio.TimeoutError:
                break
            copies[message["request_id"]].apply(message)
        await ws.send(json.dumps({"action": "list", "request_id": "fresh", **params}))
        while (message := await receive(ws))["request_id"] != "fresh":
            copies[message["request_id"]].apply(message)
        rows = [copy.listed() for copy in copies.values()]
        if all(listed == message["data"] for listed in rows) or asyncio.get_running_loop().time() > deadline:
            return [rows, message["data"]]


async def test_changes_committed_around_the_snapshot_reach_the_subscriber(servers, write):
    """The snapshot's ``list`` stops (through a test hook) before it reads the rows and after it
    serialized them.  A row created before the read and deleted after it, a row deleted after it
    and a row created after it each reach the subscriber; before the fix the first was kept for
    ever (the subscription took its rows from a query made before the snapshot's)."""
    prefix, token = f"race-{uuid.uuid4().hex[:8]}-", f"dcrf-test-pause-{uuid.uuid4().hex}"
    params = {"prefix": prefix}
    control = redis.asyncio.Redis(host="127.0.0.1", port=6379)
    kept = await asyncio.to_thread(write, {"create": {"name": prefix + "kept", "value": 1}})
    old = await asyncio.to_thread(write, {"create": {"name": prefix + "old", "value": 2}})
    async with websockets.connect(servers[0]) as paused, websockets.connect(servers[1]) as other:
        await other.send(json.dumps({"action": "subscribe_list", "request_id": "b", **params}))
        assert await receive(other) == reply("subscribe_list", [kept, old], request_id="b")

        await paused.send(json.dumps({"action": "subscribe_list", "request_id": "a", "pause": token, **params}))
        assert await control.blpop([f"{token}:at"], 30) == (f"{token}:at".encode(), b"read")
        brief = await asyncio.to_thread(write, {"create": {"name": prefix + "brief", "value": 3}})
        await control.rpush(f"{token}:go:read", 1)
        assert await control.blpop([f"{token}:at"], 30) == (f"{token}:at".encode(), b"sent")
        await asyncio.to_thread(write, {"delete": old["id"]})
        await asyncio.to_thread(write, {"delete": brief["id"]})
        new = await asyncio.to_thread(write, {"create": {"name": prefix + "new", "value": 4}})
        await control.rpush(f"{token}:go:sent", 1)

        assert await receive(paused) == reply("subscribe_list", [kept, old, brief], request_id="a")
        # In commit order: brief's create (it is gone: a delete), old's delete, brief's delete (the
        # client has no brief any more: nothing), new's create.
        assert [await receive(paused) for _ in range(3)] == [
            reply("delete", {"pk": brief["id"]}, status=204, request_id="a"),
            reply("delete", {"pk": old["id"]}, status=204, request_id="a"),
            reply("create", new, request_id="a"),
        ]
        with pytest.raises(asyncio.TimeoutError):
            await receive(paused, 0.5)
        assert await settle(other, {"b": Copy([kept, old])}, params) == [[[kept, new]], [kept, new]]
    await control.aclose()


#: How long the writers change rows while the sockets re-subscribe, per run.
CHURN_SECONDS = 8.0


async def resubscribe_until(url: str, params: dict[str, Any], stop: asyncio.Event, seed: int) -> list[Any]:
    """One socket subscribes to a filtered list under request ids taken at random from a few, keeps
    a copy per subscription, unsubscribes one now and then and subscribes it again, until ``stop``;
    every copy it holds then is compared with a fresh ``list`` (see :func:`settle`); returns that
    comparison and how many subscriptions it made.  ``delay`` (a
    test hook of the server's ``list``) widens the snapshot at random."""
    chance = random.Random(seed)
    copies: dict[Any, Copy] = {}
    made = 0

    async def until(action: str, request_id: int) -> dict[str, Any]:
        while (message := await receive(ws, 30))["action"] != action:
            copies[message["request_id"]].apply(message)  # only events of live subscriptions
        assert message["request_id"] == request_id, message
        return message

    async with websockets.connect(url, max_size=None) as ws:
        while not stop.is_set():
            if len(copies) < 2 or (len(copies) < 4 and chance.random() < 0.5):
                request_id = chance.choice([n for n in range(8) if n not in copies])
                delay = chance.choice((0, 0.1))
                await ws.send(
                    json.dumps({"action": "subscribe_list", "request_id": request_id, "delay": delay, **params})
                )
                message = await until("subscribe_list", request_id)
                assert message["response_status"] == 200, message
                copies[request_id] = Copy(message["data"])
                made += 1
            else:
                request_id = chance.choice(list(copies))
                await ws.send(json.dumps({"action": "unsubscribe_list", "request_id": request_id}))
                assert await until("unsubscribe_list", request_id) == reply(
                    "unsubscribe_list", None, status=204, request_id=request_id
                )
                del copies[request_id]
            end = asyncio.get_running_loop().time() + chance.uniform(0.02, 0.4)
            while (left := end - asyncio.get_running_loop().time()) > 0:
                try:
                    message = await receive(ws, left)
                except asyncio.TimeoutError:
                    break
                copies[message["request_id"]].apply(message)
        return [*await settle(ws, copies, params), made]


async def test_a_list_resubscribed_during_writes_ends_equal_to_a_fresh_list(servers):
    """Four sockets on two servers subscribe a filtered list, unsubscribe and subscribe it again in a
    loop while two writer processes create, update (in and out of the filter) and delete rows; once
    the writers stop, every copy the sockets hold equals a fresh ``list``."""
    require("Redis", "PostgreSQL")
    seed = random.randrange(10**9)
    prefix = f"churn-{uuid.uuid4().hex[:8]}-"
    params = {"prefix": prefix, "min_value": 100}
    writers = [start("churn", prefix, str(seed + n), str(CHURN_SECONDS)) for n in range(2)]
    try:
        for writer in writers:
            await asyncio.to_thread(ready, writer)
        stop = asyncio.Event()
        sockets = [
            asyncio.ensure_future(resubscribe_until(url, params, stop, seed + 10 + n))
            for n, url in enumerate(servers * 2)
        ]
        outputs = [(await asyncio.to_thread(writer.communicate, timeout=60))[0] for writer in writers]
        assert all(json.loads(output)["changes"] > 0 for output in outputs), outputs
        stop.set()
        results = await asyncio.gather(*sockets)
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
    changes = sum(json.loads(output)["changes"] for output in outputs)
    made = sum(result[2] for result in results)
    checked = sum(len(result[0]) for result in results)
    print(f"seed {seed}: {changes} changes committed, {made} subscriptions made, {checked} copies checked")
    for number, (copies, fresh, _) in enumerate(results):
        for copy in copies:
            assert copy == fresh, f"socket {number} (seed {seed}): {len(copy)} rows kept, {len(fresh)} listed"
