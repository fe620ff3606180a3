"""The one answer to "did this class override a hook a fast path stands in for?".

A fast path does the work of some default methods without calling them (``reply`` writes the frame
itself instead of awaiting ``send_json``), so it is only valid for a class that keeps them.  Name
those methods once, as a :class:`Hooks` made at import time, and ask :func:`overrides` per call::

    _SENDING = Hooks(AsyncAPIConsumer, "encode_json", "send_json", "send")
    ...
    if not overrides(type(self), _SENDING):
        ...  # the fast path

A class keeps a hook when every definition of it along its MRO is the base's as it was when the
:class:`Hooks` was made: a method of the base that calls ``super()`` then also reaches only the base's
code, so a mixin placed anywhere counts, and so does a test's ``mock.patch`` of the base itself.

Answers are cached per class.  Consumer classes forget theirs when a method is set or deleted on them
(``APIConsumerMetaclass`` calls :func:`forget`), so patching a consumer in a test after it served
takes effect; for other classes, patch before their first use.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["Hooks", "forget", "overrides"]


class Hooks:
    """Methods of ``base`` that a fast path does the work of.  Equal arguments give the same object,
    so a rarely run check may make one inline; hot paths keep theirs in a module constant."""

    __slots__ = ("base", "names", "originals")
    _made: ClassVar[dict[tuple[type, tuple[str, ...]], Hooks]] = {}

    base: type
    names: tuple[str, ...]
    #: Per name, its definitions along ``base``'s MRO when this was made (before any test patches).
    originals: tuple[list[object], ...]

    def __new__(cls, base: type, *names: str) -> Hooks:
        made = cls._made.get((base, names))
        if made is None:
            made = cls._made[base, names] = super().__new__(cls)
            made.base = base
            made.names = names
            made.originals = tuple(_definitions(base, name) for name in names)
        return made

    def __repr__(self) -> str:
        return f"Hooks({self.base.__qualname__}, {', '.join(map(repr, self.names))})"


#: Answers per class, then per :class:`Hooks` (keyed by identity: one dict get each, no key tuple).
_answers: dict[type, dict[Hooks, bool]] = {}
#: Classes made on the fly (a serializer or consumer class per request) are held at most until
#: this many classes have answers; then every answer is dropped and recomputed on demand.
_MAX_CLASSES = 1024


def overrides(cls: type, hooks: Hooks) -> bool:
    """Whether ``cls`` defines any of ``hooks`` differently from ``hooks.base`` (cached per class).

    Assigning a method to a class after its first answer is not noticed; patch before first use."""
    try:
        return _answers[cls][hooks]
    except KeyError:
        return _answer(cls, hooks)


def _answer(cls: type, hooks: Hooks) -> bool:
    answers = _answers.get(cls)
    if answers is None:
        if len(_answers) >= _MAX_CLASSES:
            _answers.clear()
        answers = _answers[cls] = {}
    answer = answers[hooks] = any(
        _definitions(cls, name) != original for name, original in zip(hooks.names, hooks.originals, strict=True)
    )
    return answer


def forget(cls: type) -> None:
    """Drop the answers of ``cls`` and its subclasses: a method was set on or deleted from it."""
    for known in [known for known in _answers if issubclass(known, cls)]:
        del _answers[known]


def _definitions(cls: type, name: str) -> list[object]:
    """Every definition of ``name`` along ``cls``'s MRO, nearest first: all that a call can reach,
    directly or through ``super()``.  They are the class dict's objects (a ``classmethod``, not a
    fresh bound method), so an inherited definition is the same object."""
    return [klass.__dict__[name] for klass in cls.__mro__ if name in klass.__dict__]
