"""Shared fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import djangochannelsrestframework

from .support.live_server import serve

SUITE_ROOT = Path(__file__).resolve().parent.parent


def pytest_report_header() -> str:
    package = djangochannelsrestframework
    return f"djangochannelsrestframework {package.__version__} from {package.__file__}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under ``DCRF_EXPECT_INSTALLED=1`` (noxfile.py) refuse to run on the checkout's package."""
    if os.environ.get("DCRF_EXPECT_INSTALLED") != "1":
        return
    location = Path(djangochannelsrestframework.__file__).resolve()
    if SUITE_ROOT in location.parents or "site-packages" not in location.parts:
        raise pytest.UsageError(f"DCRF_EXPECT_INSTALLED=1 but the package was imported from {location}")


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


@pytest.fixture(autouse=True)
def _connection_housekeeping_may_run(django_db_blocker: Any) -> Iterator[None]:
    """Let channels' ``close_old_connections`` (run before handlers) check leftover connections.

    A database thread keeps the connection a transactional test left in it; checking that connection
    is not a query of the test's own, but pytest-django's blocker would turn it into an error in the
    next test without the ``django_db`` mark.  channels' communicator patches the check away only
    while it sends or receives, so whether it ran depended on timing (seen on channels 4.1).
    """
    with django_db_blocker.unblock():
        yield
