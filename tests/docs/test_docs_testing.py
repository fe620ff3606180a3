"""docs/testing.rst: the project it builds (tests/support/projects/testing_project) passes its tests, run as its user
would run them (its own settings and pytest.ini, in a process of its own), with pytest and with
Django's test runner; and the page shows that project's files, not copies of them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "tests" / "support" / "projects" / "testing_project"
PAGE = ROOT / "docs" / "testing.rst"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # The suite's own settings must not leak into the project's process.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    return subprocess.run([sys.executable, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)


def test_the_project_passes_its_tests_with_pytest() -> None:
    done = run("-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^7 passed in ", done.stdout, re.MULTILINE), done.stdout


def test_the_project_passes_its_tests_with_manage_py_test() -> None:
    done = run("manage.py", "test", "notes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ran 1 test in " in done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_the_page_shows_the_projects_files() -> None:
    page = PAGE.read_text()
    shown = set(re.findall(r"literalinclude:: \.\./tests/support/projects/testing_project/(\S+)", page))
    assert shown == {"pytest.ini", "notes/models.py", "notes/consumers.py", "mysite/asgi.py", "notes/tests.py"}
    settings = (PROJECT / "mysite" / "settings.py").read_text()
    for line in (
        '"djangochannelsrestframework",',
        'ASGI_APPLICATION = "mysite.asgi.application"',
        'CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}',
    ):
        assert line in settings and line in page


def test_the_settings_excerpt_keeps_startprojects_admin_working(tmp_path: Path) -> None:
    """A new ``startproject`` with the page's settings excerpt added passes ``manage.py check``,
    and its ``admin/`` route still resolves."""
    page = PAGE.read_text()
    block = page[page.index(":caption: mysite/settings.py (excerpt)") :]
    excerpt = textwrap.dedent(block[: block.index("\nTell pytest")].split("\n", 2)[2])
    assert 'INSTALLED_APPS = [\n    "django.contrib.admin",' in excerpt
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    python = [sys.executable, "-m", "django"]
    subprocess.run([*python, "startproject", "mysite", "."], cwd=tmp_path, env=env, check=True, timeout=120)
    subprocess.run([*python, "startapp", "notes"], cwd=tmp_path, env=env, check=True, timeout=120)
    with (tmp_path / "mysite" / "settings.py").open("a") as settings:
        settings.write("\n" + excerpt)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "System check identified no issues (0 silenced).\n"
    resolved = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from django.urls import reverse; print(reverse('admin:index'))"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resolved.stdout.splitlines()[-1:] == ["/admin/"], resolved.stdout + resolved.stderr
