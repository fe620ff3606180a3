"""Settings for the multi-process observer tests: PostgreSQL and a Redis channel layer.

``DCRF_LAYER=pubsub`` selects ``RedisPubSubChannelLayer``; anything else ``RedisChannelLayer``.
"""

import hashlib
import os
from pathlib import Path

from tests.support.settings import *  # noqa: F403

#: Channel-layer key prefix per checkout, so two checkouts testing on one Redis never share groups.
REDIS_PREFIX = "dcrf-test-" + hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "test",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": 5432,
    }
}

REDIS_LAYERS = {
    "core": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [("127.0.0.1", 6379)], "prefix": REDIS_PREFIX},
    },
    "pubsub": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379"], "prefix": REDIS_PREFIX},
    },
}
CHANNEL_LAYERS = {"default": REDIS_LAYERS["pubsub" if os.environ.get("DCRF_LAYER") == "pubsub" else "core"]}
