"""What the in-process benchmarks (frame_path.py, typed_overhead.py) share: Django set up with the
test settings, this checkout first on the path, and the two consumers they compare, whose ``echo``
differs only in its parameter's annotation.

Import it before anything that needs Django's settings.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings")

import django  # noqa: E402

django.setup()

from djangochannelsrestframework.consumers import AsyncAPIConsumer  # noqa: E402
from djangochannelsrestframework.decorators import action  # noqa: E402


class Untyped(AsyncAPIConsumer):
    """``echo(message: Any)``: nothing to convert or check (as with no annotation at all)."""

    @action()
    async def echo(self, message: Any = None, **kwargs: Any) -> Any:
        return {"message": message}, 200


class Typed(AsyncAPIConsumer):
    """``echo(message: str | None)``: the value is checked against the annotation."""

    @action()
    async def echo(self, message: str | None = None, **kwargs: Any) -> Any:
        return {"message": message}, 200
