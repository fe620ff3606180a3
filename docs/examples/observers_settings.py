# settings.py of every process that serves websockets or writes to observed models.

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # socket_timeout: redis-py 8 defaults to 5 s, which tears down plain channels
            # consumers on a quiet socket (see "redis-py 8 and socket_timeout" in scaling.rst).
            "hosts": [{"address": "redis://127.0.0.1:6379", "socket_timeout": 30}],
            # How long an undelivered message waits in Redis, and how many may queue per channel.
            "expiry": 60,
            "capacity": 1000,
        },
    },
}

# The alternative backend: Redis Pub/Sub, no per-channel queue, lower latency.
PUBSUB_CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"]},
    },
}
