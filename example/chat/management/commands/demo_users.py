"""``manage.py demo_users NAME:PASSWORD ...``: create the demo's users unless they exist.

It runs before the server starts, so it also forgets who was present in rooms when the
server last stopped (a killed server never saw those sockets close).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.models import Presence


class Command(BaseCommand):
    help = "Create the demo users (NAME:PASSWORD pairs) that do not exist yet; clear stale room presence."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("logins", nargs="+", metavar="NAME:PASSWORD")

    def handle(self, *args: Any, logins: list[str], **options: Any) -> None:
        User = get_user_model()
        for login in logins:
            name, sep, password = login.partition(":")
            if not (name and sep and password):
                raise CommandError(f"expected NAME:PASSWORD, got {login!r}")
            if User.objects.filter(username=name).exists():
                continue
            User.objects.create_user(username=name, password=password)
            self.stdout.write(f"created demo user {name}")
        Presence.objects.all().delete()
