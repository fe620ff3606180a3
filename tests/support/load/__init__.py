"""The bounded load test and the multi-process fault tests: servers, a writer and a driver (see run.py)."""
