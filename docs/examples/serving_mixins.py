from djangochannelsrestframework import mixins
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from docs.examples.observers_instance import ItemSerializer
from tests.app.models import Item


class LiveItemConsumer(
    mixins.ListModelMixin,
    mixins.UpdateModelMixin,
    ObserverModelInstanceMixin,  # brings retrieve (RetrieveModelMixin)
    GenericAsyncAPIConsumer,
):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
