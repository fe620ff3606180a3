"""The floor: plain channels consumers doing the same work and speaking the same envelope, no framework.

Fan-out here is what a hand-written app would do: a ``post_save`` receiver serializes the row once
(after commit) and ``group_send``s it; each subscribed socket forwards it to its request ids.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_save

from .models import Row
from .serializers import RowSerializer
from .work import LIST_ROWS, OBSERVED_PK, bump_row

HAVE_OBSERVER = True
OBSERVER_MISSING = ""


def envelope(action: Any, data: Any = None, request_id: Any = None, status: int = 200, errors: Any = None) -> dict:
    return {"errors": errors or [], "data": data, "action": action, "response_status": status, "request_id": request_id}


class EchoConsumer(AsyncJsonWebsocketConsumer):
    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        action = content.get("action")
        request_id = content.get("request_id")
        if action == "echo":
            await self.send_json(envelope("echo", {"message": content.get("message")}, request_id))
        elif action == "capabilities":
            await self.send_json(envelope(action, {"observer": True, "reason": ""}, request_id))
        else:
            await self.send_json(envelope(action, None, request_id, 405, [f'Method "{action}" not allowed.']))


def _retrieve(pk: Any) -> Any:
    return RowSerializer(Row.objects.get(pk=pk)).data


def _list() -> Any:
    return RowSerializer(Row.objects.filter(pk__lte=LIST_ROWS).order_by("pk"), many=True).data


class RowConsumer(AsyncJsonWebsocketConsumer):
    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        action = content.get("action")
        request_id = content.get("request_id")
        if action == "retrieve":
            data = await database_sync_to_async(_retrieve)(content.get("pk"))
        elif action == "list":
            data = await database_sync_to_async(_list)()
        else:
            await self.send_json(envelope(action, None, request_id, 405, [f'Method "{action}" not allowed.']))
            return
        await self.send_json(envelope(action, data, request_id))


INSTANCE_GROUP = f"row-{OBSERVED_PK}"
MODEL_GROUP = "rows"


def _row_saved(sender: Any, instance: Row, created: bool, **kwargs: Any) -> None:
    data = dict(RowSerializer(instance).data)
    kind = "create" if created else "update"

    def send() -> None:
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(f"row-{instance.pk}", {"type": "row.instance", "data": data, "kind": kind})
        async_to_sync(layer.group_send)(MODEL_GROUP, {"type": "row.model", "data": data, "kind": kind})

    transaction.on_commit(send)


post_save.connect(_row_saved, sender=Row, dispatch_uid="bench-floor-row-saved")


class ObserveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.instance_ids: list[Any] = []
        self.model_ids: list[Any] = []
        await self.accept()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        action = content.get("action")
        request_id = content.get("request_id")
        if action == "subscribe_instance":
            await self.channel_layer.group_add(f"row-{content.get('pk')}", self.channel_name)
            self.instance_ids.append(request_id)
            await self.send_json(envelope(action, None, request_id, 201))
        elif action == "subscribe_rows":
            await self.channel_layer.group_add(MODEL_GROUP, self.channel_name)
            self.model_ids.append(request_id)
            await self.send_json(envelope(action, None, request_id, 201))
        elif action == "bump":
            value = await database_sync_to_async(bump_row)(int(content.get("n", 1)))
            await self.send_json(envelope(action, {"value": value}, request_id))
        else:
            await self.send_json(envelope(action, None, request_id, 405, [f'Method "{action}" not allowed.']))

    async def row_instance(self, event: dict) -> None:
        for request_id in self.instance_ids:
            await self.send_json(envelope(event["kind"], event["data"], request_id))

    async def row_model(self, event: dict) -> None:
        for request_id in self.model_ids:
            await self.send_json(envelope("row_activity", event["data"], request_id))

    async def disconnect(self, code: int) -> None:
        if self.instance_ids:
            await self.channel_layer.group_discard(INSTANCE_GROUP, self.channel_name)
        if self.model_ids:
            await self.channel_layer.group_discard(MODEL_GROUP, self.channel_name)
