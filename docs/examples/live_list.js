// Keep a rendered list in sync with a live list subscription.
//
//   const stop = liveList(socket, {
//     requestId: "items",
//     params: {search: "an"},
//     compare: (a, b) => a.name.localeCompare(b.name),  // the consumer's ordering
//     render: (rows) => { list.replaceChildren(...rows.map(itemElement)); },
//   });
//
// `socket` is an open WebSocket to a consumer with ListSubscriptionMixin; `stop()` unsubscribes.
export function liveList(socket, { requestId, params = {}, key = "id", compare = null, render }) {
  const rows = new Map();
  const show = () => {
    const current = [...rows.values()];
    render(compare ? current.sort(compare) : current);
  };
  const onMessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.request_id !== requestId) return;
    switch (message.action) {
      case "subscribe_list": {
        // The snapshot: exactly what "list" replies (a page object when the consumer paginates).
        const snapshot = Array.isArray(message.data) ? message.data : message.data?.results ?? [];
        rows.clear();
        for (const row of snapshot) rows.set(row[key], row);
        break;
      }
      case "create":
      case "update":
        rows.set(message.data[key], message.data); // an upsert: both can only add or refresh a row
        break;
      case "delete":
        rows.delete(message.data.pk);
        break;
      default:
        return; // errors and other replies with this request id
    }
    show();
  };
  socket.addEventListener("message", onMessage);
  socket.send(JSON.stringify({ action: "subscribe_list", request_id: requestId, ...params }));
  return () => {
    socket.removeEventListener("message", onMessage);
    socket.send(JSON.stringify({ action: "unsubscribe_list", request_id: requestId }));
  };
}
