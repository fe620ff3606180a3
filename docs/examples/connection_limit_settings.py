# mysite/settings.py: several server processes behind a load balancer, sharing one Redis

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:6379", "socket_timeout": 30}], "prefix": "mysite"},
    }
}

DJANGO_CHANNELS_REST_API = {
    # Two open sockets per signed-in user, whichever processes they reach.
    "MAX_CONNECTIONS_PER_USER": 2,
    # The default: counted in the channel layer's Redis, since it is a channels_redis layer.
    "CONNECTION_COUNTER": "auto",
    # A crashed process's sockets stop counting within a minute.
    "CONNECTION_COUNT_TTL": 60.0,
}
