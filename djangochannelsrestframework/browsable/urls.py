"""URL of the browsable websocket API page."""

from django.urls import path

from .views import api_page, asyncapi_json

app_name = "dcrf_browsable"

urlpatterns = [path("", api_page, name="index"), path("asyncapi.json", asyncapi_json, name="asyncapi")]


__all__ = [
    "app_name",
    "urlpatterns",
]
