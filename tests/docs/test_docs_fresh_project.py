"""Every example the docs show runs when copied into a fresh project, on the built wheel.

The examples import your app's modules relatively (``from .models import Item``); none imports this
repository's ``tests.`` or ``docs.`` packages.  The second test builds the wheel with the command
README and the install page give, copies every example into the app ``myapp`` of a new project whose
``models.py`` is written here and, in a process where this checkout is not importable (the package
comes from the wheel), imports each one and runs ``manage.py check``.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
#: Stand-ins for your app's models (the suite's models are used in this repository).
STAND_INS = {"models.py", "todolist/models.py"}


def example_files() -> list[Path]:
    return [
        path
        for path in sorted(EXAMPLES.rglob("*.py"))
        if path.name != "__init__.py" and path.relative_to(EXAMPLES).as_posix() not in STAND_INS
    ]


def imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_docs_example_imports_the_repositorys_tests_or_docs() -> None:
    found = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in example_files()
        for name in imported_modules(path)
        if name.split(".")[0] in {"tests", "docs"}
    }
    pages = "\n".join(page.read_text() for page in (ROOT / "docs").glob("*.rst"))
    found |= set(re.findall(r"^\s*(?:from|import) (?:tests|docs)\.\S+", pages, re.MULTILINE))
    found |= set(re.findall(r"^\s*(?:from|import) (?:tests|docs)\.\S+", (ROOT / "README.md").read_text(), re.MULTILINE))
    assert not found


SETTINGS = """
SECRET_KEY = "fresh-project"
DEBUG = True
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "channels",
    "myapp",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "mysite.urls"
ASGI_APPLICATION = "mysite.asgi.application"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
USE_TZ = True
"""

# Your app's models: what the examples use.
MODELS = """
from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=100)
    value = models.IntegerField(default=0)


class Comment(models.Model):
    text = models.TextField()
    user = models.ForeignKey("auth.User", related_name="comments", on_delete=models.CASCADE)
    date = models.DateTimeField(auto_now_add=True)


class QuestionQuerySet(models.QuerySet):
    def build_report(self):
        return {"questions": self.count(), "published": self.filter(published=True).count()}


class Question(models.Model):
    question_text = models.CharField(max_length=200)
    published = models.BooleanField(default=False)
    objects = QuestionQuerySet.as_manager()

    def publish(self):
        self.published = True
        self.save()
        return {"id": self.pk, "published": True}
"""

TODOLIST_MODELS = """
from django.db import models


class List(models.Model):
    name = models.CharField(max_length=64)


class Task(models.Model):
    text = models.CharField(max_length=140)
    done = models.BooleanField(default=False)
    list = models.ForeignKey("List", on_delete=models.CASCADE)
"""

PROBE = """
import importlib, os, sys
import django
django.setup()
assert importlib.util.find_spec("tests") is None and importlib.util.find_spec("docs") is None
import djangochannelsrestframework
assert djangochannelsrestframework.__file__.startswith(os.environ["WHEEL_TARGET"]), djangochannelsrestframework.__file__
from django.core.management import call_command
for name in sys.argv[1:]:
    importlib.import_module(name)
call_command("check", fail_level="ERROR")
print("imported", len(sys.argv) - 1)
"""


def install_the_wheel(tmp_path: Path) -> Path | None:
    """Build the wheel as README says and install it (without dependencies) into a directory; ``None``
    where the suite runs on an installed wheel already, without the package's sources (nox)."""
    command = "python3 -m pip wheel --no-deps --wheel-dir dist ."
    assert command in (ROOT / "README.md").read_text()
    if not (ROOT / "djangochannelsrestframework").is_dir():
        return None
    dist, target = tmp_path / "dist", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", dist, "-q", "."], cwd=ROOT, check=True, timeout=600)
    (wheel,) = dist.glob("djangochannelsrestframework-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", target, "-q", wheel], check=True, timeout=600)
    return target


def test_every_example_runs_copied_into_a_fresh_project(tmp_path: Path) -> None:
    target = install_the_wheel(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    tmp_path = project
    app = tmp_path / "myapp"
    (app / "todolist").mkdir(parents=True)
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    (tmp_path / "mysite" / "settings.py").write_text(SETTINGS)
    (tmp_path / "mysite" / "urls.py").write_text("urlpatterns = []\n")
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(MODELS)
    (app / "todolist" / "__init__.py").write_text("")
    (app / "todolist" / "models.py").write_text(TODOLIST_MODELS)
    modules = []
    for path in example_files():
        relative = path.relative_to(EXAMPLES)
        shutil.copy(path, app / relative)
        modules.append("myapp." + ".".join(relative.with_suffix("").parts))
    # asgi.py imports the quickstart as myapp.consumers, as the index page names it.
    shutil.copy(EXAMPLES / "quickstart.py", app / "consumers.py")
    shutil.copy(EXAMPLES / "asgi.py", tmp_path / "mysite" / "asgi.py")
    modules.append("mysite.asgi")

    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    # The wheel's package comes first on the path, before the checkout's editable install.
    env.update(
        DJANGO_SETTINGS_MODULE="mysite.settings",
        PYTHONPATH=os.pathsep.join([str(tmp_path), *([str(target)] if target else [])]),
        # Without a wheel built here, the installed one (nox) is what runs: anything but the checkout.
        WHEEL_TARGET=str(target) if target else str(Path(sysconfig.get_paths()["purelib"]).parent),
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *modules], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"imported {len(modules)}"
