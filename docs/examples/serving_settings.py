# mysite/settings.py (the parts that serve websockets)

INSTALLED_APPS = [
    "daphne",  # first: its runserver then serves websockets as well as HTTP
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "channels",
    "myapp",
]

ASGI_APPLICATION = "mysite.asgi.application"

# AllowedHostsOriginValidator accepts browser pages served from these hosts only.
ALLOWED_HOSTS = ["example.com", "127.0.0.1", "localhost"]

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
