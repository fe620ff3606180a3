from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled, ValidationError

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action

FAILURES = {
    "drf_validation": lambda: ValidationError({"name": ["This field is required."]}),
    "drf_not_found": lambda: NotFound(),
    "drf_permission_denied": lambda: PermissionDenied(),
    "throttled": lambda: Throttled(),
    "http404": lambda: Http404("No note matches the given query."),
    "does_not_exist": lambda: ObjectDoesNotExist("Note matching query does not exist."),
    "django_permission_denied": lambda: DjangoPermissionDenied("staff only"),
    "django_validation": lambda: DjangoValidationError("Enter a valid date."),
    "django_field_validation": lambda: DjangoValidationError({"date": ["Enter a valid date."]}),
    "integrity": lambda: IntegrityError("UNIQUE constraint failed: note.title"),
    "bug": lambda: ZeroDivisionError("division by zero"),
}


class FailingConsumer(AsyncAPIConsumer):
    @action()
    async def fail(self, kind: str, **kwargs):
        raise FAILURES[kind]()

    @action()
    async def three_items(self, **kwargs):
        return "data", 200, "extra"  # not (data, status): a server bug, so a 500 reply


class UpstreamTimeout(Exception):
    pass


class GatewayConsumer(AsyncAPIConsumer):
    @action()
    async def fetch(self, **kwargs):
        raise UpstreamTimeout()

    async def handle_exception(self, exc, action, request_id):
        if isinstance(exc, UpstreamTimeout):
            await self.reply(
                action=action, errors=["The upstream service timed out; try again."], status=504, request_id=request_id
            )
            return
        await super().handle_exception(exc, action, request_id)
