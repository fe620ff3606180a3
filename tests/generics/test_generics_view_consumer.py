"""view_as_consumer / DjangoViewAsConsumer: Django and DRF views served over a websocket."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.routing import URLRouter
from django.contrib.auth.models import User
from django.urls import path

from djangochannelsrestframework import consumers
from djangochannelsrestframework.view_consumer import DjangoViewAsConsumer, view_as_consumer
from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.generic_consumers import (
    DRFItemView,
    ItemViewSet,
    ask,
    binary_view,
    drf_echo_view,
    echo_view,
    file_view,
    missing_view,
    open_socket,
    path_view,
    streaming_view,
    teapot_view,
    template_view,
    text_view,
    whoami_view,
)

pytestmark = pytest.mark.django_db(transaction=True)


def echoed(method: str, query: Any = None, kwargs: Any = None, body: str = "", path: str = "/ws/") -> str:
    """What ``echo_view`` answers: its JSON body, which arrives as text (it is not a DRF ``Response``)."""
    return json.dumps({"method": method, "path": path, "query": query or {}, "kwargs": kwargs or {}, "body": body})


def test_importable_from_consumers() -> None:
    assert consumers.view_as_consumer is view_as_consumer
    assert consumers.DjangoViewAsConsumer is DjangoViewAsConsumer


# -- mapping of actions to HTTP methods ----------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "method"),
    [
        ("create", "PUT"),
        ("update", "PATCH"),
        ("patch", "PATCH"),
        ("list", "GET"),
        ("retrieve", "GET"),
        ("delete", "DELETE"),
    ],
)
async def test_default_mapping(action: str, method: str) -> None:
    async with open_socket(view_as_consumer(echo_view)) as ws:
        assert await ask(ws, {"action": action, "request_id": 1}) == reply(action, echoed(method), request_id=1)


async def test_custom_mapping_replaces_the_default() -> None:
    async with open_socket(view_as_consumer(echo_view, {"fetch": "GET", "send": "POST"})) as ws:
        assert await ask(ws, {"action": "fetch"}) == reply("fetch", echoed("GET"))
        assert await ask(ws, {"action": "send"}) == reply("send", echoed("POST"))
        assert await ask(ws, {"action": "list"}) == reply("list", status=405, errors=['Method "list" not allowed.'])


async def test_unknown_action_replies_405() -> None:
    async with open_socket(view_as_consumer(echo_view)) as ws:
        assert await ask(ws, {"action": "explode", "request_id": 2}) == reply(
            "explode", status=405, errors=['Method "explode" not allowed.'], request_id=2
        )
        assert await ask(ws, {"action": "list"}) == reply("list", echoed("GET"))


# -- query, parameters and data ------------------------------------------------------------------


async def test_query_becomes_get_parameters_including_lists() -> None:
    async with open_socket(view_as_consumer(echo_view)) as ws:
        response = await ask(ws, {"action": "list", "query": {"search": "ada", "tag": ["a", "b"], "page": 2}})
    assert response == reply("list", echoed("GET", query={"search": ["ada"], "tag": ["a", "b"], "page": [2]}))


async def test_parameters_become_view_kwargs() -> None:
    async with open_socket(view_as_consumer(echo_view)) as ws:
        response = await ask(ws, {"action": "retrieve", "parameters": {"pk": 5, "slug": "five"}})
    assert response == reply("retrieve", echoed("GET", kwargs={"pk": 5, "slug": "five"}))


async def test_data_is_the_json_body_of_a_django_view() -> None:
    async with open_socket(view_as_consumer(echo_view)) as ws:
        response = await ask(ws, {"action": "create", "data": {"name": "Ada", "tags": [1, 2]}})
    assert response == reply("create", echoed("PUT", body='{"name":"Ada","tags":[1,2]}'))


async def test_data_is_request_data_of_a_drf_view() -> None:
    async with open_socket(view_as_consumer(drf_echo_view)) as ws:
        response = await ask(
            ws,
            {
                "action": "update",
                "data": {"name": "Ada"},
                "query": {"full": "yes"},
                "parameters": {"pk": 1},
                "request_id": 3,
            },
        )
    assert response == reply(
        "update",
        {"method": "PATCH", "data": {"name": "Ada"}, "query": {"full": ["yes"]}, "kwargs": {"pk": 1}},
        request_id=3,
    )


async def test_drf_view_without_data_sees_empty_data() -> None:
    async with open_socket(view_as_consumer(drf_echo_view)) as ws:
        assert await ask(ws, {"action": "list"}) == reply(
            "list", {"method": "GET", "data": {}, "query": {}, "kwargs": {}}
        )


@pytest.mark.parametrize("key", ["query", "parameters"])
@pytest.mark.parametrize("value", ["text", [1], 3, [], "", 0, False])
async def test_query_and_parameters_must_be_objects(key: str, value: Any) -> None:
    async with open_socket(view_as_consumer(echo_view)) as ws:
        assert await ask(ws, {"action": "list", key: value}) == reply(
            "list", status=400, errors=[{key: ["Expected an object."]}]
        )
        assert await ask(ws, {"action": "list"}) == reply("list", echoed("GET"))


# -- what the view returns -----------------------------------------------------------------------


async def test_drf_response_data_is_passed_through(db: Any) -> None:
    item = await Item.objects.acreate(name="ant", value=1)
    async with open_socket(view_as_consumer(DRFItemView.as_view())) as ws:
        assert await ask(ws, {"action": "retrieve", "parameters": {"pk": item.pk}}) == reply(
            "retrieve", {"id": item.pk, "name": "ant", "value": 1}
        )
        assert await ask(ws, {"action": "update", "parameters": {"pk": item.pk}, "data": {"value": 5}}) == reply(
            "update", {"id": item.pk, "name": "ant", "value": 5}
        )


async def test_drf_error_status_is_passed_as_status_with_empty_errors() -> None:
    async with open_socket(view_as_consumer(DRFItemView.as_view())) as ws:
        assert await ask(ws, {"action": "retrieve", "parameters": {"pk": 404}}) == reply(
            "retrieve", {"detail": "No such item."}, status=404
        )


async def test_drf_validation_error_is_passed_as_data_with_status_400() -> None:
    item = await Item.objects.acreate(name="ant", value=1)
    async with open_socket(view_as_consumer(DRFItemView.as_view())) as ws:
        assert await ask(ws, {"action": "update", "parameters": {"pk": item.pk}, "data": {"value": "x"}}) == reply(
            "update", {"value": ["A valid integer is required."]}, status=400
        )


async def test_template_response_is_rendered() -> None:
    async with open_socket(view_as_consumer(template_view)) as ws:
        assert await ask(ws, {"action": "list", "query": {"name": "Ada"}}) == reply("list", "Hello Ada!")


async def test_other_content_is_text() -> None:
    async with open_socket(view_as_consumer(text_view)) as ws:
        assert await ask(ws, {"action": "list"}) == reply("list", "plain text")


async def test_streaming_content_is_collected() -> None:
    async with open_socket(view_as_consumer(streaming_view)) as ws:
        assert await ask(ws, {"action": "list"}) == reply("list", "one two")


async def test_file_response_content_is_collected() -> None:
    async with open_socket(view_as_consumer(file_view)) as ws:
        assert await ask(ws, {"action": "list"}) == reply("list", "file body")


async def test_null_query_and_parameters_mean_none() -> None:
    async with open_socket(view_as_consumer(echo_view)) as ws:
        assert await ask(ws, {"action": "list", "query": None, "parameters": None}) == reply("list", echoed("GET"))


async def test_mapped_methods_may_be_lower_case() -> None:
    async with open_socket(view_as_consumer(drf_echo_view, {"put_it": "put"})) as ws:
        assert await ask(ws, {"action": "put_it", "data": {"a": 1}}) == reply(
            "put_it", {"method": "PUT", "data": {"a": 1}, "query": {}, "kwargs": {}}
        )


async def test_content_that_is_not_utf8_is_hex() -> None:
    async with open_socket(view_as_consumer(binary_view)) as ws:
        assert await ask(ws, {"action": "list"}) == reply("list", "fffe00")


async def test_django_view_4xx_status_is_passed_with_empty_errors() -> None:
    async with open_socket(view_as_consumer(teapot_view)) as ws:
        assert await ask(ws, {"action": "list"}) == reply("list", "short and stout", status=418)


async def test_django_view_raising_http404_replies_404() -> None:
    async with open_socket(view_as_consumer(missing_view)) as ws:
        assert await ask(ws, {"action": "retrieve", "request_id": 4}) == reply(
            "retrieve", status=404, errors=["Not found"], request_id=4
        )


# -- ViewSets ------------------------------------------------------------------------------------


async def test_viewset_class_with_the_default_mapping() -> None:
    ant = await Item.objects.acreate(name="ant", value=1)
    async with open_socket(view_as_consumer(ItemViewSet)) as ws:
        assert await ask(ws, {"action": "list"}) == reply("list", [{"id": ant.pk, "name": "ant", "value": 1}])
        created = await ask(ws, {"action": "create", "data": {"name": "bee", "value": 2}})
        bee = await Item.objects.aget(name="bee")
        assert created == reply("create", {"id": bee.pk, "name": "bee", "value": 2}, status=201)
        assert await ask(ws, {"action": "retrieve", "parameters": {"pk": bee.pk}}) == reply(
            "retrieve", {"id": bee.pk, "name": "bee", "value": 2}
        )
        assert await ask(ws, {"action": "patch", "parameters": {"pk": bee.pk}, "data": {"value": 3}}) == reply(
            "patch", {"id": bee.pk, "name": "bee", "value": 3}
        )
        assert await ask(
            ws, {"action": "update", "parameters": {"pk": bee.pk}, "data": {"name": "wasp", "value": 4}}
        ) == reply("update", {"id": bee.pk, "name": "wasp", "value": 4})
        assert await ask(ws, {"action": "update", "parameters": {"pk": bee.pk}, "data": {"value": 4}}) == reply(
            "update", {"name": ["This field is required."]}, status=400
        )
        assert await ask(ws, {"action": "delete", "parameters": {"pk": bee.pk}}) == reply("delete", None, status=204)
        assert await ask(ws, {"action": "retrieve", "parameters": {"pk": bee.pk}}) == reply(
            "retrieve", {"detail": "No Item matches the given query."}, status=404
        )


async def test_viewset_class_with_an_actions_map() -> None:
    ant = await Item.objects.acreate(name="ant", value=1)
    app = view_as_consumer(ItemViewSet, {"list": "GET", "retrieve": "GET"})
    async with open_socket(app) as ws:
        assert await ask(ws, {"action": "retrieve", "parameters": {"pk": ant.pk}}) == reply(
            "retrieve", {"id": ant.pk, "name": "ant", "value": 1}
        )
        assert await ask(ws, {"action": "create", "data": {"name": "bee"}}) == reply(
            "create", status=405, errors=['Method "create" not allowed.']
        )
    assert await Item.objects.acount() == 1


async def test_viewset_as_view_with_actions() -> None:
    ant = await Item.objects.acreate(name="ant", value=1)
    app = view_as_consumer(ItemViewSet.as_view({"get": "list"}), {"list": "GET"})
    async with open_socket(app) as ws:
        assert await ask(ws, {"action": "list"}) == reply("list", [{"id": ant.pk, "name": "ant", "value": 1}])


# -- one consumer per connection -----------------------------------------------------------------


async def test_each_connection_has_its_own_consumer() -> None:
    app = view_as_consumer(path_view)
    async with open_socket(app, "/ws/first/") as first, open_socket(app, "/ws/second/") as second:
        assert await ask(first, {"action": "list"}) == reply("list", "/ws/first/")
        assert await ask(second, {"action": "list"}) == reply("list", "/ws/second/")
        assert await ask(first, {"action": "list"}) == reply("list", "/ws/first/")


async def test_usable_in_a_url_router() -> None:
    router = URLRouter([path("ws/text/", view_as_consumer(text_view)), path("ws/echo/", view_as_consumer(echo_view))])
    async with open_socket(router, "/ws/text/") as text, open_socket(router, "/ws/echo/") as echo:
        assert await ask(text, {"action": "list"}) == reply("list", "plain text")
        assert await ask(echo, {"action": "list"}) == reply("list", echoed("GET", path="/ws/echo/"))


async def test_subclassing_django_view_as_consumer() -> None:
    class TextConsumer(DjangoViewAsConsumer):
        view = staticmethod(text_view)
        actions = {"read": "GET"}

    async with open_socket(TextConsumer) as ws:
        assert await ask(ws, {"action": "read"}) == reply("read", "plain text")


async def test_request_user_is_the_scope_user_and_csrf_does_not_apply() -> None:
    user = await User.objects.acreate(username="ada")
    app = view_as_consumer(whoami_view)

    async def with_user(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await app({**scope, "user": user}, receive, send)

    async with open_socket(with_user) as ws:
        assert await ask(ws, {"action": "create", "data": {"x": 1}}) == reply(
            "create", {"user": "ada", "authenticated": True}
        )
    async with open_socket(app) as ws:
        assert await ask(ws, {"action": "list"}) == reply("list", {"user": "", "authenticated": False})


JUNK = [None, "", "x", -1, 0, 1.5, True, [], {}, [None], {"a": {"b": [1]}}, "\x00", "é" * 300, 2**63 - 1]


@pytest.mark.parametrize("view", [echo_view, drf_echo_view], ids=["django", "drf"])
async def test_junk_messages_never_break_the_socket(view: Any) -> None:
    async with open_socket(view_as_consumer(view)) as ws:
        for action in ["list", "create", "update", "patch", "delete", "retrieve"]:
            for key in ["query", "parameters", "data"]:
                for value in JUNK:
                    message = {"action": action, key: value, "request_id": [key, repr(value)]}
                    if key == "query" and isinstance(value, dict):
                        message[key] = {"k": value, "n": None, "l": [value]}
                    response = await ask(ws, message)
                    assert response["request_id"] == [key, repr(value)]
                    assert response["response_status"] in (200, 400), response
        assert (await ask(ws, {"action": "list"}))["response_status"] == 200
