from channels.routing import URLRouter
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path

from djangochannelsrestframework.asyncapi import build_document
from djangochannelsrestframework.asyncapi.views import asyncapi_document

from .typed_parameters import ShopConsumer

# urls.py: serve the document of settings.ASGI_APPLICATION, to staff only.
urlpatterns = [path("asyncapi.json", staff_member_required(asyncapi_document))]

# Or build it in code, for any ASGI application:
websocket_application = URLRouter([path("ws/shop/", ShopConsumer.as_asgi())])
document = build_document(websocket_application, title="Shop", version="1.0.0")
add_operation = document["operations"]["ws_shop_add"]
add_request = document["channels"]["ws_shop"]["messages"]["add_request"]
