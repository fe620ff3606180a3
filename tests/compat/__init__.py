"""Switching from DCRF 1.3: its namespace, a project written for it, and its JavaScript client."""
