"""Create the two benchmark virtualenvs (``ours`` and ``dcrf``) with identical stack versions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENVS = HERE / ".venvs"

#: The stack shared by every implementation; pinned equal in both venvs.
STACK = [
    "Django==5.2.19",
    "channels==4.3.2",
    "djangorestframework==3.18.3",
    "asgiref==3.13.0",
    "uvicorn[standard]==0.54.0",
    "websockets==17.4",
    "channels_redis==4.3.0",  # redis_scaleout.py
]
DCRF = "djangochannelsrestframework==1.3.0"
#: django-rest-live 0.7 on the newest stack it runs on: it imports ``channels.http.AsgiRequest``,
#: which Channels 4 removed, so Channels 3.0.5 (the rest as in STACK).
REST_LIVE = [
    "django-rest-live==0.7.0",
    "Django==5.2.19",
    "channels==3.0.5",
    "djangorestframework==3.18.3",
    "asgiref==3.13.0",
]


def python(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def _pip(name: str, *args: str) -> None:
    cmd = [str(python(name)), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"pip install failed in venv {name}: {' '.join(args)}")


def ensure(name: str) -> Path:
    """Create venv ``name`` if it is missing (a marker file records a finished install)."""
    marker = VENVS / name / ".bench-ready"
    if marker.exists():
        return python(name)
    print(f"[setup] creating virtualenv {name} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENVS / name)], check=True)
    if name == "ours":
        # No [demo] extras: daphne pulls in cryptography, which channels_redis then imports,
        # and the DCRF venv would not have it (a 5.7 MB base-memory difference of venvs, not code).
        _pip(name, "-e", str(REPO), *STACK, "py-spy")
    elif name == "dcrf":
        _pip(name, DCRF, *STACK)
    elif name == "rest_live":
        _pip(name, *REST_LIVE)
    else:
        raise ValueError(name)
    marker.write_text("ok\n")
    return python(name)


def versions(name: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {'python': sys.version.split()[0]}\n"
        "for p in ['djangochannelsrestframework', 'Django', 'channels', 'djangorestframework', 'asgiref',"
        " 'uvicorn', 'websockets', 'uvloop', 'orjson']:\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    import json

    return json.loads(
        # cwd "/": from the repository root, ``-c`` would see this checkout's metadata in every venv.
        subprocess.run([str(python(name)), "-c", code], check=True, capture_output=True, text=True, cwd="/").stdout
    )


if __name__ == "__main__":
    for venv in sys.argv[1:] or ["ours", "dcrf"]:
        ensure(venv)
        print(venv, versions(venv))
