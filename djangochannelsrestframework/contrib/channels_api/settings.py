"""The ``CHANNELS_API`` settings dict of channels-api, read each time it is used (so overrides apply)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    #: Objects per page of ``list``.
    "DEFAULT_PAGE_SIZE": 25,
    #: Permission classes (or their dotted paths) of bindings that set no ``permission_classes``.
    "DEFAULT_PERMISSION_CLASSES": ("djangochannelsrestframework.contrib.channels_api.permissions.AllowAny",),
}

#: channels-api's module paths, as settings written for it name them, and where they live now.
_OLD_PREFIX = "channels_api."
_NEW_PREFIX = "djangochannelsrestframework.contrib.channels_api."


def channels_api_setting(name: str) -> Any:
    """One ``CHANNELS_API`` setting, or its default."""
    user_settings = getattr(settings, "CHANNELS_API", None) or {}
    return user_settings.get(name, DEFAULTS[name])


def import_class(path_or_class: Any) -> Any:
    """A class named by a dotted path (channels-api's own paths resolve to this package)."""
    if not isinstance(path_or_class, str):
        return path_or_class
    if path_or_class.startswith(_OLD_PREFIX):
        path_or_class = _NEW_PREFIX + path_or_class[len(_OLD_PREFIX) :]
    return import_string(path_or_class)
