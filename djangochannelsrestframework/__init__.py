"""Django REST framework style APIs over Django Channels websockets."""

__version__ = "1.4.0.dev0"
