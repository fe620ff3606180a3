"""The demo's pages: the room list and a room.  Both talk to ``RoomConsumer`` over one websocket."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from chat.models import Room


def _context(request: HttpRequest, **extra: object) -> dict[str, object]:
    user = request.user
    # The browsable API page answers in DEBUG or to staff; link it only where it answers.
    show_api = bool(settings.DEBUG or (user.is_authenticated and user.is_staff))
    return {"show_api_link": show_api, **extra}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The live list of rooms, with a form to create one."""
    return render(request, "chat/index.html", _context(request))


@login_required
def room(request: HttpRequest, pk: int) -> HttpResponse:
    """One room: its messages and the users present, live."""
    room = get_object_or_404(Room, pk=pk)
    return render(request, "chat/room.html", _context(request, room=room))
