"""An AsyncAPI 3.0 document describing a project's websocket API (``manage.py asyncapi``)."""

from .document import build_document

__all__ = ["build_document"]
