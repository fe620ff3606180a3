// Drives the real dcrf-client package through our demultiplexer; prints one JSON line per observation.
// Usage: node scenario.js SCENARIO WS_URL   (run by tests/compat/test_dcrf_client.py)
'use strict';

// [docs: connect]
const WebSocket = require('ws');  // node has no WebSocket of its own; browsers need no option
const dcrf = require('dcrf-client').default;

const [scenario, url] = process.argv.slice(2);
const websocket = {WebSocket, minReconnectionDelay: 50, maxReconnectionDelay: 200, connectionTimeout: 2000};

function print(label, value) {
  process.stdout.write(JSON.stringify([label, value === undefined ? null : value]) + '\n');
}

function connect(options = {}) {
  return dcrf.connect(url, {websocket, pkField: 'id', ...options});
}
// [docs: end]

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Resolves with the events a listener saw once `count` arrived (or after `ms` with what it has).
function collector(count, ms = 3000) {
  const events = [];
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const timer = setTimeout(() => done(events), ms);
  const push = (event) => {
    events.push(event);
    if (events.length >= count) { clearTimeout(timer); done(events); }
  };
  return {push, finished};
}

const scenarios = {
  async crud() {
    const client = connect();
    // [docs: crud]
    const created = await client.create('items', {name: 'ant', value: 1});
    print('create', created);
    const pk = created.id;
    print('list', await client.list('items'));
    print('retrieve', await client.retrieve('items', pk));
    print('update', await client.update('items', pk, {name: 'bee', value: 2}));
    print('patch', await client.patch('items', pk, {value: 3}));
    print('delete', await client.delete('items', pk));
    print('retrieve deleted', await client.retrieve('items', pk).catch((response) => response));
    print('unknown stream', await client.list('nope').catch((response) => response));
    // [docs: end]
    client.close();
  },

  async subscribe() {
    const client = connect();
    const watched = await client.create('items', {name: 'watched', value: 0});
    const other = await client.create('items', {name: 'other', value: 0});
    // [docs: subscribe]
    const events = [];
    const first = collector(1);
    const subscription = client.subscribe('items', watched.id, (data, action) => {
      events.push({action, data});
      first.push(null);
    }, 'sub-1');
    print('subscribed', await subscription);
    await client.patch('items', other.id, {value: 5});  // another instance: no event for sub-1
    await client.patch('items', watched.id, {value: 1});
    await first.finished;
    print('events', events.splice(0));
    print('cancel', subscription.cancel());
    await client.patch('items', watched.id, {value: 2});
    await sleep(300);
    print('after cancel', events);
    const deleted = collector(1);
    // [docs: end]
    print('subscribed other', await client.subscribe('items', other.id, (data, action) => deleted.push({action, data}), 'sub-2'));
    await client.delete('items', other.id);
    print('delete events', await deleted.finished);
    client.close();
  },

  async activity() {
    // A custom subscribe action for every Item, with create events, through dcrf-client's hooks.
    // [docs: activity]
    const client = connect({
      buildSubscribePayload: (pk, requestId) => ({action: 'subscribe_activity', request_id: requestId}),
      buildSubscribeUpdateSelector: (stream, pk, requestId) => ({stream, payload: {action: 'update', request_id: requestId}}),
      buildSubscribeDeleteSelector: (stream, pk, requestId) => ({stream, payload: {action: 'delete', request_id: requestId}}),
    });
    const seen = collector(3);
    const handler = (data, action) => seen.push({action, data});
    const subscription = client.subscribe('activity', null, handler, 'act-1');
    // includeCreateEvents: listen for create events of the same subscription
    const createListener = client.dispatcher.listen(
      {stream: 'activity', payload: {action: 'create', request_id: 'act-1'}},
      (message) => handler(message.payload.data, message.payload.action),
    );
    print('subscribed', await subscription);
    const created = await client.create('items', {name: 'new', value: 1});
    await client.patch('items', created.id, {value: 2});
    await client.delete('items', created.id);
    // [docs: end]
    print('events', await seen.finished);
    subscription.cancel();
    client.dispatcher.cancel(createListener);
    print('unsubscribed', await client.request('activity', {action: 'unsubscribe_activity'}, 'act-1'));
    client.close();
  },

  async streaming() {
    const client = connect();
    // [docs: streaming]
    const pages = collector(3);
    client.dispatcher.listen({stream: 'paged', payload: {action: 'list', request_id: 'pages'}}, (message) => {
      pages.push(message.payload);
    });
    client.send({stream: 'paged', payload: {action: 'list', limit: 2, request_id: 'pages'}});
    print('pages', await pages.finished);
    // [docs: end]
    client.close();
  },

  async restart() {
    const client = connect();
    const item = await client.create('items', {name: 'survivor', value: 0});
    const seen = collector(1, 10000);
    const subscription = client.subscribe('items', item.id, (data, action) => seen.push({action, data}), 'sub-r');
    print('subscribed', await subscription);
    const resubscribed = new Promise((resolve) => {
      client.dispatcher.once({stream: 'items', payload: {action: 'subscribe_instance', request_id: 'sub-r'}}, (m) => resolve(m));
    });
    print('ready for restart', item.id);
    print('resubscribed', await resubscribed);
    await client.patch('items', item.id, {value: 7});
    print('events', await seen.finished);
    client.close();
  },
};

scenarios[scenario]().then(
  () => process.exit(0),
  (error) => { print('error', String(error && error.stack || JSON.stringify(error))); process.exit(1); },
);
