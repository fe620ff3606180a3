from django.dispatch import Signal

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import observer
from djangochannelsrestframework.permissions import AllowAny

#: Sent by the shop code: ``order_shipped.send(sender=None, customer="ada", order=42)``.
order_shipped = Signal()


class ShippingConsumer(AsyncAPIConsumer):
    permission_classes = [AllowAny]

    @observer(order_shipped)
    async def shipments(self, message, subscribing_request_ids=(), **kwargs):
        for request_id in subscribing_request_ids:
            await self.reply(action="shipped", data=message, request_id=request_id)

    @shipments.serializer
    def shipments(self, sender, customer, order, **kwargs):
        return {"order": order}

    @shipments.groups_for_signal
    def shipments(self, customer, **kwargs):
        yield f"customer-{customer}"

    @shipments.groups_for_consumer
    def shipments(self, customer, **kwargs):
        yield f"customer-{customer}"

    @action()
    async def track(self, customer, request_id=None, **kwargs):
        await self.shipments.subscribe(customer=customer, request_id=request_id)
        return None, 201

    @action()
    async def untrack(self, customer, request_id=None, **kwargs):
        await self.shipments.unsubscribe(customer=customer, request_id=request_id)
        return None, 204
