"""channels-api's declarative API on djangochannelsrestframework.

Moving from channels-api: replace ``channels_api.`` with
``djangochannelsrestframework.contrib.channels_api.`` in imports, and route the demultiplexer with
``path("", APIDemultiplexer.as_asgi())`` instead of ``route_class``.  See docs/migrating_channels_api.rst.

- :mod:`.bindings`: ``ResourceBinding`` and ``ReadOnlyResourceBinding``
- :mod:`.decorators`: ``detail_action`` and ``list_action``
- :mod:`.permissions`: ``BasePermission``, ``AllowAny``, ``IsAuthenticated`` (``has_permission(user, action, pk)``)
- :mod:`.settings`: the ``CHANNELS_API`` settings dict
- :mod:`.routing`: ``WebsocketDemultiplexer`` taking bindings by stream name
"""

from .bindings import ReadOnlyResourceBinding, ResourceBinding
from .decorators import detail_action, list_action
from .routing import WebsocketDemultiplexer

__all__ = ["ReadOnlyResourceBinding", "ResourceBinding", "WebsocketDemultiplexer", "detail_action", "list_action"]
