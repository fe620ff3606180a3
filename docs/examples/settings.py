# In your Django settings module:
DJANGO_CHANNELS_REST_API = {
    "DEFAULT_PERMISSION_CLASSES": ("djangochannelsrestframework.permissions.IsAuthenticated",),
    "MAX_MESSAGE_SIZE": 64 * 1024,
    "MAX_DETACHED_TASKS": 16,
}
