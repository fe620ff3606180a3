"""Faults and load: closed and slow clients, cancellation, a database or Redis that fails, killed
server processes."""
