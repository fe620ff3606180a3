"""``manage.py asyncapi``: write the AsyncAPI 3.0 document of the project's websocket routes."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from djangochannelsrestframework.asyncapi import build_document


class Command(BaseCommand):
    help = "Write the AsyncAPI 3.0 document of the websocket API (every route, action and observer event)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--application", help="Dotted path of the ASGI application (default: settings.ASGI_APPLICATION)."
        )
        parser.add_argument("--format", choices=["json", "yaml"], default="json", help="Output format.")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument("--title", help="info.title (default: the application's dotted path).")
        parser.add_argument("--api-version", default="1.0.0", help="info.version of the document.")

    def handle(self, *args: Any, **options: Any) -> None:
        application_path = options["application"] or getattr(settings, "ASGI_APPLICATION", None)
        if not application_path:
            raise CommandError("Set ASGI_APPLICATION or pass --application path.to.application.")
        try:
            application = import_string(application_path)
        except ImportError as exc:
            raise CommandError(f"Cannot import {application_path}: {exc}") from exc
        document = build_document(
            application, title=options["title"] or application_path, version=options["api_version"]
        )
        text = self.render(document, options["format"])
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as output:
                output.write(text)
        else:
            self.stdout.write(text, ending="")

    @staticmethod
    def render(document: dict[str, Any], fmt: str) -> str:
        if fmt == "yaml":
            try:
                import yaml
            except ImportError as exc:
                raise CommandError("YAML output needs PyYAML (pip install pyyaml).") from exc
            return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "Command",
]
