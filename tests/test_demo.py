"""The demo project, served exactly as ``python3 dev.py demo`` serves it, on a free port and a throw-away database."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
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
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"demo server did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    workdir = tmp_path_factory.mktemp("demo")
    env = dev.demo_env(db_path=str(workdir / "db.sqlite3"))
    for command in dev.demo_prepare_commands(sys.executable):
        done = subprocess.run(command, cwd=dev.EXAMPLE, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}{done.stderr}"
    port = free_port()
    log = workdir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            dev.demo_serve_command(sys.executable, port=port),
            cwd=dev.EXAMPLE,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", process, log)
        yield DemoServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}")
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


def test_page_opens_the_echo_websocket(demo: DemoServer) -> None:
    with urllib.request.urlopen(f"{demo.http_url}/", timeout=10) as response:
        page = response.read().decode()
    assert response.status == 200
    assert "<title>djangochannelsrestframework demo</title>" in page
    assert '"/ws/echo/"' in page
    assert "Not logged in." in page


async def test_echo_replies_over_a_real_websocket(demo: DemoServer) -> None:
    async with connect(f"{demo.ws_url}/ws/echo/", origin=demo.origin) as ws:
        await ws.send(json.dumps({"action": "echo", "message": "hello", "request_id": 1}))
        reply = await ws.recv()
    assert reply == ('{"errors":[],"data":{"message":"hello"},"action":"echo","response_status":200,"request_id":1}')


async def test_whoami_refuses_anonymous_users(demo: DemoServer) -> None:
    async with connect(f"{demo.ws_url}/ws/echo/", origin=demo.origin) as ws:
        await ws.send(json.dumps({"action": "whoami", "request_id": 2}))
        reply = json.loads(await ws.recv())
    assert reply == {
        "errors": ["You do not have permission to perform this action."],
        "data": None,
        "action": "whoami",
        "response_status": 403,
        "request_id": 2,
    }


async def test_bad_input_gets_an_error_reply_and_the_socket_stays_open(demo: DemoServer) -> None:
    async with connect(f"{demo.ws_url}/ws/echo/", origin=demo.origin) as ws:
        await ws.send(json.dumps({"action": "echo", "request_id": 3}))
        error = json.loads(await ws.recv())
        await ws.send(json.dumps({"action": "echo", "message": "still here"}))
        reply = json.loads(await ws.recv())
    assert error["errors"] == [{"message": ["This argument is required."]}]
    assert error["response_status"] == 400
    assert reply["data"] == {"message": "still here"}


async def test_logged_in_user_is_seen_by_the_websocket(demo: DemoServer) -> None:
    page, cookie = log_in(demo, *dev.DEMO_USERS[0])
    assert '<strong id="username">alice</strong>' in page
    async with connect(f"{demo.ws_url}/ws/echo/", origin=demo.origin, additional_headers={"Cookie": cookie}) as ws:
        await ws.send(json.dumps({"action": "whoami"}))
        reply = json.loads(await ws.recv())
    assert reply["data"] == {"id": 1, "username": "alice"}
    assert reply["response_status"] == 200


async def test_websocket_from_a_foreign_origin_is_refused(demo: DemoServer) -> None:
    with pytest.raises(Exception, match="403"):
        async with connect(f"{demo.ws_url}/ws/echo/", origin="http://evil.example"):
            pass
