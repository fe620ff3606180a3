"""The server of tests/security/test_security_connection_limit_processes.py: ``WhoAmIConsumer`` behind the
token middleware, on ws://HOST:PORT/ws/?token=KEY, with tests/support/settings_connection_limit.py.

    python -m uvicorn tests.support.connection_limit_app:application --port PORT   # a server process
    python tests/support/connection_limit_app.py USERNAME                          # prints a new user's token

The second form creates the database tables first, so run it once before starting servers.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings_connection_limit")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import django  # noqa: E402

django.setup()

from djangochannelsrestframework.auth import TokenAuthMiddlewareStack  # noqa: E402
from tests.support.security_consumers import WhoAmIConsumer  # noqa: E402

application = TokenAuthMiddlewareStack(WhoAmIConsumer.as_asgi())


def token_of_new_user(username: str) -> str:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0)
    return str(Token.objects.create(user=User.objects.create_user(username=username)).key)


if __name__ == "__main__":
    print(token_of_new_user(sys.argv[1]))
