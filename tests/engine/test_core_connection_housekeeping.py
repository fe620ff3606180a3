"""Stale database connections are closed without a thread hop before every message.

The PostgreSQL cases run tests/support/housekeeping_probe.py in a separate process (its own settings and
connections) under a real uvicorn server: channels' test communicators replace connection
housekeeping with a no-op.  They need PostgreSQL on 127.0.0.1; skipped without it, except under CI=true.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import websockets
from django.db import InterfaceError, OperationalError

from djangochannelsrestframework._engine.housekeeping import ConnectionHousekeeping, housekeeping
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from tests.support.services import require

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgresql() -> None:
    require("PostgreSQL")


def probe(scenario: str, interval: float = 1.0) -> list[dict[str, Any]]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.support.settings_services", "PROBE_INTERVAL": str(interval)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "support" / "housekeeping_probe.py"), scenario],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    replies: list[dict[str, Any]] = json.loads(result.stdout.strip().splitlines()[-1])
    return replies


def test_async_orm_action_gets_a_fresh_connection_after_conn_max_age(postgresql):
    first, second, after_expiry = probe("max_age")
    assert [first["status"], second["status"], after_expiry["status"]] == [200, 200, 200]
    assert second["pid"] == first["pid"]  # kept between messages while young
    assert after_expiry["pid"] != first["pid"]  # replaced once CONN_MAX_AGE (1 s) + the interval passed


def test_async_orm_recovers_after_the_backend_was_killed(postgresql):
    before, failed, *after = probe("killed_async", interval=3600)
    assert before["status"] == 200
    # The message that meets the dead connection fails; its database error makes housekeeping due,
    # so the next message gets a new connection even though the interval has not passed.
    assert failed == {"status": 500, "pid": None}
    assert [reply["status"] for reply in after] == [200, 200]
    assert after[0]["pid"] == after[1]["pid"] != before["pid"]


def test_recovery_matches_channels_per_message_housekeeping(postgresql):
    # interval 0 is channels' behaviour (housekeeping before every message): the same replies.
    statuses = [reply["status"] for reply in probe("killed_async", interval=0)]
    assert statuses == [200, 500, 200, 200]


def test_sync_actions_do_their_own_housekeeping(postgresql):
    # Sync actions run through database_sync_to_async, which closes old connections in its thread,
    # whatever the consumer's interval.
    young, expired = probe("sync_max_age", interval=3600)
    assert young["status"] == expired["status"] == 200
    assert expired["pid"] != young["pid"]
    before, failed, *after = probe("killed_sync", interval=3600)
    assert [before["status"], failed["status"]] + [reply["status"] for reply in after] == [200, 500, 200, 200]
    assert after[0]["pid"] != before["pid"]


def test_within_the_interval_an_expired_connection_is_still_used(postgresql):
    # The documented bound: an async-ORM connection may outlive CONN_MAX_AGE by up to the interval.
    first, second, after_expiry = probe("max_age", interval=3600)
    assert first["pid"] == second["pid"] == after_expiry["pid"]


class EchoConsumer(AsyncAPIConsumer):
    connection_housekeeping_interval = 3600.0

    @action()
    async def echo(self, value: Any = None, **kwargs: Any) -> tuple[Any, int]:
        return value, 200

    @action()
    async def fail(self, **kwargs: Any) -> tuple[Any, int]:
        raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.django_db(transaction=True)  # housekeeping touches the database thread's connections
async def test_messages_within_the_interval_skip_the_hop(live_server_url):
    url = live_server_url(EchoConsumer.as_asgi())
    async with websockets.connect(url + "/ws/") as ws:
        await ws.send(json.dumps({"action": "echo", "value": 0, "request_id": 0}))
        await ws.recv()
        ran_at = housekeeping.last_run
        for number in range(1, 50):
            await ws.send(json.dumps({"action": "echo", "value": number, "request_id": number}))
            assert json.loads(await ws.recv())["data"] == number
        assert housekeeping.last_run == ran_at


@pytest.mark.django_db(transaction=True)
async def test_a_database_error_makes_housekeeping_due_for_the_next_message(live_server_url):
    url = live_server_url(EchoConsumer.as_asgi())
    async with websockets.connect(url + "/ws/") as ws:
        await ws.send(json.dumps({"action": "echo", "request_id": 1}))
        await ws.recv()
        ran_at = housekeeping.last_run
        await ws.send(json.dumps({"action": "fail", "request_id": 2}))
        assert json.loads(await ws.recv())["response_status"] == 500
        await ws.send(json.dumps({"action": "echo", "request_id": 3}))
        await ws.recv()
        # The interval (an hour) has not passed: only the database error can have made it run.
        assert housekeeping.last_run > ran_at


def test_which_exceptions_make_housekeeping_due():
    state = ConnectionHousekeeping()
    state.note_exception(ValueError("not the database"))
    assert not state.due
    state.note_exception(InterfaceError("connection already closed"))
    assert state.due
    assert state.needed(3600.0)
