"""The connection engine: the machinery behind the public consumers (serving loop, fan-out,
caches, limits). Private: import paths here may change in any release; public modules use it."""
