"""The exception types and the one mapping from exceptions to reply errors and status."""

from __future__ import annotations

import logging

from channels.testing import WebsocketCommunicator
from django.core.exceptions import DisallowedHost, ObjectDoesNotExist, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.exceptions import (
    ActionMissingException,
    MessageTooLarge,
    TooManyDetachedTasks,
    errors_for_exception,
    format_errors,
)
from tests.support.app.models import Item
from tests.support.core_consumers import allow_connection_housekeeping  # noqa: F401


def test_action_missing_exception() -> None:
    exc = ActionMissingException()
    assert exc.status_code == 405
    assert exc.detail == "Unable to find action in message body."
    assert exc.detail.code == "method_not_allowed"
    assert ActionMissingException.default_code == "method_not_allowed"


def test_action_missing_maps_to_405() -> None:
    assert errors_for_exception(ActionMissingException()) == (["Unable to find action in message body."], 405)


def test_message_too_large_is_413() -> None:
    assert errors_for_exception(MessageTooLarge()) == (["Message is too large."], 413)


def test_too_many_detached_tasks_is_429() -> None:
    assert errors_for_exception(TooManyDetachedTasks()) == (
        ["Too many detached actions are running on this connection; wait for one to finish."],
        429,
    )


def test_api_exception_with_string_detail() -> None:
    assert errors_for_exception(drf_exceptions.APIException("Boom.")) == (["Boom."], 500)


def test_api_exception_with_list_detail() -> None:
    assert errors_for_exception(drf_exceptions.ValidationError(["a", "b"])) == (["a", "b"], 400)


def test_api_exception_with_dict_detail() -> None:
    exc = drf_exceptions.ValidationError({"name": ["This field is required."]})
    assert errors_for_exception(exc) == ([{"name": ["This field is required."]}], 400)


def test_drf_permission_denied() -> None:
    assert errors_for_exception(drf_exceptions.PermissionDenied()) == (
        ["You do not have permission to perform this action."],
        403,
    )


def test_http404_instance_has_no_trailing_period() -> None:
    assert errors_for_exception(Http404("secret")) == (["Not found"], 404)


def test_http404_class() -> None:
    assert errors_for_exception(Http404) == (["Not found"], 404)  # type: ignore[arg-type]


def test_drf_not_found_keeps_its_period() -> None:
    assert errors_for_exception(drf_exceptions.NotFound()) == (["Not found."], 404)


def test_django_permission_denied_is_403() -> None:
    assert errors_for_exception(DjangoPermissionDenied("internal reason")) == (
        ["You do not have permission to perform this action."],
        403,
    )


def test_django_validation_error_dict() -> None:
    exc = DjangoValidationError({"name": ["Too short."], "value": ["Must be positive."]})
    assert errors_for_exception(exc) == ([{"name": ["Too short."], "value": ["Must be positive."]}], 400)


def test_django_validation_error_list() -> None:
    assert errors_for_exception(DjangoValidationError(["First.", "Second."])) == (["First.", "Second."], 400)


def test_django_validation_error_single_message_with_params() -> None:
    exc = DjangoValidationError("%(value)s is odd.", params={"value": 3})
    assert errors_for_exception(exc) == (["3 is odd."], 400)


def test_object_does_not_exist_is_404() -> None:
    assert errors_for_exception(Item.DoesNotExist("no row")) == (["Not found"], 404)
    assert errors_for_exception(ObjectDoesNotExist()) == (["Not found"], 404)


def test_integrity_error_is_409() -> None:
    assert errors_for_exception(IntegrityError("UNIQUE constraint failed: secret_table.col")) == (
        ["The request conflicts with the current state of the database."],
        409,
    )


def test_values_out_of_the_database_range_are_400() -> None:
    # Django 4.2 hands a lookup such as value=10**20 to the driver: SQLite raises OverflowError,
    # PostgreSQL a DataError.  Both mean the client sent a number the database cannot hold.
    expected = (["A value is out of range for the database."], 400)
    assert errors_for_exception(OverflowError("Python int too large to convert to SQLite INTEGER")) == expected
    assert errors_for_exception(DataError("integer out of range")) == expected


def test_suspicious_operation_is_400_without_details() -> None:
    assert errors_for_exception(DisallowedHost("Invalid HTTP_HOST header: 'evil.example'")) == (["Bad request."], 400)
    assert errors_for_exception(SuspiciousOperation("internal")) == (["Bad request."], 400)


def test_throttled_is_429() -> None:
    assert errors_for_exception(drf_exceptions.Throttled()) == (["Request was throttled."], 429)


def test_throttled_with_wait() -> None:
    errors, status = errors_for_exception(drf_exceptions.Throttled(wait=3))  # type: ignore[misc]
    assert (errors, status) == (["Request was throttled. Expected available in 3 seconds."], 429)


def test_unknown_exception_is_not_mapped() -> None:
    assert errors_for_exception(RuntimeError("bug")) is None


def test_format_errors() -> None:
    assert format_errors(["x"]) == ["x"]
    assert format_errors("x") == ["x"]
    assert format_errors({"k": ["v"]}) == [{"k": ["v"]}]
    assert format_errors(None) == []


class RaisingConsumer(AsyncAPIConsumer):
    """Raises the exception a test names."""

    raising = {
        "django_denied": DjangoPermissionDenied("internal reason"),
        "django_invalid": DjangoValidationError({"name": ["Too short."]}),
        "django_invalid_list": DjangoValidationError(["Bad.", "Worse."]),
        "missing_row": Item.DoesNotExist("Item matching query does not exist."),
        "conflict": IntegrityError("UNIQUE constraint failed"),
        "throttled": drf_exceptions.Throttled(),
        "out_of_range": OverflowError("Python int too large to convert to SQLite INTEGER"),
        "bug": ZeroDivisionError("division by zero in secret_function"),
    }

    @action()
    async def fail(self, kind: str) -> None:
        raise self.raising[kind]


async def _reply_for(kind: str) -> dict:
    communicator = WebsocketCommunicator(RaisingConsumer.as_asgi(), "/ws/")
    await communicator.connect()
    await communicator.send_json_to({"action": "fail", "kind": kind, "request_id": kind})
    reply = await communicator.receive_json_from()
    await communicator.send_json_to({"action": "fail", "kind": "nope-not-a-kind", "request_id": 2})
    assert (await communicator.receive_json_from())["response_status"] == 500
    await communicator.disconnect()
    return reply


def _error(action: str, errors: list, status: int, request_id: object) -> dict:
    return {"errors": errors, "data": None, "action": action, "response_status": status, "request_id": request_id}


async def test_wire_django_permission_denied() -> None:
    assert await _reply_for("django_denied") == _error(
        "fail", ["You do not have permission to perform this action."], 403, "django_denied"
    )


async def test_wire_django_validation_error_dict() -> None:
    assert await _reply_for("django_invalid") == _error("fail", [{"name": ["Too short."]}], 400, "django_invalid")


async def test_wire_django_validation_error_list() -> None:
    assert await _reply_for("django_invalid_list") == _error("fail", ["Bad.", "Worse."], 400, "django_invalid_list")


async def test_wire_object_does_not_exist() -> None:
    assert await _reply_for("missing_row") == _error("fail", ["Not found"], 404, "missing_row")


async def test_wire_integrity_error() -> None:
    assert await _reply_for("conflict") == _error(
        "fail", ["The request conflicts with the current state of the database."], 409, "conflict"
    )


async def test_wire_throttled() -> None:
    assert await _reply_for("throttled") == _error("fail", ["Request was throttled."], 429, "throttled")


async def test_wire_unknown_exception_is_generic_500_and_logged(caplog) -> None:
    caplog.set_level(logging.ERROR, logger="djangochannelsrestframework")
    reply = await _reply_for("bug")
    assert reply == _error("fail", ["A server error occurred."], 500, "bug")
    assert "Traceback" not in str(reply) and "ZeroDivisionError" not in str(reply)
    records = [r for r in caplog.records if r.name == "djangochannelsrestframework"]
    assert records[0].levelno == logging.ERROR
    assert records[0].exc_info is not None and records[0].exc_info[0] is ZeroDivisionError
    assert "division by zero in secret_function" in caplog.text


async def test_wire_value_out_of_range() -> None:
    assert await _reply_for("out_of_range") == _error(
        "fail", ["A value is out of range for the database."], 400, "out_of_range"
    )
