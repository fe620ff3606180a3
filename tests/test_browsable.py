"""The browsable websocket API: route discovery and the page's access rules."""

import json

import pytest
from django.contrib.auth.models import User

from djangochannelsrestframework.browsable.discovery import discover_routes

from . import browsable_app


def test_discovers_routes_through_middleware_and_nested_routers():
    routes = discover_routes(browsable_app.application)
    assert [(route.path, route.consumer) for route in routes] == [
        ("/ws/items/", "tests.browsable_app.ItemConsumer"),
        ("/ws/tools/", "tests.browsable_app.ToolsConsumer"),
        ("/ws/view/", "djangochannelsrestframework.view_consumer.DjangoViewWrapper"),
    ]


def test_describes_actions_with_parameters_and_docstrings():
    tools = discover_routes(browsable_app.application)[1].as_dict()
    assert tools["doc"] == "Small utilities."
    add = next(action for action in tools["actions"] if action["name"] == "add")
    assert add == {
        "name": "add",
        "method": "add",
        "doc": "Add two numbers.",
        "parameters": [
            {"name": "a", "required": True, "default": None, "annotation": "int"},
            {"name": "b", "required": False, "default": 2, "annotation": "int"},
        ],
        "accepts_extra": True,
        "detached": False,
        "detail": None,
    }
    slow = next(action for action in tools["actions"] if action["name"] == "slow")
    assert slow["detached"] is True


def test_generic_actions_show_lookup_key_and_data():
    items = discover_routes(browsable_app.application)[0].as_dict()
    by_name = {action["name"]: action for action in items["actions"]}
    assert sorted(by_name) == ["create", "list", "retrieve"]
    assert [param["name"] for param in by_name["retrieve"]["parameters"]] == ["pk"]
    assert [param["name"] for param in by_name["create"]["parameters"]] == ["data"]


def test_view_as_consumer_lists_mapped_actions():
    view = discover_routes(browsable_app.application)[2].as_dict()
    assert [(action["name"], action["doc"]) for action in view["actions"]][:2] == [
        ("create", "Runs the view with HTTP PUT."),
        ("update", "Runs the view with HTTP PATCH."),
    ]


@pytest.mark.django_db
def test_page_lists_routes_when_debug(client, settings):
    settings.DEBUG = True
    settings.ASGI_APPLICATION = "tests.browsable_app.application"
    response = client.get("/ws-api/")
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<script id="dcrf-routes" type="application/json">') + len(
        '<script id="dcrf-routes" type="application/json">'
    )
    routes = json.loads(html[start : html.index("</script>", start)])
    assert [route["path"] for route in routes] == ["/ws/items/", "/ws/tools/", "/ws/view/"]


@pytest.mark.django_db
def test_page_is_hidden_without_debug_from_non_staff(client, settings):
    settings.DEBUG = False
    settings.ASGI_APPLICATION = "tests.browsable_app.application"
    assert client.get("/ws-api/").status_code == 404
    user = User.objects.create_user("plain", password="pw")
    client.force_login(user)
    assert client.get("/ws-api/").status_code == 404


@pytest.mark.django_db
def test_page_is_served_to_staff_without_debug(client, settings):
    settings.DEBUG = False
    settings.ASGI_APPLICATION = "tests.browsable_app.application"
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get("/ws-api/").status_code == 200


def test_each_stream_of_a_demultiplexer_is_a_route_of_its_own():
    from docs.examples.multiplexing import application

    routes = [route.as_dict() for route in discover_routes(application)]
    assert [(route["path"], route["stream"], route["consumer"]) for route in routes] == [
        ("/ws/", "items", "docs.examples.multiplexing.ItemConsumer"),
        ("/ws/", "account", "docs.examples.multiplexing.AccountConsumer"),
    ]
    assert [action["name"] for action in routes[1]["actions"]] == ["whoami"]


def test_bindings_behind_channels_apis_demultiplexer_are_routes():
    from docs.examples.channels_api_routing import application

    routes = discover_routes(application)
    assert [(route.path, route.stream, route.consumer) for route in routes] == [
        ("/", "questions", "docs.examples.channels_api.QuestionBinding"),
        ("/", "private-questions", "docs.examples.channels_api.MyBinding"),
    ]
    assert {"publish", "report", "subscribe"} <= {action.name for action in routes[0].actions}
