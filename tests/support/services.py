"""The services some tests need (Redis, PostgreSQL on 127.0.0.1, a browser): skipped with a visible
reason on a laptop without them, a failure under CI=true, where they must run."""

from __future__ import annotations

import os
import socket

import pytest

PORTS = {"Redis": 6379, "PostgreSQL": 5432}


def reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def required(reason: str) -> None:
    """Skip with ``reason`` locally; under CI=true fail with it instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, but CI=true requires it")
    pytest.skip(reason)


def require(*names: str) -> None:
    """Skip (fail under CI=true) unless every named service answers on 127.0.0.1."""
    missing = [name for name in names if not reachable(PORTS[name])]
    if missing:
        required(f"{' and '.join(missing)} not reachable on 127.0.0.1")
