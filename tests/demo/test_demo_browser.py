"""The demo in a real browser (Debian's Chromium driven by Playwright): two users chat live, and
the browsable API page sends an action and shows an event.

Runs once on the default demo (SQLite, in-memory layer, Daphne's runserver, one process) and once
on PostgreSQL + Redis with two uvicorn processes, alice on one and bob on the other.  Screenshots
of every step go to ``test-output/browser/<variant>/``.  Chromium must be at /usr/bin/chromium
(``.ci/run`` installs it); the browser is never downloaded.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

import dev
from tests.demo.test_demo import DemoServer, free_port, prepare_database, start_server, stop
from tests.support.services import require, required

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "browser"
#: Per checkout, so two checkouts running this test on one server never drop each other's database.
DEMO_DATABASE = "dcrf_demo_test_" + hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
#: A Redis database of its own, so other tests' groups never meet the demo's.
DEMO_REDIS_URL = "redis://127.0.0.1:6379/7"
LIVE = 2_000  # ms: how soon a change must show in the other browser

pytestmark = pytest.mark.timeout(240)


@dataclass
class Demo:
    name: str
    alice: DemoServer  # the server alice's browser talks to
    bob: DemoServer  # bob's (another process in the PostgreSQL + Redis variant)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        required(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _sqlite_demo(workdir: Path) -> Iterator[Demo]:
    env = dev.demo_env(db_path=str(workdir / "db.sqlite3"))
    prepare_database(env)
    port = free_port()
    process = start_server(dev.demo_serve_command(sys.executable, port=port), env, workdir / "server.log", port)
    try:
        server = DemoServer.on_port(port)
        yield Demo("sqlite", server, server)
    finally:
        stop(process)


def _recreate_database(drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DEMO_DATABASE} WITH (FORCE)")
        if not drop_only:
            connection.execute(f"CREATE DATABASE {DEMO_DATABASE}")


def _postgres_redis_demo(workdir: Path) -> Iterator[Demo]:
    require("Redis", "PostgreSQL")
    import redis

    redis.Redis.from_url(DEMO_REDIS_URL).flushdb()
    _recreate_database()
    env = dev.demo_env()
    env["DEMO_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DEMO_DATABASE}"
    env["DEMO_REDIS_URL"] = DEMO_REDIS_URL
    processes = []
    try:
        prepare_database(env)
        ports = [free_port(), free_port()]
        while ports[0] == ports[1]:
            ports[1] = free_port()
        for index, port in enumerate(ports):
            command = [sys.executable, "-m", "uvicorn", "--app-dir", str(dev.EXAMPLE), "--host", "127.0.0.1"]
            command += ["--port", str(port), "demo_project.asgi:application"]
            processes.append(start_server(command, env, workdir / f"server{index}.log", port))
        yield Demo("postgres-redis", DemoServer.on_port(ports[0]), DemoServer.on_port(ports[1]))
    finally:
        for process in processes:
            stop(process)
        _recreate_database(drop_only=True)


@pytest.fixture(params=["sqlite", "postgres-redis"])
def demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Demo]:
    factory = _sqlite_demo if request.param == "sqlite" else _postgres_redis_demo
    yield from factory(tmp_path)


class Steps:
    """Saves a numbered screenshot of every page of a step."""

    def __init__(self, variant: str) -> None:
        self.directory = SCREENSHOTS / variant
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        self.count = 0

    def shot(self, name: str, **pages: Page) -> None:
        self.count += 1
        for who, page in pages.items():
            page.screenshot(path=self.directory / f"{self.count:02d}-{name}-{who}.png")

    def side_by_side(self, name: str, browser: Browser, **pages: Page) -> None:
        """One picture of several pages next to each other, labelled (the README's screenshot)."""
        cells = []
        for who, page in pages.items():
            image = base64.b64encode(page.screenshot()).decode()
            cells.append(f'<figure><figcaption>{who}</figcaption><img src="data:image/png;base64,{image}"></figure>')
        style = (
            "body{margin:0;display:flex;gap:12px;padding:12px;background:#e6e9ed;font:600 15px system-ui}"
            "figure{margin:0}img{display:block;width:600px;border:1px solid #c0c6cc;border-radius:6px}"
            "figcaption{margin:0 0 6px 2px}"
        )
        canvas = browser.new_page(viewport={"width": 100, "height": 100})
        canvas.set_content(f"<style>{style}</style>{''.join(cells)}")
        canvas.screenshot(path=self.directory / f"{name}.png", full_page=True)
        canvas.close()


def log_in(browser: Browser, server: DemoServer, username: str, password: str) -> Page:
    page = browser.new_context(viewport={"width": 1000, "height": 700}).new_page()
    page.goto(f"{server.http_url}/")
    expect(page).to_have_url(f"{server.http_url}/accounts/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login")
    expect(page.locator("#username")).to_have_text(username)
    expect(page.locator("#status")).to_have_text("open")
    return page


def test_two_users_chat_live_and_the_api_page_shows_events(browser: Browser, demo: Demo) -> None:
    steps = Steps(demo.name)
    (alice_name, alice_password), (bob_name, bob_password) = dev.DEMO_USERS
    alice = log_in(browser, demo.alice, alice_name, alice_password)
    bob = log_in(browser, demo.bob, bob_name, bob_password)
    steps.shot("logged-in", alice=alice, bob=bob)

    # alice creates a room; bob's room list shows it without a reload
    alice.fill("#room-name", "Lobby")
    alice.click("#create")
    expect(alice.locator("#room-name")).to_have_text("Lobby")
    expect(alice.locator("#present li")).to_have_text([alice_name])
    expect(bob.locator("#rooms li a")).to_have_text(["Lobby"], timeout=LIVE)
    steps.shot("room-created", alice=alice, bob=bob)

    # bob joins: both see who is present
    bob.click("#rooms li a >> text=Lobby")
    expect(bob.locator("#present li")).to_have_text([alice_name, bob_name])
    expect(alice.locator("#present li")).to_have_text([alice_name, bob_name], timeout=LIVE)
    steps.shot("bob-joined", alice=alice, bob=bob)

    # bob is not a member yet: his message is refused and he sees why
    bob.fill("#text", "Can I post?")
    bob.click("#post")
    expect(bob.locator("#error")).to_have_text("Only members of this room can post; become a member first.")
    expect(alice.locator("#messages li")).to_have_count(0)
    steps.shot("non-member-refused", bob=bob)

    # as a member he posts; alice sees it within 2 s, and her reply reaches him
    bob.click("#become-member")
    expect(bob.locator("#members li")).to_have_text([alice_name, bob_name])
    expect(alice.locator("#members li")).to_have_text([alice_name, bob_name], timeout=LIVE)
    bob.fill("#text", "Hello from bob")
    bob.click("#post")
    expect(bob.locator("#error")).to_have_text("")
    expect(alice.locator("#messages li")).to_have_text([re.compile(r"^bobHello from bob")], timeout=LIVE)
    alice.fill("#text", "Hi bob!")
    alice.press("#text", "Enter")
    expect(bob.locator("#messages li")).to_have_text(
        [re.compile(r"^bobHello from bob"), re.compile(r"^aliceHi bob!")], timeout=LIVE
    )
    steps.shot("messages", alice=alice, bob=bob)
    steps.side_by_side("demo-side-by-side", browser, alice=alice, bob=bob)

    # only the host renames; the new name reaches bob's page live
    expect(bob.locator("#host-tools")).to_be_hidden()
    alice.fill("#new-name", "Lobby (renamed)")
    alice.click("#rename")
    expect(bob.locator("#room-name")).to_have_text("Lobby (renamed)", timeout=LIVE)
    steps.shot("renamed", alice=alice, bob=bob)

    # the browsable API page: `list` shows the reply
    expect(alice.locator("#api-link")).to_have_attribute("href", "/ws-api/")
    api = alice.context.new_page()  # a tab of its own: alice's room page stays open
    api.set_viewport_size({"width": 1400, "height": 800})
    api.goto(f"{demo.alice.http_url}/ws-api/")
    api.click(".route >> text=/ws/chat/")
    expect(api.locator("#url")).to_have_value(f"{demo.alice.ws_url}/ws/chat/")
    expect(api.locator("#actions")).to_contain_text("Post text to the joined room (members only).")
    expect(api.locator("#actions")).to_contain_text("message_activity")  # the observers are listed too
    api.click("#connect")
    expect(api.locator("#status")).to_have_text(f"connected to {demo.alice.ws_url}/ws/chat/")
    api.click("#actions button[data-action=list]")
    expect(api.locator("#message")).to_have_value(re.compile(r'"action": "list"'))
    api.click("#send")
    reply = api.locator(".entry.reply").first
    expect(reply.locator("header")).to_contain_text("reply to request 1")
    expect(reply.locator("pre")).to_contain_text('"name": "Lobby (renamed)"')
    steps.shot("api-list", api=api)

    # subscribe there, then a change made elsewhere (bob, on his server) arrives as an event
    api.fill("#message", '{"action": "subscribe_rooms", "request_id": 2}')
    api.click("#send")
    expect(api.locator(".entry.reply").first.locator("header")).to_contain_text("reply to request 2")

    # bob leaves the room: alice's list of present users drops him
    bob.click("text=← All rooms")
    expect(alice.locator("#present li")).to_have_text([alice_name], timeout=LIVE)
    steps.shot("bob-left", alice=alice)

    bob.fill("#room-name", "Garden")
    bob.click("#create")
    expect(bob.locator("#room-name")).to_have_text("Garden")
    event = api.locator(".entry.event").first
    expect(event.locator("header")).to_contain_text("event for request 2", timeout=LIVE)
    expect(event.locator("pre")).to_contain_text('"action": "create"')
    expect(event.locator("pre")).to_contain_text('"name": "Garden"')
    steps.shot("api-event", api=api)
