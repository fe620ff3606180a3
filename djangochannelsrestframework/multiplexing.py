"""One websocket, many streams: frames ``{"stream": name, "payload": {...}}`` routed to a consumer per stream.

A drop-in for ``channelsmultiplexer`` (change the import)::

    from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer

    streams = AsyncJsonWebsocketDemultiplexer.as_asgi(items=ItemConsumer.as_asgi(), users=UserConsumer.as_asgi())
    application = URLRouter([path("ws/", streams)])

Each stream's consumer runs on the connection as if it had the socket to itself: it receives the
``payload`` alone, and every frame it sends reaches the client as ``{"stream": name, "payload": frame}``.
Consumers keep their own channel name, groups, permissions, detached tasks and subscriptions.

As with channelsmultiplexer, the socket is accepted when the first stream's consumer accepts
(:attr:`~AsyncJsonWebsocketDemultiplexer.wait_for_all_streams` waits for every stream instead), a
stream receives frames once its consumer accepted, and the socket closes when no accepted stream is
left.  channelsmultiplexer's hooks (``websocket_accept``, ``websocket_close``, ``websocket_send``,
``disconnect``, ``accept``, ``close``) are called at the same moments.  Unlike it, frames that cannot
be routed (not JSON, no envelope, an unknown or closed stream) get an error reply in the standard
envelope instead of an exception, and a consumer that crashes closes its stream with 1011.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from asgiref.compatibility import guarantee_single_callable
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ParseError, ValidationError

from . import codec
from ._engine.overrides import Hooks, overrides
from .consumers import envelope
from .exceptions import SERVER_ERROR_MESSAGE, MessageTooLarge, errors_for_exception
from .settings import api_settings
from .types import RequestId

logger = logging.getLogger("djangochannelsrestframework")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_COMPACT_START = '{"stream":"'
_NAME_START = len(_COMPACT_START)

#: Close code used when a stream's consumer crashed (or ended without closing its stream).
INTERNAL_ERROR_CLOSE_CODE = 1011
#: Frames held for a stream whose consumer has not answered the handshake yet; more get a 429.
MAX_HELD_FRAMES = 100


def stream_prefix(name: str) -> str:
    """The start of a frame of stream ``name``; the frame's payload text and ``}`` follow."""
    return '{"stream":' + codec.dumps(name) + ',"payload":'


class StreamNotReady(APIException):
    """Too many frames for a stream whose consumer has not accepted the connection yet."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many frames for a stream that has not accepted the connection yet."
    default_code = "stream_not_ready"


class Stream:
    """A route: one stream name and the ASGI application that serves it (as Starlette's ``Route``)."""

    __slots__ = ("app", "name", "prefix")

    def __init__(self, name: str, app: Any) -> None:
        self.name = name
        self.app: ASGIApp = guarantee_single_callable(app)  # type: ignore[no-untyped-call]
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
        self.subprotocol: str | None = None
        self.task: asyncio.Task[None] | None = None
        #: Frames (payload text, request_id) that arrived before the consumer answered the handshake.
        self.held: list[tuple[str, Any]] = []
        #: Set when the consumer let ``stream_accept_timeout`` pass without answering: frames get a 404.
        self.gave_up = False
        self._give_up_timer: asyncio.TimerHandle | None = None
        self._refusing: asyncio.Task[None] | None = None
        self._told_disconnect = False
        self._closing_stream: asyncio.Task[None] | None = None

    def start(self, scope: Scope, connect: Message) -> None:
        self.inbox.put_nowait(connect)
        self.task = asyncio.ensure_future(self.stream.app(dict(scope), self.inbox.get, self.send))
        self.task.add_done_callback(self._ended)

    def hold(self, text: str, request_id: RequestId) -> None:
        """Keep a frame until the consumer accepts; the first one starts the ``stream_accept_timeout`` clock."""
        self.held.append((text, request_id))
        timeout = self.demultiplexer.stream_accept_timeout
        if self._give_up_timer is None and timeout is not None:
            self._give_up_timer = asyncio.get_running_loop().call_later(timeout, self._give_up)

    def _give_up(self) -> None:
        if self.state is not _State.CONNECTING or self.demultiplexer.closing:
            return
        self.gave_up = True
        held, self.held = self.held, []
        detail = self.not_accepted_detail()
        self._refusing = asyncio.ensure_future(self.demultiplexer.refuse_held(self.stream, held, detail))

    def not_accepted_detail(self) -> str:
        return f"Stream {self.stream.name!r} has not accepted the connection."

    def _stop_clock(self) -> None:
        if self._give_up_timer is not None:
            self._give_up_timer.cancel()

    def tell_disconnect(self, message: Message) -> bool:
        """Pass a ``websocket.disconnect`` to the consumer, once; whether it was passed now."""
        if self._told_disconnect or self.task is None or self.task.done():
            return False
        self._told_disconnect = True
        self.inbox.put_nowait(message)
        return True

    async def send(self, message: Message) -> None:
        """The ``send`` callable the consumer gets: frames go out wrapped, handshake answers go to the hooks."""
        kind = message["type"]
        if kind == "websocket.send":
            if self.state is not _State.CLOSED:
                await self.demultiplexer.send_frame(self.stream, message)
            return
        if kind == "websocket.accept":
            if self.state is _State.CONNECTING:
                self.state = _State.OPEN
                self.subprotocol = message.get("subprotocol")
                for text, _ in self.held:  # before any later frame: the consumer reads its inbox in order
                    self.inbox.put_nowait({"type": "websocket.receive", "text": text})
                self.held.clear()
                self._stop_clock()
                await self.demultiplexer.websocket_accept(message, self.stream.name)
        elif kind == "websocket.close":
            await self.close(message)

    async def close(self, message: Message) -> None:
        """The consumer closed (or refused) its stream: tell it the stream is gone and run the close hook."""
        if self.state is _State.CLOSED:
            return
        self.state = _State.CLOSED
        self._stop_clock()
        code = message.get("code")
        self.tell_disconnect({"type": "websocket.disconnect", "code": code if code is not None else 1000})
        await self.demultiplexer.websocket_close(message, self.stream.name)
        held, self.held = self.held, []
        await self.demultiplexer.refuse_held(self.stream, held)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("Consumer of stream %r failed", self.stream.name, exc_info=task.exception())
        demultiplexer = self.demultiplexer
        if self.state is not _State.CLOSED and not demultiplexer.closing:
            closing = {"type": "websocket.close", "code": INTERNAL_ERROR_CLOSE_CODE}
            self._closing_stream = asyncio.ensure_future(self.close(closing))
        demultiplexer.stream_ended()


async def _not_serving(message: Message) -> None:
    raise RuntimeError("The demultiplexer is not serving a connection")


class AsyncJsonWebsocketDemultiplexer:
    """An ASGI application that serves several consumers over one websocket, one per stream name.

    Pass the streams to :meth:`as_asgi` (``name=Consumer.as_asgi()``), or set ``applications`` on a
    subclass as with ``channelsmultiplexer``.  Override :meth:`handle_exception` to change how frames
    that cannot be routed are answered, and channelsmultiplexer's hooks (:meth:`websocket_accept`,
    :meth:`websocket_close`, :meth:`websocket_send`, :meth:`disconnect`) as with it.
    """

    #: Stream name -> ASGI application, for subclasses that declare their streams.
    applications: Mapping[str, Any] = {}
    #: Seconds :meth:`disconnect` waits for the streams' consumers to finish before they are cancelled.
    application_close_timeout: float = 5
    #: Seconds a frame for a stream whose consumer has not accepted yet waits for it; then it, and
    #: every later frame until the consumer accepts, gets a 404 (``None``: wait as long as it takes).
    stream_accept_timeout: float | None = 5
    #: Accept the socket once every stream's consumer accepted (and close it when one refuses), instead
    #: of when the first accepts as channelsmultiplexer does.
    wait_for_all_streams: bool = False

    def __init__(self, **applications: Any) -> None:
        self._initkwargs = applications
        # Read for every outgoing frame: one attribute read instead of a call per frame.
        self._plain_send = not overrides(type(self), _WEBSOCKET_SEND)
        self.applications = {**self.applications, **applications}
        self.streams = {name: Stream(name, app) for name, app in self.applications.items()}
        self.sessions: dict[str, _StreamSession] = {}
        #: Streams whose consumer accepted and that take frames (channelsmultiplexer's name).
        self.applications_accepting_frames: set[str] = set()
        #: Set once the socket is closing or disconnected: no more frames go out.
        self.closing = False
        self.scope: Scope = {}
        self._send: Send = _not_serving
        self._served = False
        self._accept_sent = False
        self._accepted = False
        self._close_sent = False
        self._early_frames: list[tuple[Stream, Message]] = []
        self._size_limit = sys.maxsize
        self._disconnect_hook: asyncio.Task[None] | None = None

    @classmethod
    def as_asgi(cls, **applications: Any) -> ASGIApp:
        """An ASGI application that runs a new demultiplexer for each connection."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await cls(**applications)(scope, receive, send)

        app.consumer_class = cls  # type: ignore[attr-defined]
        app.consumer_initkwargs = applications  # type: ignore[attr-defined]
        return app

    @property
    def application_streams(self) -> dict[str, asyncio.Queue[Message]]:
        """Stream name -> the inbox its consumer reads (channelsmultiplexer's name)."""
        return {name: session.inbox for name, session in self.sessions.items()}

    @property
    def application_futures(self) -> dict[str, asyncio.Task[None]]:
        """Stream name -> the task running its consumer (channelsmultiplexer's name)."""
        return {name: session.task for name, session in self.sessions.items() if session.task is not None}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._served:  # one instance routed for every connection: each gets a demultiplexer of its own
            await type(self)(**self._initkwargs)(scope, receive, send)
            return
        if scope["type"] != "websocket":
            raise ValueError(f"{type(self).__name__} serves websockets, not {scope['type']!r} connections")
        self._served = True
        self.scope = {**scope, "demultiplexer_cls": type(self)}
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
        except asyncio.CancelledError:
            # The server gave up on the connection: end as if it had closed, after the consumers had
            # their disconnect (a while to clean up, as on a close) and were stopped.
            task = asyncio.current_task()
            if task is not None and hasattr(task, "uncancel"):
                task.uncancel()
            self.closing = True
            told = [
                s.task
                for s in self.sessions.values()
                if s.task is not None and s.tell_disconnect({"type": "websocket.disconnect", "code": 1006})
            ]
            if told:
                await asyncio.wait(told, timeout=self.application_close_timeout)
        finally:
            await self._stop_streams()

    async def _stop_streams(self) -> None:
        """Cancel the consumers still running (and a disconnect hook) and wait a while for them to end."""
        self.closing = True
        tasks: list[asyncio.Future[Any]] = [s.task for s in self.sessions.values() if s.task and not s.task.done()]
        if self._disconnect_hook is not None and not self._disconnect_hook.done():
            tasks.append(self._disconnect_hook)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=self.application_close_timeout)

    # -- handshake ------------------------------------------------------------------------------

    async def websocket_connect(self, message: Message) -> None:
        """Start every stream's consumer with the connect; their answers go to the accept and close hooks."""
        for name, stream in self.streams.items():
            session = self.sessions[name] = _StreamSession(stream, self)
            session.start(self.scope, message)

    async def websocket_accept(self, message: Message, stream_name: str) -> None:
        """A stream's consumer accepted: its stream takes frames, and the socket is accepted if it is the
        first (or, with :attr:`wait_for_all_streams`, the last)."""
        first = not self.applications_accepting_frames
        self.applications_accepting_frames.add(stream_name)
        if self.wait_for_all_streams:
            if all(session.state is _State.OPEN for session in self.sessions.values()):
                await self.accept(next((s.subprotocol for s in self.sessions.values() if s.subprotocol), None))
        elif first:
            await self.accept(message.get("subprotocol"))

    async def websocket_close(self, message: Message, stream_name: str) -> None:
        """A stream's consumer closed or refused: its stream takes no more frames, and the socket closes
        with its code when no stream is left accepting (or, with :attr:`wait_for_all_streams`, when it
        refused before the socket was accepted)."""
        self.applications_accepting_frames.discard(stream_name)
        if self.closing:
            return
        if not self.applications_accepting_frames or (self.wait_for_all_streams and not self._accept_sent):
            await self.close(message.get("code"))

    async def accept(self, subprotocol: str | None = None) -> None:
        """Accept the socket, then send the frames consumers sent before it."""
        if self._accept_sent or self.closing:
            return
        self._accept_sent = True
        await self._send({"type": "websocket.accept", "subprotocol": subprotocol})
        while self._early_frames:
            stream, frame = self._early_frames.pop(0)
            await self._deliver(stream, frame)
        self._accepted = True

    async def close(self, code: int | None = None) -> None:
        """Close the socket (once): refuse the handshake before it was accepted."""
        if self._close_sent:
            return
        self._close_sent = self.closing = True
        await self._send({"type": "websocket.close", "code": code if code is not None else 1000})

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
            if type(stream) is str and stream in self.applications_accepting_frames:
                session = self.sessions.get(stream)
                payload = content.get("payload")
                if session is not None and type(payload) is dict:
                    session.inbox.put_nowait({"type": "websocket.receive", "text": codec.dumps(payload)})
                    return
        await self._route_checked(text)

    def _session_of_compact_frame(self, text: str) -> _StreamSession | None:
        """The accepting stream a frame spelled exactly ``{"stream":"name","payload":...}`` is for (as
        ``JSON.stringify`` writes it), found without decoding the frame; else ``None``."""
        if not text.startswith(_COMPACT_START) or text[-1] != "}":
            return None
        name = text[_NAME_START : text.find('"', _NAME_START)]
        if name not in self.applications_accepting_frames:
            return None
        session = self.sessions.get(name)
        if session is None or not text.startswith(session.stream.prefix):
            return None
        return session

    async def _route_checked(self, text: str | None) -> None:
        """Route a frame the fast path declined, answering precisely what is wrong with it."""
        stream_name: str | None = None
        request_id: RequestId = None
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
            if stream_name not in self.applications_accepting_frames:
                if session.state is _State.CONNECTING and not self.closing:
                    # Its consumer has not answered yet: the frame waits for the accept (or gets a 404).
                    if session.gave_up:
                        raise NotFound(session.not_accepted_detail())
                    if len(session.held) >= MAX_HELD_FRAMES:
                        raise StreamNotReady(
                            f"Stream {stream_name!r} has not accepted the connection yet; "
                            f"at most {MAX_HELD_FRAMES} frames wait for it."
                        )
                    session.hold(codec.dumps(payload), request_id)
                    return
                if session.state is _State.OPEN:
                    raise NotFound(f"Stream {stream_name!r} is not accepting frames.")
                raise NotFound(f"Stream {stream_name!r} is closed.")
        except Exception as exc:
            await self.handle_exception(exc, stream_name, request_id)
            return
        session.inbox.put_nowait({"type": "websocket.receive", "text": codec.dumps(payload)})

    async def refuse_held(self, stream: Stream, held: list[tuple[str, Any]], detail: str | None = None) -> None:
        """Answer the frames held for a stream whose consumer closed (or never answered) before accepting them."""
        for _, request_id in held:
            if self.closing:
                return
            refusal = NotFound(detail or f"Stream {stream.name!r} is closed.")
            await self.handle_exception(refusal, stream.name, request_id)

    async def handle_exception(self, exc: Exception, stream: str | None, request_id: RequestId) -> None:
        """Reply to a frame that could not be routed, inside its stream's envelope when it named a known one."""
        mapped = errors_for_exception(exc)
        if mapped is None:
            logger.error("Unhandled exception while demultiplexing a frame", exc_info=exc)
            errors, status_code = [SERVER_ERROR_MESSAGE], 500
        else:
            errors, status_code = mapped
        text = codec.dumps(envelope(action=None, errors=errors, status=status_code, request_id=request_id))
        if stream is not None:
            known = self.streams.get(stream)
            text = known.wrap(text) if known is not None else stream_prefix(stream) + text + "}"
        await self._send({"type": "websocket.send", "text": text})

    # -- frames from the consumers --------------------------------------------------------------

    async def send_frame(self, stream: Stream, message: Message) -> None:
        """Send a consumer's frame to the client in its stream's envelope (held back until the socket is accepted)."""
        if self._accepted and not self.closing:
            text = message.get("text")
            if self._plain_send and text is not None:
                await self._send({"type": "websocket.send", "text": stream.wrap(text)})
                return
            await self._deliver(stream, message)
        elif not self.closing:
            self._early_frames.append((stream, message))

    async def _deliver(self, stream: Stream, message: Message) -> None:
        if self._plain_send:
            await self._send(self._wrapped(stream, message))
        else:
            await self.websocket_send(message, stream.name)

    async def websocket_send(self, message: Message, stream_name: str) -> None:
        """Send a consumer's ``websocket.send`` to the client inside its stream's envelope
        (channelsmultiplexer's hook: override it to change frames on their way out)."""
        text = message.get("text")
        if text is None:  # a binary frame has no JSON to wrap; it goes through as sent
            await self._send(message)
            return
        stream = self.streams.get(stream_name)
        prefix = stream.prefix if stream is not None else stream_prefix(stream_name)
        await self._send({"type": "websocket.send", "text": prefix + text + "}"})

    async def send_json(self, content: Any, close: bool = False) -> None:
        """Send ``content`` to the client as a JSON text frame (for hooks), then close if asked."""
        await self._send({"type": "websocket.send", "text": codec.dumps(content)})
        if close:
            await self.close()

    @staticmethod
    def _wrapped(stream: Stream, message: Message) -> Message:
        text = message.get("text")
        if text is None:  # a binary frame has no JSON to wrap; it goes through as sent
            return message
        return {"type": "websocket.send", "text": stream.wrap(text)}

    # -- disconnect -----------------------------------------------------------------------------

    async def websocket_disconnect(self, message: Message) -> None:
        """Pass the disconnect to every consumer still running, then run :meth:`disconnect`; it is
        cancelled once every consumer has ended (as channelsmultiplexer does)."""
        self.closing = True
        for session in self.sessions.values():
            session.tell_disconnect(message)
        hook = self._disconnect_hook = asyncio.ensure_future(self.disconnect(message.get("code", 1000)))
        await asyncio.wait([hook])
        if not hook.cancelled() and hook.exception() is not None:
            logger.error("The demultiplexer's disconnect hook failed", exc_info=hook.exception())

    async def disconnect(self, code: int) -> None:
        """Wait up to :attr:`application_close_timeout` seconds for the streams' consumers to finish."""
        tasks = [s.task for s in self.sessions.values() if s.task is not None and not s.task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=self.application_close_timeout)

    def stream_ended(self) -> None:
        """A consumer ended: once all have, a :meth:`disconnect` still running is cancelled."""
        hook = self._disconnect_hook
        if (
            hook is not None
            and not hook.done()
            and all(s.task is None or s.task.done() for s in self.sessions.values())
        ):
            hook.cancel()


__all__ = [
    "INTERNAL_ERROR_CLOSE_CODE",
    "MAX_HELD_FRAMES",
    "ASGIApp",
    "AsyncJsonWebsocketDemultiplexer",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "Stream",
    "StreamNotReady",
    "stream_prefix",
]
#: The hook whose default lets outgoing frames take a shorter path than :meth:`websocket_send`.
_WEBSOCKET_SEND = Hooks(AsyncJsonWebsocketDemultiplexer, "websocket_send")
