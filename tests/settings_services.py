"""Settings for the multi-process observer tests: PostgreSQL and a Redis channel layer.

``DCRF_LAYER=pubsub`` selects ``RedisPubSubChannelLayer``; anything else ``RedisChannelLayer``.
"""

import os

from tests.settings import *  # noqa: F403

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
    "core": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [("127.0.0.1", 6379)]}},
    "pubsub": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379"]},
    },
}
CHANNEL_LAYERS = {"default": REDIS_LAYERS["pubsub" if os.environ.get("DCRF_LAYER") == "pubsub" else "core"]}
