"""Compatibility layers that let projects written for other libraries run on this one."""
