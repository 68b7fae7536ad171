import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { IParticipantInfo, IWelcome, ServerMessage } from '../protocol';
import { ClassroomConnection } from '../model/connection';
import { Roster } from '../model/roster';

/** Just enough of a connection to hand the roster server messages. */
class FakeConnection {
  on(type: string, handler: (m: any) => void): { dispose(): void; isDisposed: boolean } {
    const list = this._handlers.get(type) ?? [];
    list.push(handler);
    this._handlers.set(type, list);
    return {
      isDisposed: false,
      dispose: () => list.splice(list.indexOf(handler), 1)
    };
  }

  receive(m: ServerMessage | { type: string; [key: string]: unknown }): void {
    (this._handlers.get(m.type) ?? []).forEach(h => h(m));
  }

  private _handlers = new Map<string, ((m: any) => void)[]>();
}

function info(id: string, x: number, y = 0, more: Partial<IParticipantInfo> = {}): IParticipantInfo {
  return {
    id,
    user: id,
    name: id,
    initials: id.slice(0, 2).toUpperCase(),
    color: '#123456',
    role: 'student',
    x,
    y,
    status: 'available',
    hand: false,
    mic: false,
    camera: false,
    screen: false,
    connection: 'online',
    room: null,
    ...more
  };
}

function welcome(participants: IParticipantInfo[]): IWelcome {
  return {
    type: 'welcome',
    protocol: 3,
    you: 'me',
    resume: 'token',
    map: { width: 1000, height: 1000, walls: [], rooms: [] } as unknown as IWelcome['map'],
    config: { proximity_radius: 150, proximity_drop_radius: 190 } as IWelcome['config'],
    participants,
    ice_servers: []
  };
}

function setUp(...others: IParticipantInfo[]): { connection: FakeConnection; roster: Roster; changes: () => number } {
  const connection = new FakeConnection();
  const roster = new Roster(connection as unknown as ClassroomConnection);
  let count = 0;
  roster.neighboursChanged.connect(() => count++);
  roster.replace(welcome([info('me', 0), ...others]));
  return { connection, roster, changes: () => count };
}

const sorted = (ids: ReadonlySet<string>) => [...ids].sort();

test('the welcome gives who is near, all capped until the server pairs us', () => {
  const { roster, changes } = setUp(info('a', 100), info('b', 300));
  assert.deepEqual(sorted(roster.neighbours), ['a']);
  assert.deepEqual(sorted(roster.capped), ['a']);
  assert.equal(changes(), 1);
});

test('positions batches move the others; ours is the avatar’s', () => {
  const { connection, roster, changes } = setUp(info('a', 100), info('b', 300));
  connection.receive({
    type: 'positions',
    t: 1,
    moves: [
      { id: 'b', x: 140, y: 0 },
      { id: 'me', x: 900, y: 900 }
    ]
  });
  assert.deepEqual(sorted(roster.neighbours), ['a', 'b'], 'our own id in a batch does not move us');
  assert.equal(changes(), 2);

  // Moves that change nobody's nearness say nothing.
  connection.receive({ type: 'positions', t: 2, moves: [{ id: 'b', x: 180, y: 0 }] });
  assert.equal(changes(), 2);
  assert.deepEqual(sorted(roster.neighbours), ['a', 'b']);

  connection.receive({ type: 'positions', t: 3, moves: [{ id: 'b', x: 200, y: 0 }] });
  assert.deepEqual(sorted(roster.neighbours), ['a']);
  assert.equal(changes(), 3);
});

test('our avatar walking changes who is near', () => {
  const { roster, changes } = setUp(info('a', 100), info('b', 300));
  roster.setOwnPosition([200, 0]);
  assert.deepEqual(sorted(roster.neighbours), ['a', 'b']);
  roster.setOwnPosition([201, 0]);
  assert.equal(changes(), 2, 'one step that changes nobody: no signal');
  roster.setOwnPosition([400, 0]);
  assert.deepEqual(sorted(roster.neighbours), ['b']);
  assert.equal(changes(), 3);
});

test('peer_connect and peer_disconnect decide who is capped', () => {
  const { connection, roster, changes } = setUp(info('a', 100), info('b', 120));
  connection.receive({ type: 'peer_connect', peer: 'a', offerer: true });
  assert.deepEqual(sorted(roster.capped), ['b']);
  assert.equal(changes(), 2);
  connection.receive({ type: 'peer_disconnect', peer: 'a' });
  assert.deepEqual(sorted(roster.capped), ['a', 'b']);
  assert.equal(changes(), 3);

  // A new welcome (a reconnect) forgets the calls: the server pairs us again.
  connection.receive({ type: 'peer_connect', peer: 'a', offerer: false });
  connection.receive({ type: 'peer_connect', peer: 'b', offerer: false });
  assert.equal(roster.capped.size, 0);
  roster.replace(welcome([info('me', 0), info('a', 100), info('b', 120)]));
  assert.deepEqual(sorted(roster.capped), ['a', 'b']);
});

test('reconnecting, leaving and rooms', () => {
  const { connection, roster, changes } = setUp(info('a', 100), info('b', 120));
  const before = changes();

  connection.receive({ type: 'participant_updated', participant: info('a', 100, 0, { connection: 'reconnecting' }) });
  assert.deepEqual(sorted(roster.neighbours), ['b']);
  assert.equal(changes(), before + 1);

  // A hand raised changes nothing about who is near.
  connection.receive({ type: 'participant_updated', participant: info('b', 120, 0, { hand: true }) });
  assert.equal(changes(), before + 1);

  connection.receive({ type: 'participant_updated', participant: info('b', 120, 0, { room: 'table-1' }) });
  assert.deepEqual(sorted(roster.neighbours), ['b']);
  assert.equal(roster.capped.size, 0, 'someone in a room is not capped');
  assert.equal(changes(), before + 2);

  connection.receive({ type: 'participant_left', participant_id: 'b' });
  assert.equal(roster.neighbours.size, 0);
  assert.equal(changes(), before + 3);

  connection.receive({ type: 'participant_joined', participant: info('c', 10) });
  assert.deepEqual(sorted(roster.neighbours), ['c']);
  assert.deepEqual(sorted(roster.capped), ['c']);

  // We walk into a room (the server says so): nobody is capped, c is still near.
  connection.receive({ type: 'participant_updated', participant: info('me', 0, 0, { room: 'table-1' }) });
  assert.equal(roster.capped.size, 0);
  assert.deepEqual(sorted(roster.neighbours), ['c']);
});

test('a crowd: a batch costs what it moves', t => {
  const at = (i: number) => ({ id: `p${i}`, x: (i % 50) * 40, y: Math.floor(i / 50) * 40 });
  const { connection, roster } = setUp(...Array.from({ length: 500 }, (_, i) => info(at(i).id, at(i).x, at(i).y)));
  const near = roster.neighbours.size;
  assert.ok(near > 0 && near < 500);
  const started = performance.now();
  for (let t = 0; t < 150; t++) {
    const moves = Array.from({ length: 100 }, (_, i) => ({ ...at(i), x: at(i).x + (t % 2) }));
    connection.receive({ type: 'positions', t, moves });
    roster.setOwnPosition([t % 2, 0]);
  }
  // Not a timing assertion: the figure is for whoever reads the output.
  t.diagnostic(`150 batches of 100 moves in a crowd of 500: ${(performance.now() - started).toFixed(1)} ms`);
  assert.equal(roster.neighbours.size, near);
});
