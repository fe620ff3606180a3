# proj/routing.py: channels-api's demultiplexer, routed with path() instead of route_class().
from channels.routing import URLRouter
from django.urls import path

from djangochannelsrestframework.contrib.channels_api.routing import WebsocketDemultiplexer

from .channels_api import MyBinding, QuestionBinding


class APIDemultiplexer(WebsocketDemultiplexer):
    consumers = {
        "questions": QuestionBinding.consumer,
        "private-questions": MyBinding.consumer,
    }


application = URLRouter([path("", APIDemultiplexer.as_asgi())])

# The same, with each binding on its own `stream`:
also = URLRouter([path("", WebsocketDemultiplexer.for_bindings(QuestionBinding, MyBinding))])
