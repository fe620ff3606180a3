"""Observers on the real services: a change committed in another process (PostgreSQL) reaches a
subscriber of a live server here through a Redis channel layer, and the transaction, savepoint,
group-move and multi-database tests pass on PostgreSQL too.

Needs Redis and PostgreSQL on 127.0.0.1; skipped with a reason without them, except under CI=true.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import websockets
from channels.layers import channel_layers
from django.test import override_settings

from tests.support.observer_consumers import ItemActivityConsumer
from tests.support.services import require
from tests.support.settings_services import REDIS_LAYERS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def services() -> None:
    require("Redis", "PostgreSQL")


def write_in_another_process(layer: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.support.settings_services", "DCRF_LAYER": layer}
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "support" / "observer_writer.py")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)  # the server's worker threads may reuse a connection
@pytest.mark.parametrize("layer", ["core", "pubsub"])
async def test_change_committed_in_another_process_reaches_the_subscriber(services, live_server_url, layer):
    with override_settings(CHANNEL_LAYERS={"default": REDIS_LAYERS[layer]}):
        channel_layers.backends.clear()
        url = live_server_url(ItemActivityConsumer.as_asgi())
        async with websockets.connect(url + "/ws/") as ws:
            await ws.send(json.dumps({"action": "subscribe", "request_id": 8}))
            assert json.loads(await ws.recv())["response_status"] == 201
            expected = await asyncio.to_thread(write_in_another_process, layer)
            received = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]
            assert received == [
                {"errors": [], "data": expected["kept"], "action": "create", "response_status": 200, "request_id": 8},
                {"errors": [], "data": expected["kept"], "action": "delete", "response_status": 200, "request_id": 8},
            ]
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)
    channel_layers.backends.clear()


# The observer tests whose outcome depends on the database's transaction behaviour: commit-time
# delivery, rollbacks, savepoints, group moves read from the database, routing by ``using``, and
# live lists (commit order, one membership query per cohort and batch).
POSTGRES_SUITES = [
    "tests/observer/test_observer_model.py",
    "tests/observer/test_observer_instance.py",
    "tests/observer/test_observer_using.py",
    "tests/observer/test_observer_lists.py",
]


def test_transaction_semantics_hold_on_postgresql(services):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ds=tests.support.settings_pg",
            *POSTGRES_SUITES,
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.support.settings_pg"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "failed" not in summary and "skipped" not in summary and "error" not in summary, summary
    passed = int(summary.split(" passed")[0].rsplit(" ", 1)[-1])
    assert passed >= 30, summary  # all three modules ran, not a collection accident
