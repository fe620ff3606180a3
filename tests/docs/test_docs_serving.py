"""docs/serving.rst as written: Daphne's runserver (daphne first in INSTALLED_APPS) and uvicorn serve
the docs' ASGI application; AllowedHostsOriginValidator refuses a client without an Origin header
and accepts one that names an allowed host; ObserverModelInstanceMixin brings ``retrieve``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from docs.examples import serving_client, serving_settings
from tests.support.envelope import reply
from tests.support.live_server import free_port, serve_process

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "serving.rst"

SERVERS = {
    "daphne-runserver": ["-m", "django", "runserver", "127.0.0.1:{port}", "--noreload"],
    "uvicorn": ["-m", "uvicorn", "docs.examples.asgi:application", "--host", "127.0.0.1", "--port", "{port}"],
}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    args = [arg.format(port=port) for arg in SERVERS[request.param]]
    log_path = tmp_path_factory.mktemp("serving") / "server.log"
    with serve_process(args, port, "tests.support.settings_serving", log_path) as base_url:
        yield f"{base_url}/ws/greet/"


async def test_a_client_naming_an_allowed_origin_is_served(server_url: str) -> None:
    assert await serving_client.greet(server_url) == reply("greet", {"greeting": "Hello, Ada!"}, request_id=1)


async def test_a_client_without_an_origin_header_is_refused(server_url: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(server_url):  # the websockets client sends no Origin by default
            pass
    assert refused.value.response.status_code == 403


async def test_a_client_from_another_origin_is_refused(server_url: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await serving_client.greet(server_url, origin="http://evil.example")
    assert refused.value.response.status_code == 403


#: What a client sees of a frame one byte over each server's default limit (docs/settings.rst).
OVERSIZED = {
    "daphne-runserver": (1_048_576 + 1, None),  # the connection drops: no close frame (1006)
    "uvicorn": (16_777_216 + 1, 1009),
}


def daphne_limits_messages() -> bool:
    """Whether the installed Daphne refuses large messages itself (``websocket_max_message_size``, 4.2)."""
    from importlib.metadata import version

    major, minor = (int(part) for part in version("daphne").split(".")[:2])
    return (major, minor) >= (4, 2)


async def test_a_frame_over_the_servers_limit_ends_the_connection_as_the_settings_page_says(
    server_url: str, request: pytest.FixtureRequest
) -> None:
    server = request.node.callspec.params["server_url"]
    size, close_code = OVERSIZED[server]
    async with websockets.connect(server_url, origin="http://127.0.0.1", max_size=None) as client:
        await client.send("x" * size)
        if server.startswith("daphne") and not daphne_limits_messages():
            # Daphne before 4.2 has no limit of its own: the frame reaches the consumer, which refuses it.
            too_large = ["Message is too large; the limit is 256000 characters."]
            assert json.loads(await client.recv()) == reply(None, errors=too_large, status=413)
            return
        with pytest.raises(ConnectionClosed) as closed:
            await client.recv()
    received = closed.value.rcvd
    assert (received.code if received is not None else None) == close_code
    settings_page = (ROOT / "docs" / "settings.rst").read_text()
    assert "Daphne drops it without a close frame" in settings_page
    assert 'uvicorn sends a close frame with code 1009 ("message too big")' in settings_page


def test_daphne_comes_first_in_installed_apps() -> None:
    assert serving_settings.INSTALLED_APPS[0] == "daphne"


def test_the_instance_mixin_brings_retrieve() -> None:
    from docs.examples.serving_mixins import LiveItemConsumer

    assert {"list", "update", "retrieve", "subscribe_instance", "unsubscribe_instance"} <= set(
        LiveItemConsumer.available_actions
    )


def test_listing_retrieve_before_the_instance_mixin_is_accepted() -> None:
    from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
    from djangochannelsrestframework.mixins import RetrieveModelMixin
    from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin

    cls = type("Listed", (RetrieveModelMixin, ObserverModelInstanceMixin, GenericAsyncAPIConsumer), {})
    assert {"retrieve", "subscribe_instance"} <= set(cls.available_actions)


def test_the_extras_the_page_names_exist() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    named = set(re.findall(r"djangochannelsrestframework\[(\w+)\]", PAGE.read_text()))
    assert named == {"demo", "redis", "filters"}
    assert named <= set(extras)
