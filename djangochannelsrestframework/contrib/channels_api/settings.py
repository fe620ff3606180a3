"""The ``CHANNELS_API`` settings dict of channels-api, read each time it is used (so overrides apply).

``api_settings.DEFAULT_PAGE_SIZE`` reads one setting as channels-api's ``api_settings`` did;
:func:`channels_api_setting` is the same as a function.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

#: How bindings answer: as channels-api did, or as this package's consumers do.
CHANNELS_API_STYLE = "channels_api"
STANDARD_STYLE = "standard"

DEFAULTS: dict[str, Any] = {
    #: Objects per page of ``list``.
    "DEFAULT_PAGE_SIZE": 25,
    #: Permission classes (or their dotted paths) of bindings that set no ``permission_classes``.
    "DEFAULT_PERMISSION_CLASSES": ("djangochannelsrestframework.contrib.channels_api.permissions.AllowAny",),
    #: ``"channels_api"``: a denied action is 401 ``["Permission Denied"]``, an unknown one 400
    #: ``["Invalid Action"]``; ``"standard"``: 403 and 405 with DRF's messages.
    "ERROR_REPLIES": CHANNELS_API_STYLE,
    #: ``"channels_api"``: one ``{"action", "pk", "data", "model"}`` frame per change and socket;
    #: ``"standard"``: the reply envelope, once per subscribed ``request_id``.
    "SUBSCRIPTION_EVENTS": CHANNELS_API_STYLE,
}

#: Settings whose values are dotted paths to import.
IMPORT_STRINGS = ("DEFAULT_PERMISSION_CLASSES",)

#: Settings that choose between channels-api's behaviour and this package's.
STYLE_SETTINGS = ("ERROR_REPLIES", "SUBSCRIPTION_EVENTS")

#: channels-api's module paths, as settings written for it name them, and where they live now.
_OLD_PREFIX = "channels_api."
_NEW_PREFIX = "djangochannelsrestframework.contrib.channels_api."


def channels_api_setting(name: str) -> Any:
    """One ``CHANNELS_API`` setting, or its default."""
    user_settings = getattr(settings, "CHANNELS_API", None) or {}
    value = user_settings.get(name, DEFAULTS[name])
    if name in STYLE_SETTINGS and value not in (CHANNELS_API_STYLE, STANDARD_STYLE):
        raise ImproperlyConfigured(
            f'CHANNELS_API["{name}"] must be "{CHANNELS_API_STYLE}" or "{STANDARD_STYLE}", not {value!r}.'
        )
    return value


def import_class(path_or_class: Any) -> Any:
    """A class named by a dotted path (channels-api's own paths resolve to this package)."""
    if not isinstance(path_or_class, str):
        return path_or_class
    if path_or_class.startswith(_OLD_PREFIX):
        path_or_class = _NEW_PREFIX + path_or_class[len(_OLD_PREFIX) :]
    return import_string(path_or_class)


class APISettings:
    """channels-api's ``api_settings``: each attribute is the ``CHANNELS_API`` setting of that name
    (or its default), read when accessed; ``DEFAULT_PERMISSION_CLASSES`` comes as classes."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid CHANNELS_API setting: {name!r}")
        value = channels_api_setting(name)
        if name in IMPORT_STRINGS:
            return [import_class(item) for item in value]
        return value

    def reload(self) -> None:
        """Nothing is cached, so nothing to reload (DRF's settings objects have this method)."""


#: channels-api's settings object: ``api_settings.DEFAULT_PAGE_SIZE``.
api_settings = APISettings()


__all__ = [
    "CHANNELS_API_STYLE",
    "DEFAULTS",
    "IMPORT_STRINGS",
    "STANDARD_STYLE",
    "STYLE_SETTINGS",
    "APISettings",
    "api_settings",
    "channels_api_setting",
    "import_class",
]
