"""Sphinx configuration.  Build with ``python3 dev.py lint`` or
``sphinx-build -W --keep-going -b html docs docs/_build/html``."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# autodoc imports the package, and the package needs configured Django settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings")
import django  # noqa: E402

django.setup()

import djangochannelsrestframework  # noqa: E402

project = "djangochannelsrestframework"
author = "djangochannelsrestframework contributors"
copyright = "the djangochannelsrestframework contributors"  # noqa: A001
release = djangochannelsrestframework.__version__
version = release

extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Document what each module defines, not its __all__: DCRF modules keep DCRF 1.3's imported names
# (Any, Dict, json, ...) in __all__ so that `from module import *` gives what it gave.
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}

exclude_patterns = ["_build", "examples"]
templates_path: list[str] = []
html_theme = "furo"
html_title = f"djangochannelsrestframework {release}"
html_static_path: list[str] = []
pygments_style = "sphinx"
