"""Run an ASGI application under a real server, for end-to-end tests: uvicorn in a background
thread (:func:`serve`), or any server command in a subprocess (:func:`serve_process`).

Usage::

    with serve(application) as base_url:          # "ws://127.0.0.1:PORT"
        async with websockets.connect(base_url + "/ws/") as ws:
            ...
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parents[2]


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


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any], output: Callable[[], str], timeout: float = 30.0) -> None:
    """Return once ``port`` of 127.0.0.1 accepts connections (``process`` listens on it); raise
    :class:`RuntimeError` with the process's ``output()`` if it exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{' '.join(map(str, process.args))} did not start:\n{output()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)


@contextmanager
def serve_process(
    args: Sequence[str], port: int, settings_module: str, log_path: Path, timeout: float = 30.0
) -> Iterator[str]:
    """Run ``python *args`` from the repository root (a server that listens on ``port``) with
    ``settings_module``; yields the ``ws://127.0.0.1:port`` base URL once it accepts connections,
    and stops the server afterwards.  Its output goes to ``log_path``, shown if it does not start."""
    with server_process(args, port, settings_module, log_path, timeout):
        yield f"ws://127.0.0.1:{port}"


@contextmanager
def server_process(
    args: Sequence[str], port: int, settings_module: str, log_path: Path, timeout: float = 30.0
) -> Iterator[subprocess.Popen[bytes]]:
    """:func:`serve_process`, yielding the process instead (for tests that kill it)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "PYTHONPATH": str(ROOT)}
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, lambda: log_path.read_text(errors="replace"), timeout)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
