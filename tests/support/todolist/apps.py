from django.apps import AppConfig


class TodolistConfig(AppConfig):
    name = "tests.support.todolist"
    label = "todolist"
    default_auto_field = "django.db.models.AutoField"
