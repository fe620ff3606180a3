"""Compatibility layers for projects moving to djangochannelsrestframework from other libraries."""
