"""Settings for tests/docs/test_docs_serving.py: the test settings with docs/examples/serving_settings.py's
serving parts (daphne first in INSTALLED_APPS, the docs' ASGI application, named allowed hosts).

The example file is read by path: importing the ``docs.examples`` package needs configured settings
(it aliases ``myapp.consumers``), which do not exist yet while this module is being loaded.
"""

import runpy
from pathlib import Path

from tests.support.settings import *  # noqa: F403
from tests.support.settings import INSTALLED_APPS

_SERVING = runpy.run_path(str(Path(__file__).resolve().parents[2] / "docs" / "examples" / "serving_settings.py"))

INSTALLED_APPS = ["daphne", *INSTALLED_APPS]
ASGI_APPLICATION = "docs.examples.asgi.application"
ALLOWED_HOSTS = _SERVING["ALLOWED_HOSTS"]
