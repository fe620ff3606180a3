// A small client for the djangochannelsrestframework wire protocol (no build step, no library).
// request(action, args) sends {action, request_id, ...args} and resolves with the reply's data
// (rejects with an Error carrying .errors and .status for a 4xx/5xx reply); on(action, fn) gets
// every other message with that action: events of subscriptions and observers.
class DemoSocket {
  constructor(path, onStatus) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = scheme + "//" + location.host + path;
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.onStatus = onStatus || (() => {});
    this.opened = new Promise((resolve) => { this._resolveOpened = resolve; });
    this.socket = new WebSocket(this.url);
    this.socket.addEventListener("open", () => { this.onStatus("open"); this._resolveOpened(); });
    this.socket.addEventListener("close", (event) => this.onStatus("closed (code " + event.code + ")"));
    this.socket.addEventListener("message", (event) => this._receive(JSON.parse(event.data)));
  }

  async request(action, args) {
    await this.opened;
    const requestId = this.nextId++;
    const reply = new Promise((resolve, reject) => this.pending.set(requestId, {action, resolve, reject}));
    this.socket.send(JSON.stringify({action, request_id: requestId, ...(args || {})}));
    return reply;
  }

  on(action, handler) { this.handlers.set(action, handler); return this; }

  _receive(message) {
    const waiting = this.pending.get(message.request_id);
    if (waiting && waiting.action === message.action) {
      this.pending.delete(message.request_id);
      if (message.response_status >= 400) {
        const error = new Error(DemoSocket.describe(message.errors));
        error.errors = message.errors;
        error.status = message.response_status;
        waiting.reject(error);
      } else {
        waiting.resolve(message.data);
      }
      return;
    }
    const handler = this.handlers.get(message.action);
    if (handler) handler(message.data, message);
  }

  // Error replies carry strings, or objects mapping a field to its messages: flatten to one line.
  static describe(errors) {
    return (errors || []).map((e) => typeof e === "string" ? e
      : Object.entries(e).map(([key, value]) => key + ": " + [].concat(value).join(" ")).join("; ")).join("; ");
  }
}

function showStatus(text) {
  const node = document.getElementById("status");
  if (!node) return;
  node.textContent = text;
  node.className = "status " + (text === "open" ? "open" : "closed");
}
