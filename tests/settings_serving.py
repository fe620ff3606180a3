"""Settings for tests/test_docs_serving.py: the test settings with docs/examples/serving_settings.py's
serving parts (daphne first in INSTALLED_APPS, the docs' ASGI application, named allowed hosts)."""

from docs.examples import serving_settings
from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = ["daphne", *INSTALLED_APPS]
ASGI_APPLICATION = "docs.examples.asgi.application"
ALLOWED_HOSTS = serving_settings.ALLOWED_HOSTS
