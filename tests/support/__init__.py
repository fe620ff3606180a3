"""What the tests use but are not tests: settings, ASGI applications, consumers, Django apps,
server helpers, the processes multi-process tests start, and whole projects run as their users run them."""
