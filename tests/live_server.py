"""Run an ASGI application under a real server (uvicorn) in a background thread, for end-to-end tests.

Usage::

    with serve(application) as base_url:          # "ws://127.0.0.1:PORT"
        async with websockets.connect(base_url + "/ws/") as ws:
            ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serve(app: Any, host: str = "127.0.0.1", ws: str = "websockets-sansio", port: int = 0) -> Iterator[str]:
    """Serve ``app`` on ``port`` (a free one by default); yields the ``ws://host:port`` base URL."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", ws=ws)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
