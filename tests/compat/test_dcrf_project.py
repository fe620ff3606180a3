"""A project written for DCRF 1.3 (tests/support/projects/dcrf13_project) passes its own tests on our package.

Here it runs with this environment's versions; noxfile.py's ``dcrf_project`` sessions run it with the
project's own pins (channels 4.1.0), once on DCRF 1.3.0 from PyPI and once on our wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "support" / "projects" / "dcrf13_project"


def test_the_dcrf_projects_own_tests_pass(tmp_path: Path) -> None:
    project = tmp_path / "dcrf13_project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(project)  # the project only: our package comes from wherever it is installed
    result = subprocess.run(
        [sys.executable, "manage.py", "test", "-v", "2"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ran 9 tests" in result.stderr
    assert "\nOK" in result.stderr
