"""The browsable API page in Chromium with a demultiplexer: each stream is a route, a message goes
out in its stream's envelope, and replies and errors show with their stream.  Screenshots go to
``test-output/browser/streams/``.  Chromium must be at /usr/bin/chromium (``.ci/run`` installs it)."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, expect, sync_playwright

from tests.support.live_server import serve
from tests.support.services import required

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "browser" / "streams"

pytestmark = [pytest.mark.timeout(120), pytest.mark.django_db(transaction=True)]


def in_chromium(steps: Callable[[Browser], None]) -> None:
    """Run ``steps`` with a browser, in a thread of its own: Playwright's sync API runs an event
    loop, which must not be the one the test's database fixtures see."""
    if not os.path.exists(CHROMIUM):
        required(f"{CHROMIUM} is missing (apt-get install chromium)")

    def run() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                steps(browser)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()


@override_settings(DEBUG=True, ASGI_APPLICATION="tests.support.browsable_streams_app.application")
def test_streams_on_the_browsable_page() -> None:
    from tests.support.browsable_streams_app import application

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serve(application) as ws_base:
        in_chromium(lambda browser: check_page(browser, ws_base))


def check_page(browser: Browser, ws_base: str) -> None:
    page = browser.new_page()
    page.goto(ws_base.replace("ws://", "http://") + "/ws-api/")
    routes = page.locator(".route")
    expect(routes).to_have_count(2)
    expect(routes.nth(0)).to_contain_text("/ws/stream items")
    expect(routes.nth(1)).to_contain_text("/ws/stream account")

    page.locator("#actions button[data-action=list]").click()
    assert page.locator("#message").input_value() == (
        '{\n  "stream": "items",\n  "payload": {\n    "action": "list",\n    "request_id": 1\n  }\n}'
    )
    page.locator("#connect").click()
    expect(page.locator("#status")).to_contain_text("connected to ws://")
    page.locator("#send").click()
    reply = page.locator(".entry.reply")
    expect(reply).to_have_count(1)
    expect(reply.locator("header")).to_contain_text("stream items · reply to request 1 · status 200")
    expect(reply.locator("pre")).to_contain_text('"stream": "items"')
    page.screenshot(path=str(SCREENSHOTS / "1-items-list.png"))

    routes.nth(1).click()
    page.locator("#actions button[data-action=whoami]").click()
    page.locator("#send").click()
    error = page.locator(".entry.error")
    expect(error).to_have_count(1)
    expect(error.locator("header")).to_contain_text("stream account · reply to request 2 · status 403")
    page.screenshot(path=str(SCREENSHOTS / "2-account-denied.png"))
    page.close()
