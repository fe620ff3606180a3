"""How rest-live broadcasts encode their data, as django-rest-live's clients expect it.

* 0.7 renders each broadcast with the view's renderer (so a project on
  djangorestframework-camel-case's ``CamelCaseJSONRenderer`` gets ``anotherField``);
* 0.2 always camelized the serializer's keys (:func:`camelize`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.utils.encoding import force_str
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer

from ... import codec

#: One underscore followed by a lowercase letter or digit, with the character before it if that
#: is one too: what djangorestframework-camel-case turns into the next character, upper-cased.
_UNDERSCORE = re.compile(r"[a-z0-9]?_[a-z0-9]")


def _join(match: re.Match[str]) -> str:
    text = match.group()
    return text[:-2] + text[-1].upper()


def camelize(data: Any) -> Any:
    """``data`` with every string key of its dicts (nested ones and those in lists too) in
    camelCase: ``another_field`` becomes ``anotherField``, as djangorestframework-camel-case's
    ``camelize`` (which django-rest-live 0.2 applied to every broadcast) does."""
    if isinstance(data, dict):
        result = {}
        for key, value in data.items():
            if isinstance(key, Promise):
                key = force_str(key)
            if isinstance(key, str):
                key = _UNDERSCORE.sub(_join, key)
            result[key] = camelize(value)
        return result
    if isinstance(data, (list, tuple)):
        return [camelize(item) for item in data]
    return data


def json_renderer(view: Any) -> BaseRenderer | None:
    """The renderer a GET of ``view`` would use (content negotiation on the handshake's headers,
    its first renderer when nothing matches); the first JSON renderer of the view if that one
    does not produce JSON; ``None`` if the view has no JSON renderer."""
    renderer: BaseRenderer | None
    try:
        renderer = view.perform_content_negotiation(view.request, force=True)[0]
    except Exception:
        renderer = None
    if renderer is not None and "json" in str(renderer.media_type):
        return renderer
    return next((r for r in view.get_renderers() if "json" in str(r.media_type)), None)


def encoder(renderer: BaseRenderer | None) -> Callable[[Any], str]:
    """Encodes broadcast data as JSON text: with ``renderer``, or this package's codec."""
    if renderer is None:
        return codec.dumps

    def render(data: Any) -> str:
        rendered = renderer.render(data)
        return rendered.decode() if isinstance(rendered, bytes) else str(rendered)

    return render


__all__ = [
    "camelize",
    "encoder",
    "json_renderer",
]
