"""The test helpers need no server: every ``testing`` module of the package imports, and its
communicator connects, in a process where daphne cannot be imported (channels 4 moved daphne out
of its dependencies, but ``channels.testing``'s package ``__init__`` still imports it)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import djangochannelsrestframework

PACKAGE = Path(djangochannelsrestframework.__file__).parent
#: The folder holding ``tests`` (the checkout, or nox's copy of the suite beside an installed package).
SUITE = Path(__file__).resolve().parents[2]


def helper_modules() -> list[str]:
    """``djangochannelsrestframework.testing`` and every ``contrib/<layer>/testing.py``."""
    found = ["djangochannelsrestframework.testing"]
    for path in sorted(PACKAGE.glob("contrib/*/testing.py")):
        found.append(f"djangochannelsrestframework.contrib.{path.parent.name}.testing")
    return found


def test_the_testing_modules_import_and_connect_without_daphne():
    modules = helper_modules()
    assert "djangochannelsrestframework.contrib.rest_live.testing" in modules
    script = textwrap.dedent(
        f"""
        import asyncio, importlib, sys
        sys.modules["daphne"] = None  # `import daphne` raises ImportError from here on
        import django
        django.setup()
        for name in {modules!r}:
            importlib.import_module(name)
        assert "channels.testing.live" not in sys.modules, "channels.testing's server part was imported"

        from djangochannelsrestframework.contrib.rest_live.consumers import SubscriptionConsumer
        from djangochannelsrestframework.contrib.rest_live.testing import APICommunicator

        async def main():
            communicator = APICommunicator(SubscriptionConsumer.as_asgi(), "/ws/subscribe/")
            connected, _ = await communicator.connect()
            await communicator.send_json_to({{"type": "unsubscribe", "id": 5}})
            reply = await communicator.receive_json_from()
            await communicator.disconnect()
            return connected, reply

        print(asyncio.run(main()))
        """
    )
    python_path = os.pathsep.join(dict.fromkeys([str(SUITE), str(PACKAGE.parent)]))
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=SUITE,
        env={"DJANGO_SETTINGS_MODULE": "tests.support.settings", "PATH": "/usr/bin:/bin", "PYTHONPATH": python_path},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = {
        "type": "error",
        "id": 5,
        "code": 404,
        "message": "Attempted to unsubscribe for request ID before subscribing.",
    }
    assert result.stdout.strip() == str((True, expected))
