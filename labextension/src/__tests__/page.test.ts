import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { loginUrl, pageConfig } from '../page/config';
import { GuestEndpoint, guestMapUrl, guestSocketUrl, IPassPlace, PASS_KEY, takePass } from '../page/guest';
import { defaultSettings, keptSettings, LocalSettings, SETTINGS_KEY } from '../page/settings';
import { mediaSocketUrl } from '../rtc/wsmedia/route';

const PAGE = 'https://jupyter.example.org/user/ana/classroom/page';

test("the page's URLs are made absolute against where it was loaded", () => {
  assert.deepEqual(pageConfig({ baseUrl: '/user/ana/', wsUrl: '' }, PAGE), {
    baseUrl: 'https://jupyter.example.org/user/ana/',
    wsUrl: 'wss://jupyter.example.org/user/ana/'
  });
  assert.deepEqual(pageConfig({ baseUrl: '/', wsUrl: 'ws://other:9/base' }, 'http://127.0.0.1:8888/classroom/page'), {
    baseUrl: 'http://127.0.0.1:8888/',
    wsUrl: 'ws://other:9/base/'
  });
  // A broken configuration falls back to the server's root.
  assert.equal(pageConfig({ baseUrl: 42 }, 'http://h/classroom/page').wsUrl, 'ws://h/');
});

test('the login link brings the person back to the page', () => {
  const config = pageConfig({ baseUrl: '/user/ana/' }, PAGE);
  assert.equal(
    loginUrl(config, PAGE + '?x=1#pass=p'),
    'https://jupyter.example.org/user/ana/login?next=%2Fuser%2Fana%2Fclassroom%2Fpage%3Fx%3D1'
  );
});

/** A page's address, history and session storage, as takePass sees them. */
function place(hash: string, stored: Record<string, string> = {}) {
  const replaced: string[] = [];
  const storage = new Map(Object.entries(stored));
  const where: IPassPlace = {
    location: { hash, pathname: '/user/ana/classroom/page', search: '?a=b' },
    history: { replaceState: (_data, _unused, url) => replaced.push(url) },
    storage: {
      getItem: key => storage.get(key) ?? null,
      setItem: (key, value) => void storage.set(key, value)
    }
  };
  return { where, replaced, storage };
}

test("the guest's pass is taken from the fragment, out of the address bar, into the tab's storage", () => {
  const { where, replaced, storage } = place('#pass=abc%2B1.x');
  assert.equal(takePass(where), 'abc+1.x');
  assert.deepEqual(replaced, ['/user/ana/classroom/page?a=b']);
  assert.equal(storage.get(PASS_KEY), 'abc+1.x');
});

test('a reload finds the pass in the tab; a page without one is a signed-in page', () => {
  const { where, replaced } = place('', { [PASS_KEY]: 'kept' });
  assert.equal(takePass(where), 'kept');
  assert.deepEqual(replaced, []);
  assert.equal(takePass(place('').where), null);
  assert.equal(takePass(place('#other=1').where), null);
  assert.equal(takePass(place('#pass=').where), null);
  // A new link wins over the pass kept from an older one.
  assert.equal(takePass(place('#pass=new', { [PASS_KEY]: 'old' }).where), 'new');
});

test('without storage the pass still works for this page', () => {
  const { where } = place('#pass=p');
  const broken: IPassPlace = {
    ...where,
    storage: {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      }
    }
  };
  assert.equal(takePass(broken), 'p');
  assert.equal(takePass({ ...broken, location: { ...where.location, hash: '' } }), null);
});

test("a guest's socket, map and media go through the guest routes with the pass", async () => {
  const config = pageConfig({ baseUrl: '/user/ana/' }, PAGE);
  const ws = guestSocketUrl(config, 'a&b=c');
  assert.equal(ws, 'wss://jupyter.example.org/user/ana/classroom/guest/ws?pass=a%26b%3Dc');
  assert.equal(await new GuestEndpoint(config, 'a&b=c').socketUrl(), ws);
  assert.equal(guestMapUrl(config, 'p', []), 'https://jupyter.example.org/user/ana/classroom/guest/map?pass=p');
  assert.equal(
    guestMapUrl(config, 'p', ['files', 'tiles/a b.png']),
    'https://jupyter.example.org/user/ana/classroom/guest/map/files/tiles%2Fa%20b.png?pass=p'
  );
  assert.equal(
    mediaSocketUrl(ws, 't'),
    'wss://jupyter.example.org/user/ana/classroom/guest/media?pass=a%26b%3Dc&ticket=t'
  );
  const endpoint = new GuestEndpoint(config, 'p');
  assert.deepEqual(endpoint.classrooms, []);
  assert.equal(endpoint.current, null);
});

test("the page's settings: the schema's defaults, then what this browser kept that still fits", () => {
  const defaults = defaultSettings();
  assert.equal(defaults.pushToTalk, false);
  assert.equal(defaults.showNames, true);
  assert.deepEqual(keptSettings('{"pushToTalk": true, "showNames": "yes", "nope": 1, "mediaTransport": "pigeon"}'), {
    pushToTalk: true
  });
  assert.deepEqual(keptSettings('not json'), {});

  const stored = new Map<string, string>();
  const storage = {
    getItem: (key: string) => stored.get(key) ?? null,
    setItem: (key: string, value: string) => void stored.set(key, value)
  } as unknown as Storage;
  const settings = new LocalSettings(storage);
  let changes = 0;
  settings.changed.connect(() => changes++);
  void settings.set('pushToTalk', true);
  assert.equal(settings.values.pushToTalk, true);
  assert.equal(changes, 1);
  assert.equal(new LocalSettings(storage).values.pushToTalk, true);
  assert.deepEqual(JSON.parse(stored.get(SETTINGS_KEY)!), { pushToTalk: true });
});
