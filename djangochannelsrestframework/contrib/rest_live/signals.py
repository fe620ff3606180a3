"""The broadcast actions where django-rest-live 0.2 defined them (``rest_live.signals``); 0.7
moved them to the package (:mod:`djangochannelsrestframework.contrib.rest_live`)."""

from . import CREATED, DELETED, UPDATED

__all__ = ["CREATED", "DELETED", "UPDATED"]
