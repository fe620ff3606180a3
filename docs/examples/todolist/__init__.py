"""The to-do app of django-rest-live's documentation, used by the "from django-rest-live" page."""
