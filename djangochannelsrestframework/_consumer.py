"""Where :class:`AsyncAPIConsumer` is defined; import it from :mod:`djangochannelsrestframework.consumers`.

It lives below the generic and view consumers that subclass it, so that ``consumers`` (DCRF's
module) can offer all of them without an import circle; its classes say ``consumers`` is their
module, so reprs, checks and the documentation name that path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, ClassVar

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import MethodNotAllowed, ParseError, PermissionDenied, ValidationError

from . import codec, throttling
from ._engine import memory
from ._engine.arguments import action_plan, bind_arguments, lookup_key
from ._engine.cancellation import cancellable
from ._engine.fanout import Inbox, fanout_for
from ._engine.housekeeping import DEFAULT_INTERVAL, housekeeping
from ._engine.layer_resilience import note_layer_failure, resilient_receive
from ._engine.logs import debug_clock, debug_enabled, log_action, log_connection, log_refusal, warn_invalid_result
from ._engine.observer_groups import is_observer_group
from ._engine.overrides import Hooks, forget, overrides
from ._engine.send_guard import guarded_send
from ._engine.user_recheck import recheck_user
from .exceptions import (
    NO_CHANNEL_LAYER_MESSAGE,
    SERVER_ERROR_MESSAGE,
    ActionMissingException,
    ChannelLayerUnavailable,
    InvalidActionResult,
    MessageTooLarge,
    TooManyDetachedTasks,
    TooManySubscriptions,
    errors_for_exception,
)
from .limits import TOO_MANY_CONNECTIONS_CLOSE_CODE, ConnectionLimitReached, Slot, acquire, release, user_key
from .permissions import AllowAny, call_permission, instantiate_permission
from .settings import SettingDefault, api_settings
from .types import Envelope, Message, RequestId, Scope

logger = logging.getLogger("djangochannelsrestframework")

#: Keys the framework passes to actions itself; a client cannot set them.
_INJECTED = frozenset({"action", "request_id"})
_INJECTED_DETAIL = _INJECTED | {"instance"}
#: Message keys that can never be keyword arguments.
_RESERVED_KEYS = frozenset({"self"})
#: ``cancel_detached_tasks``' default request id: the tasks of every request.
ANY_REQUEST_ID = object()


def _without_covered_bases(bases: tuple[type, ...]) -> tuple[type, ...]:
    """``bases`` without each class that a later base already subclasses.

    ``(ListModelMixin, ListSubscriptionMixin, ...)`` has no consistent method resolution order,
    since a class must come before its parents; ``ListSubscriptionMixin`` brings ``ListModelMixin``
    anyway, so dropping the earlier listing keeps what the class means.
    """
    return tuple(
        base
        for index, base in enumerate(bases)
        if not any(later is not base and issubclass(later, base) for later in bases[index + 1 :])
    )


class APIConsumerMetaclass(type):
    """Collects the methods marked with ``@action`` into ``available_actions`` (wire name -> method name).

    It also accepts the mixins in any order: a mixin listed before a mixin that subclasses it
    (``RetrieveModelMixin`` before ``ObserverModelInstanceMixin``, ``ListModelMixin`` before
    ``ListSubscriptionMixin``) is taken as listed where its subclass is, instead of Python's
    "Cannot create a consistent method resolution order" ``TypeError``.
    """

    __module__ = "djangochannelsrestframework.consumers"

    def __setattr__(cls, name: str, value: Any) -> None:
        # A method set on a consumer class after it served (a test's mock.patch.object) must not be
        # skipped by a fast path that read the class before.
        super().__setattr__(name, value)
        forget(cls)

    def __delattr__(cls, name: str) -> None:
        super().__delattr__(name)
        forget(cls)

    def __new__(mcs, name: str, bases: tuple[type, ...], body: dict[str, Any], **kwargs: Any) -> APIConsumerMetaclass:
        if "__module__" not in body:
            # type(name, bases, body) names the module of the frame calling type.__new__: the caller's,
            # not this one.
            body = {"__module__": sys._getframe(1).f_globals.get("__name__", "builtins"), **body}
        try:
            return super().__new__(mcs, name, bases, body, **kwargs)
        except TypeError as exc:
            if "consistent method resolution" not in str(exc):
                raise
            error = exc
        kept = _without_covered_bases(bases)
        if kept != bases:
            try:
                return super().__new__(mcs, name, kept, body, **kwargs)
            except TypeError as exc:
                if "consistent method resolution" not in str(exc):
                    raise
                error = exc
        listed = ", ".join(base.__name__ for base in bases)
        raise TypeError(
            f"{name}({listed}): these bases have no consistent method resolution order "
            f"({' '.join(str(error).split())}). "
            "List each mixin before the classes it builds on: mixins first, "
            "GenericAsyncAPIConsumer (or AsyncAPIConsumer) last."
        ) from None

    def __init__(cls, name: str, bases: tuple[type, ...], body: dict[str, Any]) -> None:
        super().__init__(name, bases, body)
        actions: dict[str, str] = {}
        for attr in dir(cls):
            if attr.startswith("__"):
                continue
            member = getattr(cls, attr, None)
            if getattr(member, "action", False) is True:
                wire_name = (getattr(member, "kwargs", None) or {}).get("name", attr)
                actions[wire_name] = attr
        cls.available_actions = actions


class AsyncAPIConsumer(AsyncJsonWebsocketConsumer, metaclass=APIConsumerMetaclass):
    """A websocket consumer whose ``@action`` methods clients call by name, like a DRF ViewSet.

    Override ``permission_classes`` to guard it, ``get_permissions`` to choose them per
    action, and ``handle_exception`` to change how errors look on the wire.
    """

    __module__ = "djangochannelsrestframework.consumers"

    permission_classes: Any = SettingDefault("DEFAULT_PERMISSION_CLASSES")
    throttle_classes: Any = SettingDefault("DEFAULT_THROTTLE_CLASSES")
    available_actions: ClassVar[dict[str, str]]
    groups: Any = {}
    #: Seconds between two closings of stale database connections before a handler (process-wide);
    #: 0 closes them before every message, as channels does.  See :mod:`.housekeeping`.
    connection_housekeeping_interval: float = DEFAULT_INTERVAL
    #: Whether this connection logs its actions at DEBUG (see :mod:`.logs`).
    _log_debug = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = set(self.groups or [])
        self._permissions_cache: tuple[Any, list[Any]] | None = None
        # One handler at a time per socket, whether a frame, a layer event or an observer event
        # delivered by the process fan-out (_engine/fanout.py); others wait in order.
        self._inbox = Inbox(self, self._handle_message)
        self._user_slot: Slot | None = None  # counted by MAX_CONNECTIONS_PER_USER

    # Made on first use (cached_property keeps them in the instance): most connections never
    # start a detached task or subscribe, and a server holds these for every open socket.

    @functools.cached_property
    def detached_tasks(self) -> defaultdict[str, list[asyncio.Task[Any]]]:
        """This connection's running detached tasks, by function name."""
        return defaultdict(list)

    @functools.cached_property
    def _detached_request_ids(self) -> dict[asyncio.Task[Any], Any]:
        return {}

    @functools.cached_property
    def _observer_group_to_request_id(self) -> defaultdict[str, defaultdict[str, set[Any]]]:
        return defaultdict(_request_id_table)

    # -- dispatch --------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Serve one socket: channels' ``AsyncConsumer.__call__`` (scope, channel layer, ``base_send``,
        ``StopConsumer`` ends it) with a cheaper loop: see :meth:`_serve`."""
        memory.connections.opened()
        try:
            self._start_connection()
            self.scope = scope
            self.channel_layer = get_channel_layer(self.channel_layer_alias)
            if self.channel_layer is not None:
                self.channel_name = await self.channel_layer.new_channel()
                self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            self.base_send = send
            await self._serve(receive)
        except StopConsumer:
            pass
        finally:
            memory.connections.closed()  # may schedule a trim (TRIM_MEMORY_AFTER_CLOSE), never run it here
            if not self._inbox.closed and any(is_observer_group(name) for name in self.groups):
                # ended without websocket.disconnect (its app failed): leave the process's observer groups
                await self._inbox.leave_all()

    def _start_connection(self) -> None:
        """Forget what an earlier connection left: DCRF-style routing that passes a consumer instance
        (``ThingConsumer()``, e.g. to channelsmultiplexer) serves one connection after another with it."""
        self._inbox.reopen()
        self._permissions_cache = None
        for table in self.__dict__.get("_observer_group_to_request_id", {}).values():
            table.clear()  # in place: ObserverConsumerMixin.subscribed_requests is one of them

    async def _serve(self, receive: Any) -> None:
        """Dispatch the socket's messages and, with a channel layer, the layer's, one handler at a time.

        Channels' loop starts a task and an ``asyncio.wait`` for every message.  Here the socket is
        read in this task and the layer by one long-lived task, each running its messages' handlers
        itself; ``dispatch`` takes the socket's handler lock, so handlers never overlap and each source keeps
        its order.  Like channels, a reader holds at most one message it has not handled, and the
        first exception out of either (``StopConsumer`` included) ends both."""
        dispatch = self.dispatch
        if self.channel_layer is None:
            while True:
                await dispatch(await receive())
        serving = asyncio.current_task()
        assert serving is not None
        layer_reader = asyncio.ensure_future(self._read_layer(serving))
        try:
            while True:
                await dispatch(await receive())
        except asyncio.CancelledError:
            if layer_reader.done() and not layer_reader.cancelled():  # it ended and cancelled us
                uncancel = getattr(serving, "uncancel", None)  # Python 3.11+
                if uncancel is not None:
                    uncancel()
                layer_reader.result()  # raises StopConsumer, or the error, as channels does
            raise
        finally:
            if not layer_reader.done():
                layer_reader.cancel()
                await asyncio.wait([layer_reader])
            elif not layer_reader.cancelled():
                layer_reader.exception()  # retrieved: raised above, or superseded by this task's own

    async def _read_layer(self, serving: asyncio.Task[Any]) -> None:
        """Dispatch the channel layer's messages; when one ends it, stop ``serving`` (the socket's
        reader) at once, before it can start another handler."""
        dispatch = self.dispatch
        receive = self.channel_receive
        try:
            while True:
                await dispatch(await receive())
        except asyncio.CancelledError:
            raise
        except BaseException:
            if not serving.done():
                serving.cancel()
            raise

    async def dispatch(self, message: Message) -> None:
        """Run the handler of a message, then the observer events that arrived meanwhile."""
        inbox = self._inbox
        async with inbox.lock:
            await self._handle_message(message)
            if inbox.pending:
                await inbox.drain()

    async def _handle_message(self, message: Message) -> None:
        """Run the handler of a message, closing stale database connections first only when it is
        due (rate-limited, or after a database error) instead of before every message."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        if housekeeping.needed(self.connection_housekeeping_interval):
            await housekeeping.run()
        if not message["type"].startswith("websocket."):
            await recheck_user(self.scope, message)  # an event: deliver it as the user is now
        try:
            await handler(message)
        except StopConsumer:
            raise
        except Exception as exc:
            housekeeping.note_exception(exc)
            raise

    @property
    def channel_receive(self) -> Any:
        """Channels' read of this consumer's channel-layer inbox, kept alive through layer outages."""
        return self._channel_receive

    @channel_receive.setter
    def channel_receive(self, receive: Any) -> None:
        self._channel_receive = resilient_receive(self, receive)

    @property
    def base_send(self) -> Any:
        """The ASGI send of this socket, giving up on a client that stopped reading (:mod:`.send_guard`)."""
        return self._base_send

    @base_send.setter
    def base_send(self, send: Any) -> None:
        self._base_send = guarded_send(self, send)

    # -- connection ------------------------------------------------------------------------------

    async def websocket_connect(self, message: Message) -> None:
        """Refuse the handshake unless every permission's ``can_connect`` allows it."""
        self._log_debug = debug_enabled()  # read once per connection: the action path stays cheap
        log_connection(self, "connect")
        try:
            allowed = await self._can_connect(message)
        except Exception:
            logger.exception("Error in can_connect; refusing the connection")
            allowed = False
        if not allowed:
            await self.close()
            return
        try:
            self._user_slot = await acquire(user_key(self.scope), getattr(self, "channel_name", None))
        except ConnectionLimitReached as refused:
            await self.accept()
            await self.reply(action="connect", errors=[str(refused)], status=429)
            await self.close(code=TOO_MANY_CONNECTIONS_CLOSE_CODE)
            return
        try:
            await super().websocket_connect(message)
        except PermissionDenied:
            log_connection(self, "refuse", " by PermissionDenied in connect()")
            await self.close()

    async def accept(self, *args: Any, **kwargs: Any) -> None:
        log_connection(self, "accept")
        await super().accept(*args, **kwargs)

    async def _can_connect(self, message: Message) -> bool:
        for permission in await self.get_permissions(action="connect"):
            if not await call_permission(permission, "can_connect", scope=self.scope, consumer=self, message=message):
                log_refusal(self, permission)
                return False
        return await throttling.allow_connection(self.get_throttles(), self.scope, self)

    async def websocket_disconnect(self, message: Message) -> None:
        """Cancel every detached task, then leave all groups."""
        log_connection(self, "disconnect", f" code={message.get('code')}")
        await self.cancel_detached_tasks()
        await self._inbox.leave_all()
        slot, self._user_slot = self._user_slot, None
        await release(slot)
        await super().websocket_disconnect(message)

    async def add_group(self, name: str) -> None:
        """Join a channel-layer group; it is left automatically on disconnect.

        Refused with 429 past ``MAX_SUBSCRIPTIONS_PER_CONNECTION`` groups, and with 503 when the
        layer fails or does not answer within ``SUBSCRIBE_TIMEOUT`` seconds (Redis down)."""
        if name not in self.groups:
            if self.channel_layer is None:
                raise ImproperlyConfigured(NO_CHANNEL_LAYER_MESSAGE)
            limit = api_settings.MAX_SUBSCRIPTIONS_PER_CONNECTION
            if limit is not None and len(self.groups) >= limit:
                logger.warning(
                    "Refusing a subscription of %s: %d groups joined, the limit is %d",
                    self.channel_name,
                    len(self.groups),
                    limit,
                )
                raise TooManySubscriptions()
            if is_observer_group(name):  # an observer's group: joined once per process
                await self._join_observer_group(name)
                return
            await self._join_group(name)
            self.groups.add(name)

    async def _join_observer_group(self, name: str) -> None:
        """Join an observer group through the process fan-out (_engine/fanout.py), within
        ``SUBSCRIBE_TIMEOUT``; a failing channel layer is a 503, as for any group."""
        fanout = fanout_for(self.channel_layer)
        self.groups.add(name)

        async def undo() -> None:
            self.groups.discard(name)
            with contextlib.suppress(Exception):
                await cancellable(fanout.leave(name, self), api_settings.SUBSCRIBE_TIMEOUT)

        await self._join_with_retry(name, lambda: fanout.join(name, self, self._inbox), undo)

    async def _join_group(self, name: str) -> None:
        await self._join_with_retry(name, lambda: self.channel_layer.group_add(name, self.channel_name))

    async def _join_with_retry(
        self,
        name: str,
        join: Callable[[], Awaitable[None]],
        undo: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Run ``join()`` within ``SUBSCRIBE_TIMEOUT``, twice if it fails (after a Redis restart the
        first command on a pooled connection fails once); on failure run ``undo()`` and raise
        :class:`ChannelLayerUnavailable` (503).  A timeout is not retried."""
        error: Exception | None = None
        for _attempt in (1, 2):
            try:
                await cancellable(join(), api_settings.SUBSCRIBE_TIMEOUT)  # not wait_for: see .cancellation
                return
            except asyncio.TimeoutError as exc:
                error = exc
                break
            except Exception as exc:
                error = exc
        note_layer_failure(self.channel_layer)
        if undo is not None:
            await undo()
        logger.warning("Channel layer failed to join group %s: %r", name, error)
        raise ChannelLayerUnavailable() from error

    async def remove_group(self, name: str) -> None:
        """Leave a channel-layer group joined with :meth:`add_group`.

        When the layer fails or does not answer within ``SUBSCRIBE_TIMEOUT`` seconds this raises
        :class:`ChannelLayerUnavailable` (503), as joining does; an observer group's events stop
        reaching this socket anyway, and the process leaves the group once the layer is back."""
        if name not in self.groups:
            return
        if is_observer_group(name):
            self.groups.discard(name)
            leave = fanout_for(self.channel_layer).leave(name, self)
        else:
            leave = self.channel_layer.group_discard(name, self.channel_name)
        try:
            await cancellable(leave, api_settings.SUBSCRIBE_TIMEOUT)
        except Exception as error:
            note_layer_failure(self.channel_layer)
            logger.warning("Channel layer failed to leave group %s: %r", name, error)
            raise ChannelLayerUnavailable() from error
        self.groups.discard(name)

    # -- permissions -----------------------------------------------------------------------------

    async def get_permissions(self, action: str, **kwargs: Any) -> list[Any]:
        """Instantiate ``permission_classes``; override to pick permissions per action.

        The instances are made once per connection (and again if ``permission_classes`` changes)."""
        return list(self._default_permissions())

    def _default_permissions(self) -> list[Any]:
        classes = self.permission_classes
        cached = self._permissions_cache
        if cached is not None and cached[0] is classes:
            return cached[1]
        if not isinstance(classes, (list, tuple)):
            raise ImproperlyConfigured(
                f"permission_classes of {type(self).__qualname__} must be a list or tuple of permission classes, "
                f"not {classes!r}; write permission_classes = [{getattr(classes, '__name__', classes)}]."
            )
        permissions = [instantiate_permission(permission_class) for permission_class in classes]
        self._permissions_cache = (classes, permissions)
        return permissions

    async def check_permissions(self, action: str, **kwargs: Any) -> None:
        """Raise ``PermissionDenied`` unless every permission allows ``action`` with these arguments."""
        if not overrides(type(self), _PERMISSIONS):
            permissions = self._default_permissions()  # the same list, without a copy and an await
        else:
            permissions = await self.get_permissions(action=action, **kwargs)
        for permission in permissions:
            if type(permission) is AllowAny:  # allows everything; not a subclass, which may override it
                continue
            allowed = await call_permission(
                permission, "has_permission", **{**kwargs, "scope": self.scope, "consumer": self, "action": action}
            )
            if not allowed:
                raise PermissionDenied()

    # -- the gates before an action (DRF's ``APIView.initial``) -------------------------------------

    async def initial(self, action: str, **kwargs: Any) -> None:
        """Run every gate an action passes before it runs: permissions (403), then throttles (429).
        Every consumer kind calls this one method; override it to add a gate."""
        await self.check_permissions(action, **kwargs)
        await self.check_throttles(action, **kwargs)

    def get_throttles(self) -> list[Any]:
        """Instantiate ``throttle_classes`` (fresh each call: throttles keep per-request state, as in DRF)."""
        return [throttling.as_consumer_throttle(throttle_class()) for throttle_class in self.throttle_classes]

    async def check_throttles(self, action: str, **kwargs: Any) -> None:
        """Raise DRF's ``Throttled`` (a 429 reply with the wait) when a throttle refuses ``action``."""
        if self.throttle_classes:
            await throttling.check_throttles(self.get_throttles(), self.scope, self, action)

    # -- receiving -------------------------------------------------------------------------------

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        return codec.loads(text_data)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return codec.dumps(content)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Decode a frame, refusing binary, oversized and non-JSON frames with a 4xx reply."""
        try:
            if text_data is None:
                raise ParseError("Binary frames are not supported; send a JSON object as a text frame.")
            limit = api_settings.MAX_MESSAGE_SIZE
            if limit is not None and len(text_data) > limit:  # None: no limit
                logger.warning("Refusing a frame of %d characters; the limit is %d", len(text_data), limit)
                raise MessageTooLarge(f"Message is too large; the limit is {limit} characters.")
            try:
                if not overrides(type(self), _DECODING):
                    content = codec.loads(text_data)
                else:
                    content = await self.decode_json(text_data)
            except ValueError as exc:
                raise ParseError(f"Malformed JSON: {exc}") from None
        except Exception as exc:
            await self.handle_exception(exc, action=None, request_id=None)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Split a decoded message into action, request id and arguments, and run it."""
        if not isinstance(content, dict):
            await self.handle_exception(ParseError("Message must be a JSON object."), action=None, request_id=None)
            return
        request_id = content.pop("request_id", None)
        try:
            action, content = await self.get_action_name(content, **kwargs)
        except KeyError:
            await self.handle_exception(ActionMissingException(), action=None, request_id=request_id)
            return
        except Exception as exc:
            await self.handle_exception(exc, action=None, request_id=request_id)
            return
        if not isinstance(action, str):
            error = ValidationError({"action": ["Action must be a string."]})
            await self.handle_exception(error, action=None, request_id=request_id)
            return
        reserved = _RESERVED_KEYS.intersection(content)
        if reserved:
            error = ValidationError({key: ["Unexpected argument."] for key in sorted(reserved)})
            await self.handle_exception(error, action=action, request_id=request_id)
            return
        await self.handle_action(action, request_id=request_id, **content)

    async def get_action_name(self, content: dict[str, Any], **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        """Return ``(action, remaining content)``; a missing key raises ``KeyError`` (405 reply)."""
        return content.pop("action"), content

    # -- running actions -------------------------------------------------------------------------

    async def handle_action(self, action: str, request_id: RequestId, **kwargs: Any) -> None:
        """Pass the gates (:meth:`initial`), bind the arguments, run the action and reply with its result."""
        started = debug_clock() if self._log_debug else None
        try:
            await self.initial(action, **kwargs)
            method_name = self.available_actions.get(action)
            if method_name is None:
                raise MethodNotAllowed(method=action)
            method = getattr(self, method_name)
            call_kwargs = self.bind_action_arguments(method, action, request_id, kwargs)
            result = await method(**call_kwargs)
            await self.reply_with_result(result, action=action, request_id=request_id)
        except Exception as exc:
            if started is not None:
                log_action(self, action, request_id, started, error=exc)
            await self.handle_exception(exc, action=action, request_id=request_id)
        else:
            if started is not None:
                log_action(self, action, request_id, started, result=result)

    def bind_action_arguments(
        self, method: Any, action: str, request_id: RequestId, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """Check the message's keys against the action's signature and type hints (400 naming bad ones),
        convert them, and add ``action``/``request_id`` where the method accepts them."""
        plan = action_plan(method)
        params = plan.params
        injected = _INJECTED
        if getattr(method, "detail", False):
            # the detail wrapper consumes the lookup key even when the method does not take it
            injected = _INJECTED_DETAIL | {lookup_key(self)}
        call_kwargs = bind_arguments(plan, kwargs, injected, self)
        # detached wrappers need both to reply, and pass on only what the method accepts
        always = getattr(method, "detached", False) is True
        if always or params.accepts("action"):
            call_kwargs["action"] = action
        if always or params.accepts("request_id"):
            call_kwargs["request_id"] = request_id
        return call_kwargs

    async def reply_with_result(self, result: Any, action: str | None, request_id: RequestId) -> None:
        """Reply with an action's ``(data, status)`` result; ``None`` means the action replied itself.
        Anything else is a bug: it is logged as a warning and answered with 500."""
        if result is None:
            return
        if not (isinstance(result, tuple) and len(result) == 2):
            warn_invalid_result(action, result)
            raise InvalidActionResult()
        data, status = result
        await self.reply(action=action, data=data, status=status, request_id=request_id)

    async def handle_exception(self, exc: Exception, action: str | None, request_id: RequestId) -> None:
        """Reply with the error an exception stands for; unexpected ones are logged and become a 500."""
        housekeeping.note_exception(exc)
        mapped = errors_for_exception(exc)
        if mapped is None:
            logger.error("Unhandled exception in action %r", action, exc_info=exc)
            errors, status = [SERVER_ERROR_MESSAGE], 500
        else:
            errors, status = mapped
        await self.reply(action=action, errors=errors, status=status, request_id=request_id)

    async def reply(
        self,
        action: str | None,
        data: Any = None,
        errors: list[Any] | None = None,
        status: int = 200,
        request_id: RequestId = None,
    ) -> None:
        """Send one message in the standard envelope."""
        content = envelope(action, data, errors, status, request_id)
        if not overrides(type(self), _SENDING):
            # what send_json does, without its three awaits: encode_json, send and send again
            await self.base_send({"type": "websocket.send", "text": codec.dumps(content)})
        else:
            await self.send_json(content)

    async def reply_encoded(
        self, action: str | None, data: Any, data_text: str | None, status: int = 200, request_id: RequestId = None
    ) -> None:
        """:meth:`reply` with ``data`` already encoded as ``data_text`` (``codec.dumps(data)``), so one
        payload sent to many sockets is encoded once.  Falls back to :meth:`reply` when the consumer
        changes how replies are built or encoded."""
        if data_text is None or overrides(type(self), _REPLYING):
            await self.reply(action=action, data=data, status=status, request_id=request_id)
            return
        frame = (
            f'{{"errors":[],"data":{data_text},"action":{codec.dumps(action)},'
            f'"response_status":{int(status)},"request_id":{codec.dumps(request_id)}}}'
        )
        await AsyncWebsocketConsumer.send(self, text_data=frame)

    # -- detached tasks --------------------------------------------------------------------------

    def start_detached_task(
        self, function_name: str, coroutine: Coroutine[Any, Any, Any], request_id: RequestId = None
    ) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task owned by this connection (cancelled on disconnect)."""
        limit = api_settings.MAX_DETACHED_TASKS
        if limit is not None and len(self._detached_request_ids) >= limit:
            coroutine.close()
            logger.warning("Refusing detached task %r: %d running, the limit is %d", function_name, limit, limit)
            raise TooManyDetachedTasks()
        task = asyncio.ensure_future(coroutine)
        self.detached_tasks[function_name].append(task)
        self._detached_request_ids[task] = request_id
        task.add_done_callback(lambda done: self._forget_detached_task(function_name, done))
        return task

    def _forget_detached_task(self, function_name: str, task: asyncio.Task[Any]) -> None:
        tasks = self.detached_tasks.get(function_name)
        if tasks is not None and task in tasks:
            tasks.remove(task)
            if not tasks:
                del self.detached_tasks[function_name]
        self._detached_request_ids.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Error in detached task %r", function_name, exc_info=task.exception())

    async def handle_detached_task_completion(self, function_name: str, task: asyncio.Task[Any]) -> None:
        """Wait for a detached task to end; cancellation is expected and errors are logged."""
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("Error while waiting for detached task to finish")
        finally:
            self._forget_detached_task(function_name, task)

    async def cancel_detached_tasks(
        self, function_name: str | None = None, request_id: RequestId = ANY_REQUEST_ID
    ) -> int:
        """Cancel this connection's detached tasks (of one function and/or request id) and wait for them."""
        selected: list[tuple[str, asyncio.Task[Any]]] = []
        names: Iterable[str] = [function_name] if function_name is not None else list(self.detached_tasks)
        for name in names:
            for task in list(self.detached_tasks.get(name, ())):
                if request_id is ANY_REQUEST_ID or self._detached_request_ids.get(task) == request_id:
                    selected.append((name, task))
        for _, task in selected:
            task.cancel()
        for name, task in selected:
            await self.handle_detached_task_completion(name, task)
        return len(selected)


def _request_id_table() -> defaultdict[str, set[Any]]:
    return defaultdict(set)


def envelope(
    action: str | None,
    data: Any = None,
    errors: list[Any] | None = None,
    status: int = 200,
    request_id: RequestId = None,
) -> Envelope:
    """The standard reply envelope; every reply is built here (or spliced to the same shape by
    :meth:`AsyncAPIConsumer.reply_encoded`)."""
    return {
        "errors": errors if errors is not None else [],
        "data": data,
        "action": action,
        "response_status": status,
        "request_id": request_id,
    }


#: The hooks ``check_permissions`` reads ``permission_classes`` without while a consumer keeps them.
_PERMISSIONS = Hooks(AsyncAPIConsumer, "get_permissions")
#: The hooks ``receive`` decodes frames with :func:`codec.loads` without while a consumer keeps them.
_DECODING = Hooks(AsyncAPIConsumer, "decode_json")
#: The hooks ``reply`` does the work of (encode with :func:`codec.dumps`, write with ``base_send``)
#: while a consumer keeps them.  ``send`` counts wherever it is defined, although channels'
#: ``send_json`` only reaches the definitions below it: one overriding it above is rare.
_SENDING = Hooks(AsyncAPIConsumer, "encode_json", "send_json", "send")
#: The hooks ``reply_encoded`` splices a pre-encoded payload into a frame without.
_REPLYING = Hooks(AsyncAPIConsumer, "reply", "encode_json", "send_json", "send")
