"""Two small projects for ``manage.py check``: one with every mistake the checks name, one without."""
