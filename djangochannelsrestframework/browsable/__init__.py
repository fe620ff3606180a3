"""The browsable websocket API: a page listing every websocket route, its actions and observers,
where you can compose messages and watch replies and events live.

Enable it with ``"djangochannelsrestframework.browsable"`` in ``INSTALLED_APPS`` and
``path("ws-api/", include("djangochannelsrestframework.browsable.urls"))`` in your URLs.
It is served only when ``DEBUG`` is on, or to staff users.
"""

__all__: list[str] = []
