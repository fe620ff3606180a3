"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .live_server import serve


@pytest.fixture
def live_server_url() -> Iterator[Any]:
    """Start a uvicorn server for an ASGI app: ``url = live_server_url(app)``; stopped after the test."""
    stack: list[Any] = []

    def start(app: Any) -> str:
        manager = serve(app)
        url = manager.__enter__()
        stack.append(manager)
        return url

    yield start
    for manager in reversed(stack):
        manager.__exit__(None, None, None)
