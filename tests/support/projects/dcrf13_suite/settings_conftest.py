"""Django settings for DCRF 1.3.0's test modules (copied into their folder as ``tests/conftest.py``)."""

from __future__ import annotations

from django.conf import settings


def pytest_configure() -> None:
    settings.configure(
        SECRET_KEY="dcrf-1.3.0-suite",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "channels",
            "tests",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
        USE_TZ=True,
    )
