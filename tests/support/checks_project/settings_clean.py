"""A project the checks find nothing wrong with."""

SECRET_KEY = "checks-only"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "channels",
    "djangochannelsrestframework",
    "tests.support.app",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ASGI_APPLICATION = "tests.support.checks_project.asgi_clean.application"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
DJANGO_CHANNELS_REST_API = {
    "DEFAULT_PERMISSION_CLASSES": ["djangochannelsrestframework.permissions.IsAuthenticated"],
    "MAX_MESSAGE_SIZE": 65536,
}
