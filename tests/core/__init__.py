"""The core layer: AsyncAPIConsumer, @action, arguments, the codec, permissions, settings, exceptions,
logging and bad input."""
