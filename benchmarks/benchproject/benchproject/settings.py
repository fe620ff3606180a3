"""Settings for the benchmark server: SQLite file database with persistent connections,
an in-memory channel layer large enough that bursts never hit its capacity, no debug."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "benchmark-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "bench",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # One database file per implementation (set by run.py), so runs never share state.
        "NAME": os.environ.get("BENCH_DB", str(BASE_DIR / "bench.sqlite3")),
        # Django's default (0) reconnects to SQLite on every database_sync_to_async call.
        "CONN_MAX_AGE": None,
    }
}

# BENCH_LAYER=stock: channels' InMemoryChannelLayer as shipped; otherwise the same layer sweeping
# expired entries once a second instead of on every call (bench/layers.py explains why).
_LAYERS = {"stock": "channels.layers.InMemoryChannelLayer", "sweeping": "bench.layers.SweepingInMemoryChannelLayer"}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": _LAYERS.get(os.environ.get("BENCH_LAYER", "sweeping"), _LAYERS["sweeping"]),
        # The default capacity (100 per channel) silently drops bursts; measure the framework, not the layer.
        "CONFIG": {"capacity": 1_000_000, "expiry": 120},
    }
}

if os.environ.get("BENCH_LAYER") == "redis":
    # redis_scaleout.py: several server processes and an updater process on one private Redis.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["BENCH_REDIS_URL"]], "capacity": 100_000, "expiry": 120},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ROOT_URLCONF = "benchproject.urls"
ASGI_APPLICATION = "benchproject.asgi.application"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
