"""App config of the library: add ``"djangochannelsrestframework"`` to ``INSTALLED_APPS`` to have
``manage.py check`` (and ``runserver``) check its settings and your consumers."""

from django.apps import AppConfig


class DjangoChannelsRestFrameworkConfig(AppConfig):
    """Registers the system checks of :mod:`djangochannelsrestframework.checks`."""

    name = "djangochannelsrestframework"
    label = "djangochannelsrestframework"
    verbose_name = "Django Channels REST framework"

    def ready(self) -> None:
        from .checks import register

        register()


__all__ = [
    "DjangoChannelsRestFrameworkConfig",
]
