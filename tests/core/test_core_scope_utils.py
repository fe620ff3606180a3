"""Turning a websocket scope into the HttpRequest Django and DRF code expect."""

from __future__ import annotations

import asyncio
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.base import SessionBase

from djangochannelsrestframework.scope_utils import ensure_async, request_from_scope
from tests.support.core_consumers import allow_connection_housekeeping  # noqa: F401


def make_scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "websocket",
        "path": "/ws/items/",
        "query_string": b"",
        "headers": [],
        "scheme": "ws",
        "server": ("example.com", 8000),
        "client": ("10.0.0.1", 51000),
    }
    scope.update(overrides)
    return scope


def test_user_defaults_to_anonymous_instance() -> None:
    request = request_from_scope(make_scope())
    assert isinstance(request.user, AnonymousUser)
    assert request.user.is_authenticated is False


def test_user_from_scope() -> None:
    user = User(username="ann", pk=1)
    assert request_from_scope(make_scope(user=user)).user is user


def test_path() -> None:
    request = request_from_scope(make_scope())
    assert request.path == "/ws/items/"
    assert request.path_info == "/ws/items/"
    assert request.get_full_path() == "/ws/items/"


def test_headers_become_http_meta_keys() -> None:
    request = request_from_scope(
        make_scope(headers=[(b"host", b"example.com:8000"), (b"x-custom-thing", b"yes"), (b"origin", b"http://o")])
    )
    assert request.META["HTTP_HOST"] == "example.com:8000"
    assert request.META["HTTP_X_CUSTOM_THING"] == "yes"
    assert request.META["HTTP_ORIGIN"] == "http://o"
    assert request.headers["X-Custom-Thing"] == "yes"


def test_json_accept_and_content_type_defaults() -> None:
    request = request_from_scope(make_scope())
    assert request.META["HTTP_ACCEPT"] == "application/json"
    assert request.META["HTTP_CONTENT_TYPE"] == "application/json"


def test_content_type_and_length_have_no_http_prefix() -> None:
    request = request_from_scope(make_scope(headers=[(b"content-type", b"text/plain"), (b"content-length", b"12")]))
    assert request.META["CONTENT_TYPE"] == "text/plain"
    assert request.META["CONTENT_LENGTH"] == "12"
    assert "HTTP_CONTENT_LENGTH" not in request.META


def test_duplicate_headers_are_joined() -> None:
    request = request_from_scope(make_scope(headers=[(b"x-tag", b"a"), (b"x-tag", b"b")]))
    assert request.META["HTTP_X_TAG"] == "a,b"


def test_query_string_fills_get() -> None:
    request = request_from_scope(make_scope(query_string=b"token=abc&tag=a&tag=b&name=J%C3%BCrgen"))
    assert request.GET["token"] == "abc"
    assert request.GET.getlist("tag") == ["a", "b"]
    assert request.GET["name"] == "Jürgen"
    assert request.META["QUERY_STRING"] == "token=abc&tag=a&tag=b&name=J%C3%BCrgen"


def test_server_name_and_port_from_scope() -> None:
    request = request_from_scope(make_scope())
    assert request.META["SERVER_NAME"] == "example.com"
    assert request.META["SERVER_PORT"] == "8000"


def test_remote_addr_from_client() -> None:
    assert request_from_scope(make_scope()).META["REMOTE_ADDR"] == "10.0.0.1"


def test_get_host_without_host_header_uses_server() -> None:
    assert request_from_scope(make_scope()).get_host() == "example.com:8000"


def test_get_host_prefers_host_header() -> None:
    request = request_from_scope(make_scope(headers=[(b"host", b"api.example.org")]))
    assert request.get_host() == "api.example.org"


def test_build_absolute_uri() -> None:
    request = request_from_scope(make_scope(headers=[(b"host", b"api.example.org")]))
    assert request.build_absolute_uri() == "http://api.example.org/ws/items/"
    assert request.build_absolute_uri("/items/1/") == "http://api.example.org/items/1/"


def test_wss_is_secure() -> None:
    request = request_from_scope(make_scope(scheme="wss", headers=[(b"host", b"api.example.org")]))
    assert request.is_secure() is True
    assert request.build_absolute_uri("/x/") == "https://api.example.org/x/"


def test_ws_is_not_secure() -> None:
    assert request_from_scope(make_scope(scheme="ws")).is_secure() is False


def test_missing_server_falls_back_to_localhost() -> None:
    request = request_from_scope(make_scope(server=None))
    assert request.get_host() == "localhost"
    secure = request_from_scope(make_scope(server=None, scheme="wss"))
    assert secure.get_host() == "localhost"
    assert secure.META["SERVER_PORT"] == "443"


def test_cookies_from_scope() -> None:
    request = request_from_scope(make_scope(cookies={"sessionid": "abc"}))
    assert request.COOKIES == {"sessionid": "abc"}


def test_cookies_from_cookie_header() -> None:
    request = request_from_scope(make_scope(headers=[(b"cookie", b"sessionid=abc; csrftoken=xyz")]))
    assert request.COOKIES == {"sessionid": "abc", "csrftoken": "xyz"}


def test_no_cookies() -> None:
    assert request_from_scope(make_scope()).COOKIES == {}


def test_session_from_scope() -> None:
    session = SessionBase()
    assert request_from_scope(make_scope(session=session)).session is session


def test_session_defaults_to_none() -> None:
    assert request_from_scope(make_scope()).session is None


def test_minimal_scope() -> None:
    request = request_from_scope({"type": "websocket"})
    assert request.path == "/"
    assert isinstance(request.user, AnonymousUser)
    assert request.GET == {}
    assert request.get_host() == "localhost"


async def test_ensure_async_returns_coroutine_functions_unchanged() -> None:
    async def already() -> int:
        return 1

    assert ensure_async(already) is already


async def test_ensure_async_runs_sync_functions_in_a_thread() -> None:
    import threading

    def which_thread() -> int:
        return threading.get_ident()

    wrapped = ensure_async(which_thread)
    assert asyncio.iscoroutinefunction(wrapped)
    assert await wrapped() != threading.get_ident()


def test_cookie_headers_are_joined_as_one_cookie_list() -> None:
    request = request_from_scope(make_scope(headers=[(b"cookie", b"a=1"), (b"cookie", b"b=2")]))
    assert request.META["HTTP_COOKIE"] == "a=1; b=2"
    assert request.COOKIES == {"a": "1", "b": "2"}


def test_odd_cookies_do_not_break_the_request() -> None:
    request = request_from_scope(make_scope(headers=[(b"cookie", b'{}=1; sessionid=abc; b="x')]))
    assert request.COOKIES == {"{}": "1", "sessionid": "abc", "b": '"x'}
