import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { ITabStorage, PlaceStore, socketKey } from '../model/place';

/** A tab's storage, in memory. */
class Memory implements ITabStorage {
  items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const socket = socketKey('ws://127.0.0.1:8888/classroom/ws?token=secret');

test('the socket is kept without its query: a token is never stored', () => {
  assert.equal(socket, 'ws://127.0.0.1:8888/classroom/ws');
  assert.equal(socketKey(null), '');
});

test('a kept place is taken once: a tab duplicated afterwards finds nothing', () => {
  const tab = new Memory();
  const store = new PlaceStore(tab);
  assert.equal(store.take(), null);
  store.keep({ socket, resume: 'r1', restore: { x: 1170, y: 540, status: 'busy', hand: true } });
  const duplicate = new Memory();
  duplicate.items = new Map(tab.items);
  assert.deepEqual(store.take(), {
    socket,
    resume: 'r1',
    restore: { x: 1170, y: 540, status: 'busy', hand: true }
  });
  assert.equal(store.take(), null);
  assert.equal(tab.items.size, 0);
  // (A copy made while the page was away holds it, as a reload would.)
  assert.equal(new PlaceStore(duplicate).take()?.resume, 'r1');
});

test('what is not a kept place is ignored, and so are fields it does not know', () => {
  const tab = new Memory();
  const store = new PlaceStore(tab);
  for (const raw of ['not json', '[]', '{"socket": 1, "resume": "r"}', `{"socket": "${socket}", "resume": ""}`]) {
    tab.setItem('jupyterlab-classroom:place', raw);
    assert.equal(store.take(), null, raw);
  }
  tab.setItem('jupyterlab-classroom:place', JSON.stringify({ socket, resume: 'r', restore: { x: 'far', y: 2 } }));
  assert.deepEqual(store.take(), { socket, resume: 'r', restore: null });
  tab.setItem(
    'jupyterlab-classroom:place',
    JSON.stringify({ socket, resume: 'r', restore: { x: 1, y: 2, status: 'asleep', hand: 'yes', mic: true } })
  );
  assert.deepEqual(store.take(), { socket, resume: 'r', restore: { x: 1, y: 2 } });
});

test('a browser that refuses storage starts at the entrance', () => {
  const refusing: ITabStorage = {
    getItem: () => {
      throw new Error('denied');
    },
    setItem: () => {
      throw new Error('denied');
    },
    removeItem: () => {
      throw new Error('denied');
    }
  };
  const store = new PlaceStore(refusing);
  store.keep({ socket, resume: 'r', restore: null });
  assert.equal(store.take(), null);
  assert.equal(new PlaceStore(null).take(), null);
});
