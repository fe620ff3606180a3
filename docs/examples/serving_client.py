"""A client outside a browser: it names an allowed origin, as a browser would."""

import json

import websockets


async def greet(url: str, origin: str = "http://example.com") -> dict:
    async with websockets.connect(url, origin=origin) as ws:
        await ws.send(json.dumps({"action": "greet", "name": "Ada", "request_id": 1}))
        return json.loads(await ws.recv())
