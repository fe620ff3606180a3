"""Library settings: defaults, user overrides, import strings and reloading."""

from __future__ import annotations

import pytest
from django.test import override_settings

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.settings import (
    DEFAULTS,
    IMPORT_STRINGS,
    SETTING_NAME,
    APISettings,
    api_settings,
    reload_api_settings,
)


def test_setting_name_is_dcrf_compatible() -> None:
    assert SETTING_NAME == "DJANGO_CHANNELS_REST_API"


def test_defaults_match_dcrf() -> None:
    fresh = APISettings(user_settings={})
    assert fresh.DEFAULT_PAGE_SIZE == 25
    assert fresh.DEFAULT_PERMISSION_CLASSES == [permissions.AllowAny]
    assert fresh.DEFAULT_PAGINATION_CLASS is None
    assert fresh.PAGE_SIZE is None


def test_extra_defaults() -> None:
    assert DEFAULTS["MAX_MESSAGE_SIZE"] == 256_000
    assert DEFAULTS["MAX_DETACHED_TASKS"] == 64


def test_import_strings() -> None:
    assert {"DEFAULT_PERMISSION_CLASSES", "DEFAULT_PAGINATION_CLASS"} <= set(IMPORT_STRINGS)


def test_global_settings_use_defaults_when_unset() -> None:
    assert api_settings.DEFAULT_PERMISSION_CLASSES == [permissions.AllowAny]
    assert api_settings.PAGE_SIZE is None


def test_user_value_wins_over_default() -> None:
    custom = APISettings(user_settings={"PAGE_SIZE": 10})
    assert custom.PAGE_SIZE == 10
    assert custom.DEFAULT_PAGE_SIZE == 25


def test_import_string_is_resolved() -> None:
    custom = APISettings(
        user_settings={"DEFAULT_PERMISSION_CLASSES": ["djangochannelsrestframework.permissions.IsAuthenticated"]}
    )
    assert custom.DEFAULT_PERMISSION_CLASSES == [permissions.IsAuthenticated]


def test_single_import_string_is_resolved() -> None:
    custom = APISettings(user_settings={"DEFAULT_PAGINATION_CLASS": "djangochannelsrestframework.permissions.AllowAny"})
    assert custom.DEFAULT_PAGINATION_CLASS is permissions.AllowAny


def test_bad_import_string_raises_import_error() -> None:
    custom = APISettings(user_settings={"DEFAULT_PAGINATION_CLASS": "no.such.module.Paginator"})
    with pytest.raises(ImportError, match="Could not import 'no.such.module.Paginator' for API setting"):
        _ = custom.DEFAULT_PAGINATION_CLASS


def test_unknown_setting_raises_attribute_error() -> None:
    with pytest.raises(AttributeError) as excinfo:
        _ = api_settings.NOT_A_SETTING
    assert str(excinfo.value) == "Invalid API setting: 'NOT_A_SETTING'"


def test_value_is_cached_as_attribute() -> None:
    custom = APISettings(user_settings={"PAGE_SIZE": 3})
    _ = custom.PAGE_SIZE
    assert custom.__dict__["PAGE_SIZE"] == 3


def test_reload_drops_cached_values() -> None:
    custom = APISettings(user_settings={"PAGE_SIZE": 3})
    _ = custom.PAGE_SIZE
    custom.reload()
    assert "PAGE_SIZE" not in custom.__dict__


def test_settings_fixture_override_is_picked_up(settings) -> None:
    assert api_settings.PAGE_SIZE is None
    settings.DJANGO_CHANNELS_REST_API = {"PAGE_SIZE": 7}
    assert api_settings.PAGE_SIZE == 7


def test_settings_fixture_override_is_undone_afterwards() -> None:
    assert api_settings.PAGE_SIZE is None


def test_override_settings_reloads_and_restores() -> None:
    with override_settings(DJANGO_CHANNELS_REST_API={"MAX_MESSAGE_SIZE": 10}):
        assert api_settings.MAX_MESSAGE_SIZE == 10
    assert api_settings.MAX_MESSAGE_SIZE == 256_000


def test_reload_ignores_other_settings() -> None:
    _ = api_settings.PAGE_SIZE
    reload_api_settings(setting="DEBUG", value=True)
    assert "PAGE_SIZE" in api_settings.__dict__


def test_reload_on_our_setting() -> None:
    _ = api_settings.PAGE_SIZE
    reload_api_settings(setting="DJANGO_CHANNELS_REST_API", value={})
    assert "PAGE_SIZE" not in api_settings.__dict__


def test_consumer_permission_classes_follow_settings_override(settings) -> None:
    assert AsyncAPIConsumer.permission_classes == [permissions.AllowAny]
    settings.DJANGO_CHANNELS_REST_API = {
        "DEFAULT_PERMISSION_CLASSES": ("djangochannelsrestframework.permissions.IsAuthenticated",)
    }
    assert AsyncAPIConsumer.permission_classes == [permissions.IsAuthenticated]


def test_subclass_permission_classes_win_over_settings(settings) -> None:
    class Mine(AsyncAPIConsumer):
        permission_classes = (permissions.IsAuthenticated,)

    settings.DJANGO_CHANNELS_REST_API = {"DEFAULT_PERMISSION_CLASSES": ()}
    assert Mine.permission_classes == (permissions.IsAuthenticated,)
