"""Authentication, limits and hostile clients."""
