from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    """The demo page: a websocket console for the consumers in ``chat.consumers``."""
    return render(request, "chat/index.html")
