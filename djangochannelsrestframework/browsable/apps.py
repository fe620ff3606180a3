"""App config of the browsable websocket API."""

from django.apps import AppConfig


class BrowsableAPIConfig(AppConfig):
    """Registers the page's template, and the library's system checks (as the main app does)."""

    name = "djangochannelsrestframework.browsable"
    label = "dcrf_browsable"
    verbose_name = "Browsable websocket API"

    def ready(self) -> None:
        from ..checks import register

        register()


__all__ = [
    "BrowsableAPIConfig",
]
