# Stands in for your app's models.py: the examples use the test suite's models.
from tests.support.app.models import Comment, Item
from tests.support.polls.models import Question

__all__ = ["Comment", "Item", "Question"]
