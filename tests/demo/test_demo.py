"""The demo project, served exactly as ``python3 dev.py demo`` serves it, on a free port and a throw-away database.

The helpers here (starting and stopping demo servers) are shared with ``test_demo_browser.py``.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

import dev

STARTUP_SECONDS = 60


@dataclass
class DemoServer:
    http_url: str
    ws_url: str
    origin: str

    @classmethod
    def on_port(cls, port: int) -> DemoServer:
        return cls(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and the autoreloader's child process (they share a process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # a reloader child may outlive its parent
    except ProcessLookupError:
        pass


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"demo server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (the pages may need a login)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"demo server did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")


def prepare_database(env: dict[str, str]) -> None:
    """Migrate and create the demo users, as ``python3 dev.py demo`` does before serving."""
    for command in dev.demo_prepare_commands(sys.executable):
        done = subprocess.run(command, cwd=dev.EXAMPLE, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}{done.stderr}"


def start_server(command: list[str], env: dict[str, str], log: Path, port: int) -> subprocess.Popen[bytes]:
    """Start a demo server process (in its own process group) and wait until it answers on ``port``."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=dev.EXAMPLE,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/accounts/login/", process, log)
    except BaseException:
        stop(process)
        raise
    return process


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    workdir = tmp_path_factory.mktemp("demo")
    env = dev.demo_env(db_path=str(workdir / "db.sqlite3"))
    prepare_database(env)
    port = free_port()
    process = start_server(dev.demo_serve_command(sys.executable, port=port), env, workdir / "server.log", port)
    try:
        yield DemoServer.on_port(port)
    finally:
        stop(process)


def log_in(demo: DemoServer, username: str, password: str) -> tuple[str, str]:
    """Log in through the login form; return (page HTML after the redirect, Cookie header)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{demo.http_url}/accounts/login/", timeout=10) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1), "next": "/"}
    ).encode()
    with opener.open(f"{demo.http_url}/accounts/login/", data=body, timeout=10) as response:
        page = response.read().decode()
    return page, "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


async def call(ws, action: str, request_id: int, **arguments) -> dict:
    await ws.send(json.dumps({"action": action, "request_id": request_id, **arguments}))
    return json.loads(await ws.recv())


def test_pages_need_a_login(demo: DemoServer) -> None:
    with urllib.request.urlopen(f"{demo.http_url}/", timeout=10) as response:
        page = response.read().decode()
    assert response.url == f"{demo.http_url}/accounts/login/?next=/"
    assert "<title>Log in – djangochannelsrestframework demo</title>" in page


def test_logged_in_user_sees_the_room_list_page(demo: DemoServer) -> None:
    page, _ = log_in(demo, *dev.DEMO_USERS[0])
    assert '<strong id="username">alice</strong>' in page
    assert 'new DemoSocket("/ws/chat/"' in page
    assert '<a id="api-link" href="/ws-api/">Websocket API</a>' in page


def test_browsable_api_page_lists_the_room_consumer(demo: DemoServer) -> None:
    with urllib.request.urlopen(f"{demo.http_url}/ws-api/", timeout=10) as response:
        page = response.read().decode()
    start = page.index('<script id="dcrf-routes" type="application/json">')
    routes = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert [(route["path"], route["consumer"]) for route in routes] == [("/ws/chat/", "chat.consumers.RoomConsumer")]
    actions = [action["name"] for action in routes[0]["actions"]]
    assert {"list", "create", "join_room", "post_message", "patch", "delete", "subscribe_instance"} <= set(actions)


async def test_anonymous_sockets_connect_but_every_action_is_refused(demo: DemoServer) -> None:
    async with connect(f"{demo.ws_url}/ws/chat/", origin=demo.origin) as ws:
        reply = await call(ws, "list", 1)
    assert reply == {
        "errors": ["You do not have permission to perform this action."],
        "data": None,
        "action": "list",
        "response_status": 403,
        "request_id": 1,
    }


async def test_create_join_and_post_over_a_real_websocket(demo: DemoServer) -> None:
    _, cookie = log_in(demo, *dev.DEMO_USERS[0])
    async with connect(f"{demo.ws_url}/ws/chat/", origin=demo.origin, additional_headers={"Cookie": cookie}) as ws:
        missing = await call(ws, "create", 1, data={})
        created = await call(ws, "create", 2, data={"name": "websocket-test"})
        pk = created["data"]["pk"]
        joined = await call(ws, "join_room", 3, pk=pk)
        present = json.loads(await ws.recv())
        posted = await call(ws, "post_message", 4, text="hello")
        event = json.loads(await ws.recv())
    assert missing["errors"] == [{"name": ["This field is required."]}]
    assert missing["response_status"] == 400
    assert created["response_status"] == 201
    assert (created["data"]["host"], created["data"]["members"]) == ("alice", ["alice"])
    assert joined["data"]["present"] == ["alice"]
    assert joined["data"]["messages"] == []
    assert present == {"errors": [], "data": ["alice"], "action": "present", "response_status": 200, "request_id": 3}
    assert posted["response_status"] == 201
    assert event == {**posted, "action": "message", "response_status": 200, "request_id": 3}


async def test_websocket_from_a_foreign_origin_is_refused(demo: DemoServer) -> None:
    with pytest.raises(Exception, match="403"):
        async with connect(f"{demo.ws_url}/ws/chat/", origin="http://evil.example"):
            pass


ANY = "\u2026any\u2026"


def _documented_frames() -> list[tuple[str, object]]:
    """The exchange in docs/demo.rst: (direction, message) pairs; ``{...}``/``[...]`` match anything."""
    text = (Path(dev.ROOT) / "docs" / "demo.rst").read_text()
    block = text[text.index(".. demo exchange") :].split("\n\n", 3)[2]
    frames = []
    for line in block.splitlines():
        direction, _, payload = line.strip().partition(" ")
        payload = payload.replace("{...}", json.dumps(ANY)).replace("[...]", json.dumps(ANY))
        frames.append((direction, json.loads(payload)))
    return frames


def _matches(expected: object, actual: object) -> bool:
    if expected == ANY:
        return True
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(_matches(expected[k], actual[k]) for k in expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_matches(e, a) for e, a in zip(expected, actual))
    return expected == actual


async def test_the_exchange_in_the_demo_docs(demo: DemoServer) -> None:
    frames = _documented_frames()
    assert [direction for direction, _ in frames] == ["→", "←", "←", "→", "←", "→", "←", "→", "←", "←"]
    _, alice_cookie = log_in(demo, *dev.DEMO_USERS[0])
    _, bob_cookie = log_in(demo, *dev.DEMO_USERS[1])
    url, origin = f"{demo.ws_url}/ws/chat/", demo.origin
    async with (
        connect(url, origin=origin, additional_headers={"Cookie": alice_cookie}) as alice,
        connect(url, origin=origin, additional_headers={"Cookie": bob_cookie}) as bob,
    ):
        pk = (await call(alice, "create", 1, data={"name": "docs exchange"}))["data"]["pk"]
        assert (await call(alice, "join_room", 2, pk=pk))["response_status"] == 200
        for direction, message in frames:
            if direction == "→":
                await bob.send(json.dumps({**message, "pk": pk} if "pk" in message else message))
            else:
                received = json.loads(await asyncio.wait_for(bob.recv(), 5))
                assert _matches(message, received), (message, received)


async def test_only_the_host_renames_or_deletes_and_messages_stay_in_their_room(demo: DemoServer) -> None:
    _, alice_cookie = log_in(demo, *dev.DEMO_USERS[0])
    _, bob_cookie = log_in(demo, *dev.DEMO_USERS[1])
    url, origin = f"{demo.ws_url}/ws/chat/", demo.origin
    async with (
        connect(url, origin=origin, additional_headers={"Cookie": alice_cookie}) as alice,
        connect(url, origin=origin, additional_headers={"Cookie": bob_cookie}) as bob,
    ):
        red = (await call(alice, "create", 1, data={"name": "red"}))["data"]["pk"]
        blue = (await call(bob, "create", 1, data={"name": "blue"}))["data"]["pk"]
        assert (await call(bob, "join_room", 2, pk=red))["response_status"] == 200
        assert json.loads(await bob.recv())["action"] == "present"
        assert (await call(bob, "subscribe_instance", 3, pk=red))["response_status"] == 201
        refused = [await call(bob, "patch", 4, pk=red, data={"name": "mine"}), await call(bob, "delete", 5, pk=red)]
        # alice posts in blue (she joins it as a member first): bob, in red, must not hear of it
        assert (await call(alice, "join_room", 2, pk=blue))["response_status"] == 200
        assert json.loads(await alice.recv())["action"] == "present"
        assert (await call(alice, "become_member", 3))["response_status"] == 200
        assert (await call(alice, "post_message", 4, text="only for blue"))["response_status"] == 201
        assert json.loads(await alice.recv())["action"] == "message"
        deleted = await call(alice, "delete", 5, pk=red)
        events = [json.loads(await asyncio.wait_for(bob.recv(), 5)) for _ in range(2)]
    assert [(reply["errors"], reply["response_status"]) for reply in refused] == [
        (["You do not have permission to perform this action."], 403),
        (["You do not have permission to perform this action."], 403),
    ]
    assert deleted == {"errors": [], "data": None, "action": "delete", "response_status": 204, "request_id": 5}
    # what bob hears next is red's deletion (which also ends his presence there): nothing from blue
    assert sorted(events, key=lambda event: event["action"]) == [
        {"errors": [], "data": {"pk": red}, "action": "delete", "response_status": 204, "request_id": 3},
        {"errors": [], "data": [], "action": "present", "response_status": 200, "request_id": 2},
    ]


@pytest.mark.parametrize(("args", "port"), [([], dev.DEMO_PORT), (["--port", "8123"], 8123), (["--port=9001"], 9001)])
def test_demo_port_option(args, port):
    assert dev.demo_port(args) == port


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "http"], "dev.py demo: --port wants a port number, got 'http'"),
        (["--port=70000"], "dev.py demo: --port wants a port number, got '70000'"),
        (["--workers", "2"], "dev.py demo: unknown arguments '--workers 2' (only --port N)"),
    ],
)
def test_demo_rejects_bad_arguments(args, message):
    with pytest.raises(SystemExit) as raised:
        dev.demo_port(args)
    assert str(raised.value) == message


async def test_the_room_list_is_a_live_list(demo: DemoServer) -> None:
    _, alice_cookie = log_in(demo, *dev.DEMO_USERS[0])
    _, bob_cookie = log_in(demo, *dev.DEMO_USERS[1])
    url, origin = f"{demo.ws_url}/ws/chat/", demo.origin
    async with (
        connect(url, origin=origin, additional_headers={"Cookie": alice_cookie}) as alice,
        connect(url, origin=origin, additional_headers={"Cookie": bob_cookie}) as bob,
    ):
        listed = await call(alice, "list", 1)
        assert await call(alice, "subscribe_list", 2) == {**listed, "action": "subscribe_list", "request_id": 2}
        # Each event shows the room as it is when evaluated: wait for one before the next change.
        created = (await call(bob, "create", 1, data={"name": "live list"}))["data"]
        events = [json.loads(await asyncio.wait_for(alice.recv(), 5))]
        renamed = (await call(bob, "patch", 2, pk=created["pk"], data={"name": "live list (renamed)"}))["data"]
        events.append(json.loads(await asyncio.wait_for(alice.recv(), 5)))
        assert (await call(bob, "delete", 3, pk=created["pk"]))["response_status"] == 204
        events.append(json.loads(await asyncio.wait_for(alice.recv(), 5)))
    assert events == [
        {"errors": [], "data": created, "action": "create", "response_status": 200, "request_id": 2},
        {"errors": [], "data": renamed, "action": "update", "response_status": 200, "request_id": 2},
        {"errors": [], "data": {"pk": created["pk"]}, "action": "delete", "response_status": 204, "request_id": 2},
    ]
