"""The compatibility layers in contrib/: django-rest-live (0.2 and 0.7 APIs) and channels-api."""
