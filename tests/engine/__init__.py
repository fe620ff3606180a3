"""The connection engine under the public modules: the handler lock, recent caches, serializer plans
and connection housekeeping."""
