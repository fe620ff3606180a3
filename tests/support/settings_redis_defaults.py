"""A server on the Redis channel layer configured as the docs configured it before redis-py 8: no
``socket_timeout``, so redis-py 8's 5 s default applies (tests/fault/test_redis_socket_timeout.py).

The SQLite file comes from ``DCRF_TEST_SQLITE``; the layer's key prefix is per run.
"""

import os

from tests.support.settings import *  # noqa: F403

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [("127.0.0.1", 6379)], "prefix": os.environ.get("DCRF_REDIS_PREFIX", "dcrf-defaults")},
    }
}
ASGI_APPLICATION = "tests.support.redis_defaults_app.application"
