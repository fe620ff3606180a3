"""App config of the browsable websocket API."""

from django.apps import AppConfig


class BrowsableAPIConfig(AppConfig):
    """Registers the page's template."""

    name = "djangochannelsrestframework.browsable"
    label = "dcrf_browsable"
    verbose_name = "Browsable websocket API"
