#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.10+ and a clone.

    python3 dev.py demo [--port N] # serve the demo at http://127.0.0.1:8000/ (or port N)
    python3 dev.py test [ARGS]     # run the test suite (ARGS go to pytest)
    python3 dev.py lint            # ruff, mypy and the documentation build
    python3 dev.py ci              # test + lint; non-zero exit on any failure
    python3 dev.py matrix [ARGS]   # nox: build and check the wheel, run the suite on it at every
                                   # corner of the supported versions, and a DCRF 1.3 project on it

The first run creates ``.venv`` in the repository and installs the package in editable
mode with the extras a command needs.  Later runs reuse it and reinstall only when
``pyproject.toml`` changed (its hash is kept in ``.venv/dev-stamps.json``).
Only the standard library is used here, so this runs before anything is installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMPS = VENV / "dev-stamps.json"
EXAMPLE = ROOT / "example"
DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8000
#: (username, password) of the users the demo creates on its first run.
DEMO_USERS = (("alice", "alice-demo-pass"), ("bob", "bob-demo-pass"))


#: The browser tests drive Debian's Chromium here (Playwright never downloads a browser).
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_TESTS = ("tests/demo/test_demo_browser.py", "tests/features/test_browsable_streams_browser.py")


class StepFailed(Exception):
    """A command exited non-zero; the message says which."""


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def run(args: Sequence[str | os.PathLike[str]], *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    """Run a command, echoing it; raise :class:`StepFailed` when it fails."""
    shown = " ".join(str(arg) for arg in args)
    say(f"$ {shown}")
    try:
        subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, check=True)
    except subprocess.CalledProcessError as exc:
        raise StepFailed(f"`{shown}` exited with status {exc.returncode}") from None
    except FileNotFoundError as exc:
        raise StepFailed(f"`{shown}` could not start: {exc}") from None


def pyproject_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def read_stamps() -> dict[str, str]:
    try:
        stamps = json.loads(STAMPS.read_text())
    except (OSError, ValueError):
        return {}
    return stamps if isinstance(stamps, dict) else {}


def ensure_env(*extras: str) -> Path:
    """Create ``.venv`` if needed and install the package with ``extras``; return the venv's python."""
    python = venv_python()
    if not python.exists():
        say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
        run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    key = ",".join(sorted(extras))
    stamps = read_stamps()
    wanted = pyproject_hash()
    if stamps.get(key) == wanted:
        return python
    say(f"installing the package with extras [{key}] (pyproject.toml is new or changed)")
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f".[{key}]"])
    stamps[key] = wanted
    STAMPS.write_text(json.dumps(stamps, indent=2, sort_keys=True) + "\n")
    return python


# -- demo ------------------------------------------------------------------------------------------


def demo_env(db_path: str | None = None) -> dict[str, str]:
    """Environment for the demo's manage.py; ``db_path`` points it at another SQLite file."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["DJANGO_SETTINGS_MODULE"] = "demo_project.settings"  # not an inherited one (pytest sets its own)
    if db_path is not None:
        env["DEMO_DB_PATH"] = db_path
    return env


def demo_prepare_commands(python: str | os.PathLike[str]) -> list[list[str]]:
    """The commands that make the demo database ready: migrations, then the demo users."""
    manage = str(EXAMPLE / "manage.py")
    return [
        [str(python), manage, "migrate", "--noinput", "-v", "0"],
        [str(python), manage, "demo_users", *(f"{name}:{password}" for name, password in DEMO_USERS)],
    ]


def demo_serve_command(python: str | os.PathLike[str], host: str = DEMO_HOST, port: int = DEMO_PORT) -> list[str]:
    """The command that serves the demo: Django's runserver, which Daphne (in INSTALLED_APPS) makes ASGI."""
    return [str(python), str(EXAMPLE / "manage.py"), "runserver", f"{host}:{port}"]


def demo_port(args: list[str]) -> int:
    """The port from ``--port N`` (or ``--port=N``), else the default."""
    for index, arg in enumerate(args):
        value = arg.split("=", 1)[1] if arg.startswith("--port=") else None
        if arg == "--port" and index + 1 < len(args):
            value = args[index + 1]
        if value is not None:
            if not value.isdigit() or not 0 < int(value) < 65536:
                raise SystemExit(f"dev.py demo: --port wants a port number, got {value!r}")
            return int(value)
    if args:
        raise SystemExit(f"dev.py demo: unknown arguments {' '.join(args)!r} (only --port N)")
    return DEMO_PORT


def cmd_demo(args: list[str]) -> int:
    port = demo_port(args)
    python = ensure_env("demo")
    env = demo_env()
    for command in demo_prepare_commands(python):
        run(command, cwd=EXAMPLE, env=env)
    print()
    print(f"  Demo: http://{DEMO_HOST}:{port}/")
    print("  Logins: " + ", ".join(f"{name} / {password}" for name, password in DEMO_USERS))
    print("  Stop with Ctrl-C.")
    print(flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        run(demo_serve_command(python, port=port), cwd=EXAMPLE, env=env)
    return 0


# -- test, lint, ci --------------------------------------------------------------------------------


def ensure_chromium(chromium: Path = CHROMIUM) -> str | None:
    """Install Debian's chromium if it is missing and this machine allows it (root, or sudo without
    a password), as ``.ci/run`` does; return why it is still missing, or ``None`` when it is there."""
    if chromium.exists():
        return None
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        return "this machine has no apt-get (Debian's chromium package is what the tests use)"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") is not None:
        prefix = ["sudo", "-n"]  # never prompts: fails at once without password-less sudo
    else:
        return "installing it needs root or sudo"
    say(f"{chromium} is missing: installing Debian's chromium for the browser tests (as .ci/run does)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        run([*prefix, apt_get, "update", "-qq"], env=env)
        run([*prefix, apt_get, "install", "-y", "-qq", "chromium"], env=env)
    except StepFailed as exc:
        return f"installing it failed: {exc}"
    return None if chromium.exists() else f"apt-get installed chromium, but {chromium} is still missing"


def runs_browser_tests(args: list[str]) -> bool:
    """Whether pytest with ``args`` collects the browser tests: no test paths (the whole suite), or a
    path that is or holds one of them."""
    paths = [ROOT / arg.split("::")[0] for arg in args if not arg.startswith("-")]
    paths = [path for path in paths if path.exists()]
    if not paths:
        return True
    browser = [(ROOT / test).resolve() for test in BROWSER_TESTS]
    return any(test == path.resolve() or path.resolve() in test.parents for path in paths for test in browser)


def browser_test_args(args: list[str], missing: str | None) -> tuple[list[str], str | None]:
    """pytest arguments leaving out the browser tests when Chromium is ``missing`` (unless ``args``
    name one of them), and the note saying so."""
    if missing is None or any(arg.split("::")[0] in BROWSER_TESTS for arg in args):
        return [], None
    note = (
        f"SKIPPED the browser tests ({', '.join(BROWSER_TESTS)}): {CHROMIUM} is missing and {missing}. "
        "Install it (`sudo apt-get install chromium`) to run them."
    )
    return [f"--ignore={path}" for path in BROWSER_TESTS], note


def cmd_test(args: list[str]) -> int:
    python = ensure_env("test")
    ignore, note = browser_test_args(args, ensure_chromium() if runs_browser_tests(args) else None)
    if note:
        say(note)
    try:
        run([python, "-m", "pytest", *ignore, *args])
    finally:
        if note:
            say(note)
    return 0


LINT_STEPS = (
    ("ruff check", ["-m", "ruff", "check", "."]),
    ("ruff format", ["-m", "ruff", "format", "--check", "."]),
    ("mypy", ["-m", "mypy", "djangochannelsrestframework"]),
    # The import contracts of pyproject.toml ([tool.importlinter]): layers, a private engine, no circles.
    ("import contracts", ["-c", "import importlinter.cli as c; c.lint_imports_command()", "--no-cache"]),
    ("docs", ["-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", "docs/_build/html"]),
)


def run_steps(steps: Sequence[tuple[str, list[str | Path]]]) -> int:
    """Run every step even after a failure; print a summary; return 1 if any failed."""
    results: list[tuple[str, str, float]] = []
    for name, command in steps:
        started = time.monotonic()
        try:
            run(command)
            outcome = "ok"
        except StepFailed as exc:
            say(str(exc))
            outcome = "FAILED"
        results.append((name, outcome, time.monotonic() - started))
    print()
    say("summary:")
    for name, outcome, seconds in results:
        print(f"  {outcome:<7} {name} ({seconds:.1f}s)")
    return 0 if all(outcome == "ok" for _, outcome, _ in results) else 1


def cmd_lint(args: list[str]) -> int:
    python = ensure_env("lint", "docs")
    return run_steps([(name, [python, *command]) for name, command in LINT_STEPS])


def cmd_ci(args: list[str]) -> int:
    missing = ensure_chromium()
    if missing:  # CI runs them all: the browser tests then fail and say why
        say(f"{CHROMIUM} is missing and {missing}")
    test_python = ensure_env("test")
    lint_python = ensure_env("lint", "docs")
    steps: list[tuple[str, list[str | Path]]] = [("tests", [test_python, "-m", "pytest", *args])]
    steps += [(name, [lint_python, *command]) for name, command in LINT_STEPS]
    return run_steps(steps)


def cmd_matrix(args: list[str]) -> int:
    python = ensure_env("ci")
    run([python, "-m", "nox", "--noxfile", ROOT / "noxfile.py", *args])
    return 0


COMMANDS = {"demo": cmd_demo, "test": cmd_test, "lint": cmd_lint, "ci": cmd_ci, "matrix": cmd_matrix}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip())
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except StepFailed as exc:
        say(f"failed: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
