"""``python3 dev.py test`` on a machine without Chromium: it installs Debian's chromium when it can
(as ``.ci/run`` does) and otherwise leaves the browser tests out, saying so before and after."""

from __future__ import annotations

from pathlib import Path

import pytest

import dev


def test_a_present_chromium_needs_nothing(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.touch()
    assert dev.ensure_chromium(chromium) is None


def test_without_apt_get_it_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no apt-get, no sudo
    reason = dev.ensure_chromium(tmp_path / "chromium")
    assert reason == "this machine has no apt-get (Debian's chromium package is what the tests use)"


def test_a_failed_install_is_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("apt-get", "sudo"):
        tool = tmp_path / name
        tool.write_text("#!/bin/sh\nexit 100\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    reason = dev.ensure_chromium(tmp_path / "chromium")
    assert reason is not None and reason.startswith("installing it failed: `")
    assert reason.endswith("update -qq` exited with status 100")


def test_the_browser_tests_are_left_out_and_the_note_names_them() -> None:
    ignore, note = dev.browser_test_args([], "installing it needs root or sudo")
    assert ignore == [
        "--ignore=tests/demo/test_demo_browser.py",
        "--ignore=tests/features/test_browsable_streams_browser.py",
    ]
    assert note == (
        "SKIPPED the browser tests (tests/demo/test_demo_browser.py, "
        "tests/features/test_browsable_streams_browser.py): "
        "/usr/bin/chromium is missing and installing it needs root or sudo. "
        "Install it (`sudo apt-get install chromium`) to run them."
    )
    assert dev.browser_test_args([], None) == ([], None)
    # Named on the command line, they run (and fail under CI=true, skip otherwise, saying why).
    assert dev.browser_test_args(["tests/demo/test_demo_browser.py::test_x"], "why") == ([], None)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], True),
        (["-q", "-x", "-p", "no:cacheprovider"], True),
        (["tests"], True),
        (["tests/demo/test_demo_browser.py"], True),
        (["tests/features/test_checks.py", "-q"], False),
        (["tests/features/test_checks.py::test_known_settings_pass"], False),
    ],
)
def test_only_runs_that_collect_the_browser_tests_install_chromium(args: list[str], expected: bool) -> None:
    assert dev.runs_browser_tests(args) is expected
