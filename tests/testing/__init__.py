"""The test helpers the package ships (djangochannelsrestframework.testing)."""
