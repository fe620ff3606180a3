"""Settings of the load test's processes: PostgreSQL, and a Redis channel layer under a prefix of the run."""

import os

from tests.support.settings_services import *  # noqa: F403
from tests.support.settings_services import REDIS_PREFIX

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [("127.0.0.1", int(os.environ.get("DCRF_LOAD_REDIS_PORT", "6379")))],
            "prefix": os.environ.get("DCRF_LOAD_PREFIX", REDIS_PREFIX + "-load"),
            "capacity": 1000,
            "group_expiry": int(os.environ.get("DCRF_LOAD_GROUP_EXPIRY", "86400")),
        },
    }
}
if os.environ.get("DCRF_LOAD_LOG_LEVEL"):  # the package's log lines on stderr (tests read them)
    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
        "loggers": {
            "djangochannelsrestframework": {"handlers": ["stderr"], "level": os.environ["DCRF_LOAD_LOG_LEVEL"]}
        },
    }
DJANGO_CHANNELS_REST_API = {
    "MAX_CONNECTIONS_PER_USER": None,
    "TRIM_MEMORY_AFTER_CLOSE": os.environ.get("DCRF_LOAD_TRIM_SETTING", "1") == "1",
}
