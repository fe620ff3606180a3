"""The clean project on PostgreSQL with Django's default ``CONN_MAX_AGE = 0``, serving instance
subscriptions and a live list: the checks warn (dcrf.W005)."""

from .settings_clean import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "test", "HOST": "127.0.0.1"}}
ASGI_APPLICATION = "tests.support.checks_project.asgi_live.application"
