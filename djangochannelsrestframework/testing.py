"""A websocket client for testing consumers without a server.

``WebsocketClient`` drives an ASGI application in the test's event loop: a consumer class, a
consumer instance, an ``.as_asgi()`` application or the project's whole ASGI application (with
its routing and middleware)::

    from djangochannelsrestframework.testing import WebsocketClient

    async with WebsocketClient(NoteConsumer, user=alice) as client:
        reply = await client.call("retrieve", pk=1)
        assert reply.status == 200

``call`` sends an action with a fresh ``request_id`` and returns the reply carrying that id;
every other frame that arrives meanwhile (subscription events, replies to other requests) is
kept for ``event``, ``events`` and ``reply_to``.  Leaving the ``async with`` block disconnects
and fails the test if the server answered anything with a 5xx status, logged an error on the
``djangochannelsrestframework`` logger, or the application raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, cast
from urllib.parse import unquote

from channels.consumer import AsyncConsumer
from django.utils.module_loading import import_string

from . import codec
from .types import Message, RequestId, Scope

__all__ = [
    "DEFAULT_TIMEOUT",
    "QUIET_PERIOD",
    "ConnectionClosed",
    "HandshakeRefused",
    "Reply",
    "ServerError",
    "WebsocketClient",
]

#: Seconds to wait for a frame a test expects before failing.
DEFAULT_TIMEOUT = 5.0
#: Seconds without a frame after which nothing more is taken to be coming.
QUIET_PERIOD = 0.1

_LOGGER_NAME = "djangochannelsrestframework"
_AUTO: Any = object()
_ENVELOPE_ALIASES = {"status": "response_status"}


class Reply(dict[str, Any]):
    """One frame in the reply envelope; compares equal to the plain dict."""

    @property
    def data(self) -> Any:
        return self.get("data")

    @property
    def errors(self) -> list[Any]:
        return cast("list[Any]", self.get("errors") or [])

    @property
    def status(self) -> int | None:
        return cast("int | None", self.get("response_status"))

    @property
    def action(self) -> str | None:
        return cast("str | None", self.get("action"))

    @property
    def request_id(self) -> Any:
        return self.get("request_id")


class HandshakeRefused(AssertionError):
    """The application closed the connection instead of accepting it."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


class ConnectionClosed(AssertionError):
    """The server closed the connection while the test waited for a frame."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


class ServerError(AssertionError):
    """The server answered with a 5xx status or logged an error during the test."""


class _ErrorRecords(logging.Handler):
    """Collects the library's ERROR records while a client is connected."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _reason(error: Any) -> str:
    """One line saying why the server failed: a log record's message and exception, or a reply's errors."""
    if isinstance(error, logging.LogRecord):
        reason = (error.getMessage().splitlines() or [error.levelname])[0]
        exc = error.exc_info[1] if error.exc_info else None
        if exc is not None:
            detail = (str(exc).splitlines() or [""])[0]
            reason += f": {type(exc).__name__}: {detail}" if detail else f": {type(exc).__name__}"
        return reason
    return f"{error.get('response_status')} reply to {error.get('action')!r}: {error.get('errors')!r}"


def _application(target: Any) -> Any:
    if isinstance(target, str):
        target = import_string(target)
    if isinstance(target, type) and issubclass(target, AsyncConsumer):
        return cast("Any", target).as_asgi()
    if not callable(target):
        raise TypeError(f"Cannot test {target!r}: pass a consumer class or instance, or an ASGI application.")
    return target


def _headers(headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] | None) -> list[list[bytes]]:
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    encoded = []
    for name, value in items:
        raw_name = name if isinstance(name, bytes) else name.encode("latin-1")
        raw_value = value if isinstance(value, bytes) else value.encode("latin-1")
        encoded.append([raw_name.lower(), raw_value])
    return encoded


def _matches(frame: Any, match: Mapping[str, Any]) -> bool:
    if not isinstance(frame, dict):
        return False
    return all(key in frame and frame[key] == value for key, value in match.items())


def _envelope_keys(match: Mapping[str, Any]) -> dict[str, Any]:
    return {_ENVELOPE_ALIASES.get(key, key): value for key, value in match.items()}


def _shown(frames: Iterable[Any]) -> str:
    lines = [f"  {frame!r}" for frame in frames]
    return "\n".join(lines) if lines else "  (nothing)"


class WebsocketClient:
    """A connection to an ASGI websocket application, for tests.

    ``application`` is a consumer class, a consumer instance, an ASGI application (for example
    ``mysite.asgi.application``, with its routing and middleware) or the dotted path of one.
    ``path`` (with an optional ``?query``) is the path the application routes on; ``headers``
    (e.g. ``{"origin": "http://localhost"}`` for ``AllowedHostsOriginValidator``), ``user`` and
    ``session`` go into the connection's scope, and ``scope`` adds any other entry.

    Waiting methods fail after ``timeout`` seconds (default :data:`DEFAULT_TIMEOUT`).  Pass
    ``allow_server_errors=True`` to test how a consumer answers its own bugs.
    """

    def __init__(
        self,
        application: Any,
        path: str = "/ws/",
        *,
        headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] | None = None,
        user: Any = None,
        session: Any = None,
        scope: Mapping[str, Any] | None = None,
        subprotocols: Iterable[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        allow_server_errors: bool = False,
    ) -> None:
        self.application = _application(application)
        self.timeout = timeout
        self.allow_server_errors = allow_server_errors
        raw_path, _, query = path.partition("?")
        self.scope: Scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("latin-1"),
            "root_path": "",
            "query_string": query.encode("latin-1"),
            "headers": _headers(headers),
            "subprotocols": list(subprotocols),
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        if user is not None:
            self.scope["user"] = user
        if session is not None:
            self.scope["session"] = session
        self.scope.update(scope or {})
        #: Every frame received, in order (decoded JSON; ``bytes`` for binary frames).
        self.received: list[Any] = []
        #: The subprotocol the application accepted, once connected.
        self.subprotocol: str | None = None
        #: The close code once the server closed the connection (``None`` while open).
        self.close_code: int | None = None
        self._inbox: list[Any] = []
        self._inputs: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outputs: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[Any] | None = None
        self._connected = False
        self._server_closed = False
        self._next_id = 0
        self._used_ids: set[Any] = set()
        self._errors = _ErrorRecords()

    # -- connection ------------------------------------------------------------------------------

    async def __aenter__(self) -> WebsocketClient:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            await self.disconnect()
            self.raise_server_errors()
            return
        with contextlib.suppress(Exception):  # the test's own failure is the one to report
            await self.disconnect()
        report = self._server_error_report()
        if report and hasattr(exc, "add_note"):
            exc.add_note(report)

    async def connect(self, timeout: float | None = None) -> None:
        """Open the connection; raises :class:`HandshakeRefused` when the application refuses it."""
        if self._task is not None:
            raise RuntimeError("This client has already connected; make a new one for another connection.")
        logging.getLogger(_LOGGER_NAME).addHandler(self._errors)
        self._task = asyncio.ensure_future(self.application(self.scope, self._inputs.get, self._outputs.put))
        await self._inputs.put({"type": "websocket.connect"})
        message = await self._next_message(timeout)
        if message is None:
            self._stop_capturing()
            await self._cancel()
            raise AssertionError(
                f"The application did not accept or refuse the connection within {self._timeout(timeout)}s."
            )
        if message["type"] == "websocket.accept":
            self._connected = True
            self.subprotocol = message.get("subprotocol")
            return
        self._stop_capturing()
        code = message.get("code", 1000) if message["type"] == "websocket.close" else None
        self._server_closed = True
        self.close_code = code
        await self._inputs.put({"type": "websocket.disconnect", "code": code or 1000})
        await self._finish(self._timeout(None))
        raise HandshakeRefused(
            f"The application refused the websocket handshake ({message['type']}, close code {code}): a permission's "
            "can_connect returned False, connect() did not accept, the path matched no route, or "
            'AllowedHostsOriginValidator wants an "origin" header naming an allowed host.',
            code,
        )

    async def disconnect(self, code: int = 1000, timeout: float | None = None) -> None:
        """Close the connection and wait for the application to finish (cancelling it after ``timeout``)."""
        if self._task is None:
            return
        try:
            if not self._task.done():
                await self._inputs.put({"type": "websocket.disconnect", "code": code})
                await self._finish(self._timeout(timeout))
            self._collect_outputs()
            if not self._task.cancelled() and self._task.exception() is not None:
                raise cast("BaseException", self._task.exception())
        finally:
            self._connected = False
            self._stop_capturing()

    async def wait_closed(self, timeout: float | None = None) -> int | None:
        """Wait until the server closes the connection; returns the close code."""
        while not self._server_closed:
            message = await self._next_message(timeout)
            if message is None:
                raise AssertionError(f"The server did not close the connection within {self._timeout(timeout)}s.")
            self._take(message)
        return self.close_code

    # -- sending ---------------------------------------------------------------------------------

    async def send(self, content: Any) -> None:
        """Send a frame: ``str`` as text, ``bytes`` as binary, anything else encoded as JSON."""
        if not self._connected:
            raise AssertionError("The client is not connected.")
        if isinstance(content, bytes):
            await self._inputs.put({"type": "websocket.receive", "bytes": content})
        elif isinstance(content, str):
            await self._inputs.put({"type": "websocket.receive", "text": content})
        else:
            await self._inputs.put({"type": "websocket.receive", "text": codec.dumps(content)})

    async def call(
        self, action: str, /, *, request_id: RequestId = _AUTO, timeout: float | None = None, **arguments: Any
    ) -> Reply:
        """Call ``action`` with ``arguments`` and return its reply.

        The message gets a fresh ``request_id`` (1, 2, 3... skipping ids the test used itself)
        unless one is given.  Frames for other requests that arrive first are kept.
        """
        if request_id is _AUTO:
            request_id = self.new_request_id()
        else:
            self._remember_id(request_id)
        await self.send({"action": action, "request_id": request_id, **arguments})
        return await self.reply_to(request_id, timeout=timeout)

    def new_request_id(self) -> int:
        """A request id this client has not used yet."""
        self._next_id += 1
        while self._next_id in self._used_ids:
            self._next_id += 1
        self._used_ids.add(self._next_id)
        return self._next_id

    def _remember_id(self, request_id: RequestId) -> None:
        with contextlib.suppress(TypeError):  # unhashable ids cannot collide with the counter
            self._used_ids.add(request_id)

    # -- receiving -------------------------------------------------------------------------------

    async def reply_to(self, request_id: RequestId, timeout: float | None = None) -> Reply:
        """The first frame carrying ``request_id`` (kept or yet to come)."""
        return await self.event(request_id=request_id, timeout=timeout)

    async def event(self, *, timeout: float | None = None, **match: Any) -> Reply:
        """The first frame whose keys equal ``match`` (``action=``, ``request_id=``, ``status=``...).

        Frames kept earlier are searched first, in arrival order; other frames stay kept.
        """
        found = await self.events(1, timeout=timeout, **match)
        return found[0]

    async def events(self, count: int | None = None, *, timeout: float | None = None, **match: Any) -> list[Reply]:
        """``count`` frames matching ``match``, waiting up to ``timeout`` seconds for them all.

        Without ``count``: every matching frame that arrives until the connection has been quiet
        for ``timeout`` seconds (default :data:`QUIET_PERIOD`).
        """
        wanted = _envelope_keys(match)
        found: list[Reply] = []
        if count is None:
            quiet = QUIET_PERIOD if timeout is None else timeout
            found.extend(self._pop_matching(wanted, None))
            while True:
                message = await self._next_message(quiet, closed_ok=True)
                if message is None:
                    return found
                self._take(message)
                found.extend(self._pop_matching(wanted, None))
        deadline = asyncio.get_running_loop().time() + self._timeout(timeout)
        found.extend(self._pop_matching(wanted, count))
        while len(found) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            message = await self._next_message(max(remaining, 0.0)) if remaining > 0 else None
            if message is None:
                raise AssertionError(
                    f"Expected {count} frame(s) matching {wanted!r} within {self._timeout(timeout)}s, got "
                    f"{len(found)}.\nMatched:\n{_shown(found)}\nOther frames received and not consumed:\n"
                    f"{_shown(self._inbox)}"
                )
            self._take(message)
            found.extend(self._pop_matching(wanted, count - len(found)))
        return found

    async def receive(self, timeout: float | None = None) -> Any:
        """The next frame, kept or new, whatever it is."""
        if self._inbox:
            return self._inbox.pop(0)
        message = await self._next_message(timeout)
        if message is None:
            raise AssertionError(f"Expected a frame within {self._timeout(timeout)}s, got nothing.")
        self._take(message)
        return self._inbox.pop(0)

    async def assert_nothing_pending(self, timeout: float = QUIET_PERIOD) -> None:
        """Fail if a received frame was not consumed, or one arrives within ``timeout`` seconds."""
        while True:
            message = await self._next_message(timeout, closed_ok=True)
            if message is None:
                break
            self._take(message)
        if self._inbox:
            raise AssertionError(f"Frames were received and not consumed:\n{_shown(self._inbox)}")

    @property
    def pending(self) -> list[Any]:
        """Frames received and not consumed yet."""
        return list(self._inbox)

    # -- server errors ---------------------------------------------------------------------------

    @property
    def server_errors(self) -> list[Any]:
        """Frames with a 5xx ``response_status`` and the library's ERROR log records so far."""
        replies: list[Any] = [
            frame
            for frame in self.received
            if isinstance(frame, dict)
            and isinstance(frame.get("response_status"), int)
            and frame["response_status"] >= 500
        ]
        return replies + list(self._errors.records)

    def raise_server_errors(self) -> None:
        """Raise :class:`ServerError` if the server had errors (unless they are allowed)."""
        if self.allow_server_errors:
            return
        report = self._server_error_report()
        if report:
            raise ServerError(report)

    def _server_error_report(self) -> str:
        errors = self.server_errors
        if not errors:
            return ""
        # The first line is all pytest's short summary shows: it names each reason.
        reasons = [_reason(error) for error in errors if isinstance(error, logging.LogRecord)]
        reasons = reasons or [_reason(error) for error in errors]
        lines = [f"The server had unhandled errors during the test: {'; '.join(dict.fromkeys(reasons))}"]
        formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
        for error in errors:
            if isinstance(error, logging.LogRecord):
                lines.append(formatter.format(error))
            else:
                lines.append(f"reply {error!r}")
        return "\n".join(lines)

    # -- internals -------------------------------------------------------------------------------

    def _timeout(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    async def _next_message(self, timeout: float | None, closed_ok: bool = False) -> dict[str, Any] | None:
        """The application's next ASGI message, or ``None`` after ``timeout`` seconds of nothing."""
        if not self._outputs.empty():
            return self._outputs.get_nowait()
        if self._server_closed or self._task is None or self._task.done():
            self._raise_if_crashed()
            if closed_ok or self._task is None:
                return None
            raise ConnectionClosed(f"The server closed the connection (code {self.close_code}).", self.close_code)
        getter = asyncio.ensure_future(self._outputs.get())
        done, _ = await asyncio.wait(
            {getter, self._task}, timeout=self._timeout(timeout), return_when=asyncio.FIRST_COMPLETED
        )
        if getter in done:
            return getter.result()
        getter.cancel()
        if self._task.done():
            self._raise_if_crashed()
            if not self._outputs.empty():
                return self._outputs.get_nowait()
            if not closed_ok:
                raise ConnectionClosed("The application stopped without closing the connection.", None)
        return None

    def _raise_if_crashed(self) -> None:
        task = self._task
        if task is not None and task.done() and not task.cancelled() and task.exception() is not None:
            raise cast("BaseException", task.exception())

    def _take(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "websocket.send":
            text = message.get("text")
            frame: Any = message.get("bytes") if text is None else codec.loads(text)
            if isinstance(frame, dict):
                frame = Reply(frame)
            self.received.append(frame)
            self._inbox.append(frame)
        elif kind == "websocket.close":
            self._server_closed = True
            self.close_code = message.get("code", 1000)

    def _pop_matching(self, match: Mapping[str, Any], limit: int | None) -> list[Reply]:
        taken: list[Reply] = []
        kept: list[Any] = []
        for frame in self._inbox:
            if (limit is None or len(taken) < limit) and _matches(frame, match):
                taken.append(frame)
            else:
                kept.append(frame)
        self._inbox = kept
        return taken

    def _collect_outputs(self) -> None:
        while not self._outputs.empty():
            self._take(self._outputs.get_nowait())

    async def _finish(self, timeout: float) -> None:
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if not done:
            await self._cancel()
            raise AssertionError(f"The application did not stop within {timeout}s of the disconnect.")

    async def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _stop_capturing(self) -> None:
        logging.getLogger(_LOGGER_NAME).removeHandler(self._errors)
