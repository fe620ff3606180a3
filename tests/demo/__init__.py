"""The demo project (example/) and dev.py, which serves it and runs the browser tests."""
