"""Every message exchange the documentation shows is replayed against the example it names.

A page marks an exchange with a comment naming the consumer (or ASGI application) and options,
followed by a code block of frames: ``→`` lines are sent verbatim, ``←`` lines must be the next
reply (same JSON, same key order), and nothing else may arrive afterwards::

    .. exchange: docs.examples.quickstart.GreetingConsumer user=alice settings={"MAX_MESSAGE_SIZE":40}

    .. code-block:: text

       → {"action": "greet", "name": "Ada"}
       ← {"errors": [], "data": {"greeting": "Hello, Ada!"}, ...}

A block whose only line is ``✗ handshake refused`` expects the connection to be refused.
README.md uses ``<!-- exchange: ... -->`` the same way.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from channels.consumer import AsyncConsumer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MARKER = re.compile(r"^\s*(?:\.\.|<!--)\s*exchange:\s+(?P<target>\S+)(?P<options>.*?)\s*(?:-->)?\s*$")
SEND, RECEIVE, REFUSED = "→", "←", "✗ handshake refused"

#: The users an exchange may name with ``user=``; never saved, so no database row is needed.
USERS = {
    "anonymous": lambda: AnonymousUser(),
    "alice": lambda: User(pk=1, username="alice"),
    "admin": lambda: User(pk=2, username="admin", is_staff=True),
}


@dataclass
class Exchange:
    where: str
    target: str
    options: dict[str, str]
    steps: list[tuple[str, str]] = field(default_factory=list)


def parse(path: Path) -> list[Exchange]:
    exchanges: list[Exchange] = []
    current: Exchange | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        marker = MARKER.match(line)
        if marker:
            options = dict(option.split("=", 1) for option in marker.group("options").split())
            current = Exchange(f"{path.relative_to(ROOT)}:{number}", marker.group("target"), options)
            exchanges.append(current)
            continue
        if current is None:
            continue
        text = line.strip()
        if text.startswith((SEND, RECEIVE)):
            current.steps.append((text[0], text[1:].strip()))
        elif text == REFUSED:
            current.steps.append((REFUSED, ""))
        elif text and current.steps:
            current = None  # the block ended
    return exchanges


def documented_exchanges() -> list[Exchange]:
    exchanges: list[Exchange] = []
    for path in [ROOT / "README.md", *sorted(DOCS.glob("*.rst"))]:
        exchanges.extend(parse(path))
    return exchanges


EXCHANGES = documented_exchanges()

# Sync actions and connection clean-up touch the database; ids in the docs start at 1 whatever ran before.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


def load(target: str) -> Any:
    module_name, _, attribute = target.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def as_application(obj: Any) -> Any:
    if isinstance(obj, type) and issubclass(obj, AsyncConsumer):
        return obj.as_asgi()
    return obj


def same_json(received: str, expected: str) -> bool:
    """Equal as JSON, including the order of keys (``json`` keeps it)."""
    return json.dumps(json.loads(received)) == json.dumps(json.loads(expected))


def test_the_docs_show_exchanges() -> None:
    pages = {exchange.where.split(":")[0] for exchange in EXCHANGES}
    assert {
        "README.md",
        "docs/index.rst",
        "docs/consumers.rst",
        "docs/actions.rst",
        "docs/permissions.rst",
        "docs/settings.rst",
        "docs/errors.rst",
        "docs/protocol.rst",
    } <= pages
    assert all(exchange.steps for exchange in EXCHANGES)


@pytest.mark.parametrize("exchange", EXCHANGES, ids=[exchange.where for exchange in EXCHANGES])
async def test_documented_exchange(exchange: Exchange) -> None:
    application = as_application(load(exchange.target))
    settings = json.loads(exchange.options["settings"]) if "settings" in exchange.options else None
    with override_settings(DJANGO_CHANNELS_REST_API=settings) if settings is not None else nullcontext():
        communicator = WebsocketCommunicator(application, exchange.options.get("path", "/ws/"))
        communicator.scope["user"] = USERS[exchange.options.get("user", "anonymous")]()
        connected, _ = await communicator.connect()
        if exchange.steps == [(REFUSED, "")]:
            assert not connected
            return
        assert connected
        for kind, text in exchange.steps:
            if kind == SEND:
                await communicator.send_to(text_data=text)
            else:
                received = await communicator.receive_from(timeout=3)
                assert same_json(received, text), f"{exchange.where}: got {received}"
        assert await communicator.receive_nothing(timeout=0.1)
        await communicator.disconnect()


async def test_unhandled_exceptions_are_logged_with_their_traceback(caplog: pytest.LogCaptureFixture) -> None:
    from docs.examples.errors import FailingConsumer

    communicator = WebsocketCommunicator(FailingConsumer.as_asgi(), "/ws/")
    await communicator.connect()
    with caplog.at_level(logging.ERROR, logger="djangochannelsrestframework"):
        await communicator.send_json_to({"action": "fail", "kind": "bug"})
        reply = await communicator.receive_json_from()
    await communicator.disconnect()
    assert reply["errors"] == ["A server error occurred."]
    [record] = [r for r in caplog.records if r.name == "djangochannelsrestframework"]
    assert record.getMessage() == "Unhandled exception in action 'fail'"
    assert record.exc_info is not None and isinstance(record.exc_info[1], ZeroDivisionError)


async def test_binary_frames_get_a_400_reply() -> None:
    from docs.examples.quickstart import GreetingConsumer

    communicator = WebsocketCommunicator(GreetingConsumer.as_asgi(), "/ws/")
    await communicator.connect()
    await communicator.send_to(bytes_data=b"\x00\x01")
    reply = await communicator.receive_json_from()
    await communicator.disconnect()
    assert reply == {
        "errors": ["Binary frames are not supported; send a JSON object as a text frame."],
        "data": None,
        "action": None,
        "response_status": 400,
        "request_id": None,
    }


def test_documented_settings_example_is_what_the_settings_page_lists() -> None:
    from djangochannelsrestframework.settings import DEFAULTS
    from docs.examples.settings import DJANGO_CHANNELS_REST_API

    assert set(DJANGO_CHANNELS_REST_API) <= set(DEFAULTS)
    page = (DOCS / "settings.rst").read_text()
    for key in DEFAULTS:
        assert f"``{key}``" in page


def test_every_example_module_is_shown_in_the_docs() -> None:
    shown = "".join(path.read_text() for path in DOCS.glob("*.rst"))
    for module in sorted((DOCS / "examples").glob("[!_]*.py")):
        assert f"examples/{module.name}" in shown, module.name
