"""MAX_CONNECTIONS_PER_USER across processes: two uvicorn processes on one Redis channel layer
count one user's sockets together, and a killed process's sockets stop counting after the TTL.

Needs Redis on 127.0.0.1; skipped with a reason without it, except under CI=true.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import redis
import websockets

from tests.support.envelope import reply
from tests.support.live_server import ROOT, free_port, server_process
from tests.support.services import require

SETTINGS = "tests.support.settings_connection_limit"
#: Seconds a socket stays counted in Redis without a refresh from its process (refreshed every 0.5 s).
TTL = 1.5
REFUSED = reply("connect", errors=["Too many connections for this user; the limit is 2."], status=429)


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Two server processes sharing a Redis key prefix and a SQLite file with one user and its token."""
    require("Redis")
    prefix = f"dcrf-test-connections-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DCRF_CONNECTION_PREFIX", prefix)
    monkeypatch.setenv("DCRF_CONNECTION_TTL", str(TTL))
    monkeypatch.setenv("DCRF_TEST_SQLITE", str(tmp_path / "db.sqlite3"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS}
    script = [sys.executable, "tests/support/connection_limit_app.py", "ada"]
    token = subprocess.run(script, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip()
    client = redis.Redis()
    with ExitStack() as stack:
        processes, urls = [], []
        for name in ("a", "b"):
            port = free_port()
            args = ["-m", "uvicorn", "tests.support.connection_limit_app:application", "--port", str(port)]
            args += ["--log-level", "warning", "--lifespan", "off"]
            processes.append(stack.enter_context(server_process(args, port, SETTINGS, tmp_path / f"{name}.log")))
            urls.append(f"ws://127.0.0.1:{port}/ws/?token={token}")
        key = f"{prefix}:dcrf-connections:auth.user:1"  # ada is the first user of a new database
        yield {"urls": urls, "processes": processes, "counted": lambda: client.zcard(key)}
    for key in client.keys(f"{prefix}:*"):
        client.delete(key)
    client.close()


async def signed_in(url: str) -> Any:
    """A socket to ``url`` that answers as user ada."""
    ws = await websockets.connect(url)
    await ws.send(json.dumps({"action": "whoami", "request_id": 1}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == reply("whoami", {"username": "ada"}, request_id=1)
    return ws


async def assert_refused(url: str) -> None:
    async with websockets.connect(url) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == REFUSED
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 4429


async def wait_for_open(deployment: dict[str, Any], count: int) -> None:
    """Wait until Redis counts ``count`` sockets of ada (a close is counted off after the client sees it)."""
    deadline = time.monotonic() + 5
    while (counted := deployment["counted"]()) != count:
        assert time.monotonic() < deadline, counted
        await asyncio.sleep(0.05)


async def test_the_limit_counts_the_sockets_of_every_process(deployment: dict[str, Any]) -> None:
    url_a, url_b = deployment["urls"]
    first = await signed_in(url_a)
    second = await signed_in(url_b)
    await asyncio.sleep(TTL + 0.5)  # longer than the TTL: each process keeps its sockets counted
    await assert_refused(url_b)
    await assert_refused(url_a)
    await first.close()
    await wait_for_open(deployment, 1)
    third = await signed_in(url_b)  # the slot freed on process a is taken on process b
    await assert_refused(url_a)
    await second.close()
    await third.close()
    await wait_for_open(deployment, 0)


async def test_a_killed_process_sockets_stop_counting_after_the_ttl(deployment: dict[str, Any]) -> None:
    url_a, url_b = deployment["urls"]
    doomed = [await signed_in(url_a), await signed_in(url_a)]
    deployment["processes"][0].send_signal(signal.SIGKILL)
    deployment["processes"][0].wait(timeout=10)
    await assert_refused(url_b)  # its sockets still count until their TTL runs out
    await asyncio.sleep(TTL + 0.2)
    kept = [await signed_in(url_b), await signed_in(url_b)]
    await assert_refused(url_b)
    for ws in doomed + kept:
        await ws.close()
