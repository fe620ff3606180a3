"""The Django app of the django-rest-live compatibility layer (``INSTALLED_APPS`` entry)."""

from django.apps import AppConfig


class RestLiveConfig(AppConfig):
    """Nothing to set up at start: observers connect when views are registered or serializers decorated."""

    name = "djangochannelsrestframework.contrib.rest_live"
    label = "dcrf_rest_live"
    verbose_name = "django-rest-live compatibility"


__all__ = [
    "RestLiveConfig",
]
