# Stands in for todolist/models.py: the test suite installs it as the app "todolist".
from tests.support.todolist.models import List, Task

__all__ = ["List", "Task"]
