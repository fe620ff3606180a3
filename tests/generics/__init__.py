"""GenericAsyncAPIConsumer and its mixins: CRUD, lists, filters, pagination, streaming, view_as_consumer."""
