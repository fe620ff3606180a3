"""The package on channels 4.1, which has no ``channels.db.aclose_old_connections``.

Each case runs in a fresh interpreter where that name is removed before our package is imported,
as it is on channels 4.1; the suite as a whole also runs on channels 4.1 in the CI version matrix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: Imports the consumers, opens a database connection in the database thread, runs housekeeping and
#: reports whether that connection was closed (CONN_MAX_AGE is 0, so it is obsolete at once).
PROBE = """
import asyncio, json, os, sys

import channels.consumer  # channels' own modules bind the name at import, as they do on 4.1
import channels.db
import channels.generic.websocket

if sys.argv[1] == "channels-4.1" and hasattr(channels.db, "aclose_old_connections"):
    del channels.db.aclose_old_connections

import django

django.setup()

from asgiref.sync import sync_to_async
from django.db import connection

import djangochannelsrestframework.consumers  # noqa: F401
import djangochannelsrestframework.observer.generics  # noqa: F401
from djangochannelsrestframework._engine.housekeeping import housekeeping


def connect():
    connection.ensure_connection()  # resolved in the database thread: connections are per thread


async def main():
    await sync_to_async(connect)()
    opened = await sync_to_async(lambda: connection.connection is not None)()
    await housekeeping.run()
    closed = await sync_to_async(lambda: connection.connection is None)()
    print(json.dumps({"opened": opened, "closed": closed}))


asyncio.run(main())
"""


def run_probe(variant: str, tmp_path: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.support.settings",
        "PYTHONPATH": str(ROOT),
        # a file database: Django never closes an in-memory SQLite connection
        "DCRF_TEST_SQLITE": str(tmp_path / "db.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE, variant], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_imports_and_closes_old_connections_without_aclose_old_connections(tmp_path: Path) -> None:
    assert run_probe("channels-4.1", tmp_path) == {"opened": True, "closed": True}


def test_closes_old_connections_with_aclose_old_connections(tmp_path: Path) -> None:
    assert run_probe("installed", tmp_path) == {"opened": True, "closed": True}
