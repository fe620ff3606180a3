# In your Django settings module:
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # propagate=False: Daphne and runserver also log the root logger, which would print every record twice.
        "djangochannelsrestframework": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
