"""Django settings for the test suite (SQLite, in-memory channel layer unless a test says otherwise)."""

import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
    "channels",
    "djangochannelsrestframework",
    "djangochannelsrestframework.browsable",
    "tests.support.app",
    "tests.support.polls",
    "djangochannelsrestframework.contrib.rest_live",
    "tests.support.todolist",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DCRF_TEST_SQLITE", ":memory:"),
        "TEST": {"NAME": os.environ.get("DCRF_TEST_SQLITE_TEST")},
    },
    # A second database, for tests of changes made with ``using``.
    "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
ASGI_APPLICATION = "tests.support.asgi.application"
ROOT_URLCONF = "tests.support.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "DIRS": []}]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"djangochannelsrestframework": {"handlers": ["null"], "propagate": True}},
}
