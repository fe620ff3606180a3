"""The AsyncAPI document: ``manage.py asyncapi`` on the demo project, checked by the official AsyncAPI
parser (npm ``@asyncapi/parser``, run with node), and the schemas it gives to typed parameters."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings

from djangochannelsrestframework.asyncapi import build_document
from djangochannelsrestframework.asyncapi.schemas import hint_schema
from docs.examples.typed_parameters import ShopConsumer
from tests.support.services import required

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "tests" / "support" / "asyncapi"


def asyncapi_parser() -> Path:
    """The validator script, with its npm packages installed (``npm ci`` on first use)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        required("node and npm are needed to run the AsyncAPI parser")
    if not (VALIDATOR / "node_modules" / "@asyncapi" / "parser").exists():
        # No install scripts: the parser needs none (one dependency's only sends usage statistics).
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=VALIDATOR,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "SCARF_ANALYTICS": "false"},
        )
        if result.returncode != 0:
            required(f"npm ci failed for the AsyncAPI parser: {result.stderr[-2000:]}")
    return VALIDATOR / "validate.mjs"


def validate(path: Path) -> list[dict[str, Any]]:
    """Run the official parser on ``path``; fail with its diagnostics unless it accepts the document."""
    script = asyncapi_parser()
    result = subprocess.run(["node", str(script), str(path)], capture_output=True, text=True, timeout=120)
    diagnostics = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0, (result.stderr, diagnostics)
    return diagnostics


def run_in_demo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT / "example", env=env, capture_output=True, text=True, timeout=120
    )


DEMO_ROUTES = """
import json
from django.conf import settings
from django.utils.module_loading import import_string
from djangochannelsrestframework.browsable.discovery import discover_routes
routes = discover_routes(import_string(settings.ASGI_APPLICATION))
print(json.dumps([route.as_dict() for route in routes]))
"""


@pytest.fixture(scope="module")
def demo_document(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("asyncapi") / "demo.json"
    result = run_in_demo("asyncapi", "--output", str(path))
    assert result.returncode == 0, result.stderr
    return path, json.loads(path.read_text())


def test_demo_document_is_accepted_by_the_asyncapi_parser(demo_document: tuple[Path, dict[str, Any]]) -> None:
    path, document = demo_document
    assert document["asyncapi"] == "3.0.0"
    diagnostics = validate(path)
    assert [d for d in diagnostics if d["severity"] == 0] == []


def test_demo_document_lists_every_action_with_its_parameters_and_every_observer_event(
    demo_document: tuple[Path, dict[str, Any]],
) -> None:
    _, document = demo_document
    result = run_in_demo("shell", "-c", DEMO_ROUTES)
    assert result.returncode == 0, result.stderr
    routes = json.loads(result.stdout.splitlines()[-1])  # Django 5.2's shell may print a line before
    assert routes, "the demo has websocket routes"
    channels = {channel["address"]: channel for channel in document["channels"].values()}
    for route in routes:
        channel = channels[route["path"]]
        messages = channel["messages"]
        for action in route["actions"]:
            request = messages[f"{action['name']}_request"]["payload"]
            assert request["properties"]["action"] == {"const": action["name"]}
            for parameter in action["parameters"]:
                assert parameter["name"] in request["properties"], (action["name"], parameter["name"])
                if parameter["required"]:
                    assert parameter["name"] in request["required"]
            assert f"{action['name']}_reply" in messages
        for observer in route["observers"]:
            described_as = {"handle_instance_change": "instance", "handle_list_change": "list"}
            assert f"event_{described_as.get(observer['name'], observer['name'])}" in messages
            assert f"event_{observer['name']}" not in messages or observer["name"] not in described_as
    operation_names = {operation["title"] for operation in document["operations"].values()}
    assert {"join_room", "post_message", "room_activity events", "instance events"} <= operation_names


def test_demo_document_in_yaml_says_the_same(demo_document: tuple[Path, dict[str, Any]]) -> None:
    _, document = demo_document
    result = run_in_demo("asyncapi", "--format", "yaml")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == document


def test_join_room_parameters_and_reply_of_the_demo(demo_document: tuple[Path, dict[str, Any]]) -> None:
    _, document = demo_document
    messages = document["channels"]["ws_chat"]["messages"]
    assert messages["join_room_request"]["payload"] == {
        "type": "object",
        "properties": {
            "action": {"const": "join_room"},
            "request_id": {"description": "Any JSON value; the reply carries it back unchanged."},
            "pk": {"type": "integer"},
        },
        "required": ["action", "pk"],
    }
    assert messages["post_message_request"]["payload"]["properties"]["text"] == {"type": "string"}


# -- the document of the typed-parameters example ----------------------------------------------


@pytest.fixture
def shop_document(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    from channels.routing import URLRouter
    from django.urls import path

    application = URLRouter([path("ws/shop/<int:branch>/", ShopConsumer.as_asgi())])
    document = build_document(application, title="Shop", version="2.0.0")
    target = tmp_path / "shop.json"
    target.write_text(json.dumps(document))
    return target, document


def test_typed_parameters_become_schemas(shop_document: tuple[Path, dict[str, Any]]) -> None:
    target, document = shop_document
    channel = document["channels"]["ws_shop_branch"]
    assert channel["address"] == "/ws/shop/{branch}/"
    assert list(channel["parameters"]) == ["branch"]
    paint = channel["messages"]["paint_request"]["payload"]
    assert paint["properties"]["colour"] == {"enum": ["red", "green"]}
    assert paint["properties"]["at"] == {
        "type": "object",
        "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
        "additionalProperties": False,
        "required": ["x", "y"],
    }
    assert paint["properties"]["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert paint["required"] == ["action", "colour", "at"]
    assert paint["additionalProperties"] is False
    reserve = channel["messages"]["reserve_request"]["payload"]
    assert reserve["properties"]["guests"] == {"type": "integer", "minimum": 1}
    assert reserve["required"] == ["action", "room", "guests"]
    assert "additionalProperties" not in channel["messages"]["legacy_request"]["payload"]
    validate(target)


@pytest.mark.parametrize(
    ("hint", "schema"),
    [
        (int, {"type": "integer"}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (dict[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
        (int | str, {"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        (Any, {}),
    ],
)
def test_hint_schemas(hint: Any, schema: dict[str, Any]) -> None:
    assert hint_schema(hint) == schema


@override_settings(ASGI_APPLICATION="tests.support.throttle_app.application")
def test_command_writes_json_for_the_configured_application(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("asyncapi", "--title", "Ping", "--api-version", "0.1")
    document = json.loads(capsys.readouterr().out)
    assert document["info"]["title"] == "Ping"
    assert document["info"]["version"] == "0.1"
    assert [channel["address"] for channel in document["channels"].values()] == ["/ws/ping/"]


# -- served over HTTP, linked from the browsable page -------------------------------------------


@pytest.mark.django_db
def test_browsable_page_links_to_the_document_it_serves(client, settings) -> None:
    settings.DEBUG = True
    settings.ASGI_APPLICATION = "tests.support.browsable_app.application"
    page = client.get("/ws-api/").content.decode()
    assert '<a id="asyncapi-link" href="/ws-api/asyncapi.json">AsyncAPI document</a>' in page
    response = client.get("/ws-api/asyncapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["asyncapi"] == "3.0.0"
    assert [channel["address"] for channel in document["channels"].values()] == [
        "/ws/items/",
        "/ws/tools/",
        "/ws/view/",
    ]


@pytest.mark.django_db
def test_document_is_hidden_like_the_page(client, settings) -> None:
    settings.DEBUG = False
    settings.ASGI_APPLICATION = "tests.support.browsable_app.application"
    assert client.get("/ws-api/asyncapi.json").status_code == 404


def test_browsable_test_app_document_is_valid(tmp_path: Path) -> None:
    from tests.support.browsable_app import application

    target = tmp_path / "browsable.json"
    target.write_text(json.dumps(build_document(application)))
    validate(target)


def test_live_list_events_are_the_list_event_with_the_row_schema(tmp_path: Path) -> None:
    from channels.routing import URLRouter
    from django.urls import path

    from docs.examples.live_lists import LiveItemListConsumer

    document = build_document(URLRouter([path("ws/items/", LiveItemListConsumer.as_asgi())]))
    messages = document["channels"]["ws_items"]["messages"]
    assert "event_handle_list_change" not in messages
    event = messages["event_list"]
    assert (event["name"], event["title"]) == ("list", "list event")
    payload = event["payload"]["properties"]
    assert payload["action"] == {"enum": ["create", "update", "delete"]}
    row, deleted = payload["data"]["oneOf"]
    assert set(row["properties"]) == {"id", "name", "value"}
    assert deleted == {
        "type": "object",
        "properties": {"pk": {"description": "The primary key of the row that left the list."}},
        "required": ["pk"],
    }
    assert document["operations"]["ws_items_event_list"]["title"] == "list events"
    target = tmp_path / "live_list.json"
    target.write_text(json.dumps(document))
    validate(target)


# -- the documentation's example ------------------------------------------------------------------


def test_documented_operation_is_what_the_generator_writes() -> None:
    from docs.examples.asyncapi import add_operation, add_request

    shown = json.loads((ROOT / "docs" / "examples" / "asyncapi_add.json").read_text())
    assert shown == {"operation": add_operation, "request": add_request}


@pytest.mark.django_db
def test_documented_view_serves_the_document_to_staff(client, settings) -> None:
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    from docs.examples.asyncapi import urlpatterns

    settings.ASGI_APPLICATION = "tests.support.browsable_app.application"
    view = urlpatterns[0].callback
    request = RequestFactory().get("/asyncapi.json")
    request.user = User.objects.create_user("staff", password="pw", is_staff=True)
    response = view(request)
    assert response.status_code == 200
    assert json.loads(response.content)["asyncapi"] == "3.0.0"


def test_streams_of_a_demultiplexer_are_channels_with_wrapped_messages(tmp_path: Path) -> None:
    from channels.routing import URLRouter
    from django.urls import path

    from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer
    from tests.support.core_consumers import EchoConsumer

    application = URLRouter(
        [path("ws/", AsyncJsonWebsocketDemultiplexer.as_asgi(shop=ShopConsumer.as_asgi(), echo=EchoConsumer.as_asgi()))]
    )
    document = build_document(application)
    assert sorted(document["channels"]) == ["ws_echo", "ws_shop"]
    shop = document["channels"]["ws_shop"]
    assert (shop["address"], shop["title"]) == ("/ws/", "ShopConsumer (stream shop)")
    paint = shop["messages"]["paint_request"]["payload"]
    assert paint["properties"]["stream"] == {"const": "shop"}
    assert paint["required"] == ["stream", "payload"]
    assert paint["properties"]["payload"]["properties"]["action"] == {"const": "paint"}
    target = tmp_path / "streams.json"
    target.write_text(json.dumps(document))
    validate(target)
