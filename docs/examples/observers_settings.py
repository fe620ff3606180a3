# settings.py of every process that serves websockets or writes to observed models.

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [("127.0.0.1", 6379)],
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
