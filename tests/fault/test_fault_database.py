"""PostgreSQL connection killed while an action's query runs: that action gets one 500 reply, the
socket stays open and the next action succeeds on a new connection.

Runs tests/support/housekeeping_probe.py in its own process (a real server; PostgreSQL on 127.0.0.1,
skipped without it except under CI=true).
"""

from __future__ import annotations

import pytest

from tests.engine.test_core_connection_housekeeping import probe
from tests.support.services import require


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_backend_killed_mid_action_is_one_500_then_recovery(kind):
    require("PostgreSQL")
    before, failed, timing, *after = probe(f"killed_mid_{kind}", interval=3600)
    assert before["status"] == 200
    assert failed == {"status": 500, "pid": None, "errors": ["A server error occurred."]}
    assert timing["seconds"] < 5  # the reply came when the query died, not when pg_sleep would end
    assert [reply["status"] for reply in after] == [200, 200]
    assert after[0]["pid"] != before["pid"]
