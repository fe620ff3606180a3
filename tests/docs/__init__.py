"""The documentation, replayed: every page's examples and exchanges, and the pages' reachability."""
