"""Settings for the two-process throttling test: the throttle history in Redis (Django's RedisCache)."""

import os

from tests.support.settings import *  # noqa: F403

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        # One prefix per test run, given by the test: runs and checkouts never share a history.
        "KEY_PREFIX": os.environ.get("DCRF_THROTTLE_PREFIX", "dcrf-throttle-test"),
    }
}
