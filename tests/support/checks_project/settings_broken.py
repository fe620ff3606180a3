"""A project with each mistake the checks name (and no CHANNEL_LAYERS)."""

from .settings_clean import *  # noqa: F403

del CHANNEL_LAYERS  # noqa: F821
ASGI_APPLICATION = "tests.support.checks_project.asgi_broken.application"
DJANGO_CHANNELS_REST_API = {
    "MAX_MESAGE_SIZE": 65536,
    "DEFAULT_FILTER_BACKENDS": "rest_framework.filters.SearchFilter",
    "DEFAULT_PAGINATION_CLASS": "nowhere.Paginator",
}
