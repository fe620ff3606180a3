"""One websocket, many streams: frames ``{"stream": name, "payload": {...}}`` routed to a consumer per stream.

A drop-in for ``channelsmultiplexer`` (change the import)::

    from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer

    streams = AsyncJsonWebsocketDemultiplexer.as_asgi(items=ItemConsumer.as_asgi(), users=UserConsumer.as_asgi())
    application = URLRouter([path("ws/", streams)])

Each stream's consumer runs on the connection as if it had the socket to itself: it receives the
``payload`` alone, and every frame it sends reaches the client as ``{"stream": name, "payload": frame}``.
Consumers keep their own channel name, groups, permissions, detached tasks and subscriptions.

The socket is accepted once every stream's consumer accepted, and closed with a consumer's close code
when one refuses.  Frames the demultiplexer cannot route (not JSON, no envelope, an unknown or closed
stream) get an error reply in the standard envelope, wrapped in ``{"stream": ...}`` when the frame
names a stream; the socket stays open.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, ClassVar

from rest_framework.exceptions import NotFound, ParseError, ValidationError

from . import codec
from .consumers import envelope
from .exceptions import SERVER_ERROR_MESSAGE, MessageTooLarge, errors_for_exception
from .settings import api_settings

logger = logging.getLogger("djangochannelsrestframework")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_COMPACT_START = '{"stream":"'
_NAME_START = len(_COMPACT_START)

#: Close code used when a stream's consumer crashed before answering the handshake.
INTERNAL_ERROR_CLOSE_CODE = 1011


def stream_prefix(name: str) -> str:
    """The start of a frame of stream ``name``; the frame's payload text and ``}`` follow."""
    return '{"stream":' + codec.dumps(name) + ',"payload":'


class Stream:
    """A route: one stream name and the ASGI application that serves it (as Starlette's ``Route``)."""

    __slots__ = ("app", "name", "prefix")

    def __init__(self, name: str, app: Any) -> None:
        self.name = name
        self.app: ASGIApp = app
        #: How the stream's frames start, up to the payload.
        self.prefix = stream_prefix(name)

    def wrap(self, frame: str) -> str:
        """``frame`` (a JSON text) inside this stream's envelope, spliced without decoding it again."""
        return self.prefix + frame + "}"


class _State(enum.Enum):
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSED = "closed"


class _StreamSession:
    """One stream's consumer on one connection: its inbox, its task and where its handshake stands."""

    def __init__(self, stream: Stream, demultiplexer: AsyncJsonWebsocketDemultiplexer) -> None:
        self.stream = stream
        self.demultiplexer = demultiplexer
        self.state = _State.CONNECTING
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        #: Resolves with ``None`` when the consumer accepts, or with its close code when it refuses.
        self.answer: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self.subprotocol: str | None = None
        self.task: asyncio.Task[None] | None = None
        self._closing_socket: asyncio.Task[None] | None = None

    def start(self, scope: Scope, connect: Message) -> None:
        self.inbox.put_nowait(connect)
        self.task = asyncio.ensure_future(self.stream.app(dict(scope), self.inbox.get, self.send))
        self.task.add_done_callback(self._ended)

    async def send(self, message: Message) -> None:
        """The ``send`` callable the consumer gets: handshake answers are noted, frames wrapped."""
        kind = message["type"]
        if kind == "websocket.send":
            if self.state is _State.OPEN:
                await self.demultiplexer.send_frame(self.stream, message)
            return
        if kind == "websocket.accept":
            if self.state is _State.CONNECTING:
                self.state = _State.OPEN
                self.subprotocol = message.get("subprotocol")
                self._answer(None)
        elif kind == "websocket.close":
            await self._closed(int(message.get("code") or 1000))

    async def _closed(self, code: int) -> None:
        if self.state is _State.CLOSED:
            return
        was_open = self.state is _State.OPEN
        self.state = _State.CLOSED
        self._answer(code)
        if was_open:
            # The consumer closed its stream: tell it the stream is gone so it cleans up and ends.
            self.inbox.put_nowait({"type": "websocket.disconnect", "code": code})
            await self.demultiplexer.stream_closed(code)

    def _answer(self, code: int | None) -> None:
        if not self.answer.done():
            self.answer.set_result(code)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("Consumer of stream %r failed", self.stream.name, exc_info=task.exception())
        if self.state is not _State.CLOSED:
            was_open = self.state is _State.OPEN
            self.state = _State.CLOSED
            self._answer(INTERNAL_ERROR_CLOSE_CODE)
            if was_open:
                self._closing_socket = asyncio.ensure_future(
                    self.demultiplexer.stream_closed(INTERNAL_ERROR_CLOSE_CODE)
                )


class AsyncJsonWebsocketDemultiplexer:
    """An ASGI application that serves several consumers over one websocket, one per stream name.

    Pass the streams to :meth:`as_asgi` (``name=Consumer.as_asgi()``), or set ``applications`` on a
    subclass as with ``channelsmultiplexer``.  Override :meth:`handle_exception` to change how frames
    that cannot be routed are answered.
    """

    #: Stream name -> ASGI application, for subclasses that declare their streams.
    applications: ClassVar[Mapping[str, Any]] = {}
    #: Seconds to wait on disconnect for the streams' consumers to finish before cancelling them.
    application_close_timeout: float = 5

    def __init__(self, **applications: Any) -> None:
        self.streams = {name: Stream(name, app) for name, app in {**self.applications, **applications}.items()}
        self.sessions: dict[str, _StreamSession] = {}
        self.scope: Scope = {}
        self._send: Send | None = None
        self._accepted = False
        self._closing = False
        self._early_frames: list[tuple[Stream, Message]] = []
        self._size_limit = sys.maxsize

    @classmethod
    def as_asgi(cls, **applications: Any) -> ASGIApp:
        """An ASGI application that runs a new demultiplexer for each connection."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await cls(**applications)(scope, receive, send)

        app.consumer_class = cls  # type: ignore[attr-defined]
        app.consumer_initkwargs = applications  # type: ignore[attr-defined]
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            raise ValueError(f"{type(self).__name__} serves websockets, not {scope['type']!r} connections")
        self.scope = scope
        self._send = send
        limit = api_settings.MAX_MESSAGE_SIZE
        self._size_limit = limit if limit is not None else sys.maxsize
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.connect":
                    await self.websocket_connect(message)
                elif kind == "websocket.receive":
                    await self.websocket_receive(message)
                elif kind == "websocket.disconnect":
                    await self.websocket_disconnect(message)
                    return
        finally:
            for session in self.sessions.values():
                if session.task is not None and not session.task.done():
                    session.task.cancel()

    # -- handshake ------------------------------------------------------------------------------

    async def websocket_connect(self, message: Message) -> None:
        """Start every stream's consumer; accept once all accepted, or close as the first that refused."""
        for name, stream in self.streams.items():
            session = self.sessions[name] = _StreamSession(stream, self)
            session.start(self.scope, message)
        pending = {session.answer for session in self.sessions.values()}
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for answer in done:
                code = answer.result()
                if code is not None:
                    self._closing = True
                    await self._downstream({"type": "websocket.close", "code": code})
                    return
        subprotocol = next((s.subprotocol for s in self.sessions.values() if s.subprotocol), None)
        await self._downstream({"type": "websocket.accept", "subprotocol": subprotocol})
        while self._early_frames:
            stream, frame = self._early_frames.pop(0)
            await self._downstream(self._wrapped(stream, frame))
        self._accepted = True

    # -- frames from the client -----------------------------------------------------------------

    async def websocket_receive(self, message: Message) -> None:
        """Hand a frame's payload to its stream's consumer, or answer why it cannot be routed."""
        text = message.get("text")
        if text is not None and len(text) <= self._size_limit:
            session = self._session_of_compact_frame(text)
            if session is not None:
                # {"stream":"name","payload":P}: P's own text goes to the consumer, not re-encoded.
                session.inbox.put_nowait({"type": "websocket.receive", "text": text[len(session.stream.prefix) : -1]})
                return
            # Other spellings of a routine frame: decode, then re-encode the payload.
            try:
                content = codec.loads(text)
            except ValueError:
                content = None
            stream = content.get("stream") if type(content) is dict else None
            if type(stream) is str:
                session = self.sessions.get(stream)
                payload = content.get("payload")
                if session is not None and type(payload) is dict and session.state is _State.OPEN:
                    session.inbox.put_nowait({"type": "websocket.receive", "text": codec.dumps(payload)})
                    return
        await self._route_checked(text)

    def _session_of_compact_frame(self, text: str) -> _StreamSession | None:
        """The open stream a frame spelled exactly ``{"stream":"name","payload":...}`` is for (as
        ``JSON.stringify`` writes it), found without decoding the frame; else ``None``."""
        if not text.startswith(_COMPACT_START) or text[-1] != "}":
            return None
        session = self.sessions.get(text[_NAME_START : text.find('"', _NAME_START)])
        if session is None or session.state is not _State.OPEN or not text.startswith(session.stream.prefix):
            return None
        return session

    async def _route_checked(self, text: str | None) -> None:
        """Route a frame the fast path declined, answering precisely what is wrong with it."""
        stream_name: str | None = None
        request_id: Any = None
        try:
            if text is None:
                raise ParseError("Binary frames are not supported; send a JSON object as a text frame.")
            limit = api_settings.MAX_MESSAGE_SIZE
            if limit is not None and len(text) > limit:
                raise MessageTooLarge(f"Message is too large; the limit is {limit} characters.")
            try:
                content = codec.loads(text)
            except ValueError as exc:
                raise ParseError(f"Malformed JSON: {exc}") from None
            if not isinstance(content, dict):
                raise ParseError('Message must be a JSON object {"stream": ..., "payload": {...}}.')
            stream_name = content.get("stream")
            if not isinstance(stream_name, str):
                stream_name = None
                raise ValidationError({"stream": ["The name of a stream is required."]})
            payload = content.get("payload")
            if isinstance(payload, dict):
                request_id = payload.get("request_id")
            session = self.sessions.get(stream_name)
            if session is None:
                raise NotFound(f"Unknown stream {stream_name!r}; the streams are: {', '.join(self.streams)}.")
            if "payload" not in content:
                raise ValidationError({"payload": ["The message for the stream is required."]})
            if session.state is not _State.OPEN:
                raise NotFound(f"Stream {stream_name!r} is closed.")
        except Exception as exc:
            await self.handle_exception(exc, stream_name, request_id)
            return
        session.inbox.put_nowait({"type": "websocket.receive", "text": codec.dumps(payload)})

    async def handle_exception(self, exc: Exception, stream: str | None, request_id: Any) -> None:
        """Reply to a frame that could not be routed, inside its stream's envelope when it named a known one."""
        mapped = errors_for_exception(exc)
        if mapped is None:
            logger.error("Unhandled exception while demultiplexing a frame", exc_info=exc)
            errors, status = [SERVER_ERROR_MESSAGE], 500
        else:
            errors, status = mapped
        text = codec.dumps(envelope(action=None, errors=errors, status=status, request_id=request_id))
        if stream is not None:
            known = self.streams.get(stream)
            text = known.wrap(text) if known is not None else stream_prefix(stream) + text + "}"
        await self._downstream({"type": "websocket.send", "text": text})

    # -- frames from the consumers --------------------------------------------------------------

    async def send_frame(self, stream: Stream, message: Message) -> None:
        """Send a consumer's frame to the client in its stream's envelope (held back until the socket is accepted)."""
        if self._accepted and not self._closing and self._send is not None:
            text = message.get("text")
            if text is not None:
                await self._send({"type": "websocket.send", "text": stream.wrap(text)})
                return
        if self._closing:
            return
        if not self._accepted:
            self._early_frames.append((stream, message))
            return
        await self._downstream(self._wrapped(stream, message))

    @staticmethod
    def _wrapped(stream: Stream, message: Message) -> Message:
        text = message.get("text")
        if text is None:  # a binary frame has no JSON to wrap; it goes through as sent
            return message
        return {"type": "websocket.send", "text": stream.wrap(text)}

    async def stream_closed(self, code: int) -> None:
        """A consumer closed its stream after accepting; the socket closes when no stream is left open."""
        if self._closing or any(s.state is not _State.CLOSED for s in self.sessions.values()):
            return
        self._closing = True
        await self._downstream({"type": "websocket.close", "code": code})

    # -- disconnect -----------------------------------------------------------------------------

    async def websocket_disconnect(self, message: Message) -> None:
        """Pass the disconnect to every consumer still running and wait (a while) for them to clean up."""
        self._closing = True
        tasks = []
        for session in self.sessions.values():
            if session.task is not None and not session.task.done():
                session.inbox.put_nowait(message)
                tasks.append(session.task)
        if tasks:
            await asyncio.wait(tasks, timeout=self.application_close_timeout)

    async def _downstream(self, message: Message) -> None:
        if self._send is None:
            raise RuntimeError("The demultiplexer is not serving a connection")
        await self._send(message)
