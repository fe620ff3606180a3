"""Compatibility layers for projects moving to djangochannelsrestframework from other libraries."""

__all__: list[str] = []
