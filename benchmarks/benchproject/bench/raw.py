"""A raw ASGI websocket echo: no channels, no consumer, no dispatch loop; the same envelope as the
framework's echo action, encoded with orjson.  The limit the action path is compared with."""

from __future__ import annotations

from typing import Any

import orjson


def _frame(action: Any, data: Any, request_id: Any, status: int = 200, errors: Any = ()) -> str:
    envelope = {
        "errors": list(errors),
        "data": data,
        "action": action,
        "response_status": status,
        "request_id": request_id,
    }
    return orjson.dumps(envelope).decode()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    while True:
        event = await receive()
        kind = event["type"]
        if kind == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif kind == "websocket.disconnect":
            return
        elif kind == "websocket.receive":
            content = orjson.loads(event.get("text") or event.get("bytes") or b"{}")
            action, request_id = content.get("action"), content.get("request_id")
            if action == "echo":
                text = _frame("echo", {"message": content.get("message")}, request_id)
            elif action == "capabilities":
                text = _frame(action, {"observer": False, "reason": "raw ASGI echo"}, request_id)
            else:
                text = _frame(action, None, request_id, 405, [f'Method "{action}" not allowed.'])
            await send({"type": "websocket.send", "text": text})
