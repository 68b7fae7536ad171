import { strict as assert } from 'node:assert';
import { beforeEach, test } from 'node:test';

import { JSDOM } from 'jsdom';
import { Signal } from '@lumino/signaling';

import type { ClientMessage, IInvitationInfo, ServerMessage } from '../protocol';
import type { ClassroomConnection } from '../model/connection';
import { Ask, asker, InvitationRefused, InvitePanel, linkOf, timeLeft } from '../view/teaching/invite';
import type { Trans } from '../view/teaching';

beforeEach(() => {
  const { window } = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://example.org/' });
  Object.assign(globalThis, { window, document: window.document, HTMLElement: window.HTMLElement });
});

const trans: Trans = {
  __: (text: string, ...args: unknown[]) => args.reduce<string>((t, a, i) => t.replace(`%${i + 1}`, String(a)), text),
  _n: (one: string, many: string, n: number, ...args: unknown[]) =>
    [n, ...args].reduce<string>((t, a, i) => t.replace(`%${i + 1}`, String(a)), n === 1 ? one : many)
};

const info = (id: string, extra: Partial<IInvitationInfo> = {}): IInvitationInfo => ({
  id,
  path: `/base/classroom/join/${id}.1.sig`,
  role: 'student',
  expires: 1.8e9,
  guests: 0,
  max_guests: 40,
  ...extra
});

/** A classroom connection that answers each request as `answer` says. */
function fakeConnection(answer: (m: ClientMessage & { id: number }) => ServerMessage | null): {
  connection: ClassroomConnection;
  sent: ClientMessage[];
} {
  const sent: ClientMessage[] = [];
  const owner = {};
  const received = new Signal<object, ServerMessage>(owner);
  const connection = {
    messageReceived: received,
    send: (m: ClientMessage) => {
      sent.push(m);
      const reply = answer(m as ClientMessage & { id: number });
      if (reply) {
        void Promise.resolve().then(() => received.emit(reply));
      }
      return true;
    }
  } as unknown as ClassroomConnection;
  return { connection, sent };
}

test('a request settles with the reply carrying its id, and a refusal with its code', async () => {
  const { connection } = fakeConnection(m =>
    m.type === 'list_invitations'
      ? { type: 'invitations', invitations: [info('a')], id: m.id }
      : { type: 'error', code: 'forbidden', message: 'No.', id: m.id }
  );
  const ask = asker(connection, 1000);
  const reply = await ask({ type: 'list_invitations' });
  assert.equal(reply.type, 'invitations');
  await assert.rejects(ask({ type: 'create_invitation' }), (e: unknown) => {
    assert.ok(e instanceof InvitationRefused);
    assert.equal(e.code, 'forbidden');
    return true;
  });
});

test('the link is the server origin and the path; time left reads coarsely', () => {
  assert.equal(linkOf(info('a'), 'https://hub.example'), 'https://hub.example/base/classroom/join/a.1.sig');
  const now = 1.8e9 * 1000;
  assert.equal(timeLeft(1.8e9 + 90, now, trans), '2 minutes left');
  assert.equal(timeLeft(1.8e9 + 7200, now, trans), '2 hours left');
  assert.equal(timeLeft(1.8e9 + 7 * 86400, now, trans), '7 days left');
  assert.equal(timeLeft(1.8e9 - 5, now, trans), '0 minutes left');
});

test('the panel makes a link with the chosen role, expiry and cap, lists and revokes', async () => {
  let current: IInvitationInfo[] = [];
  const { connection, sent } = fakeConnection(m => {
    switch (m.type) {
      case 'create_invitation': {
        const made = info('n1', { role: m.role ?? 'student', max_guests: m.max_guests ?? 40, label: m.label });
        current = [made];
        return { type: 'invitation', invitation: made, id: m.id };
      }
      case 'list_invitations':
        return { type: 'invitations', invitations: current, id: m.id };
      case 'revoke_invitation':
        current = [];
        return { type: 'invitation', invitation: info(m.invitation, { revoked: true }), id: m.id };
    }
    return null;
  });
  const ask: Ask = asker(connection, 1000);
  const copied: string[] = [];
  const panel = new InvitePanel(ask, trans, text => copied.push(text));
  document.body.append(panel.node);
  const [role, expiry] = [...panel.node.querySelectorAll('select')];
  const [cap, label] = [...panel.node.querySelectorAll('input')] as HTMLInputElement[];
  // Every field has a label that names it.
  for (const control of [role, expiry, cap, label]) {
    assert.ok(control.closest('label')?.textContent, 'a field without a label');
  }
  role.value = 'instructor';
  expiry.value = '86400';
  cap.value = '5';
  label.value = ' Lab ';
  await panel.create();
  assert.deepEqual(sent[0], {
    type: 'create_invitation',
    role: 'instructor',
    expires_in: 86400,
    max_guests: 5,
    label: 'Lab',
    id: (sent[0] as { id: number }).id
  });
  const link = panel.node.querySelector<HTMLInputElement>('.jp-Classroom-inviteLink')!;
  assert.equal(link.value, 'http://example.org/base/classroom/join/n1.1.sig');
  assert.equal(panel.invitations.length, 1);
  [...panel.node.querySelectorAll('button')].find(b => b.textContent === 'Copy')!.click();
  assert.deepEqual(copied, [link.value]);
  const revoke = [...panel.node.querySelectorAll('button')].find(b => b.textContent === 'Revoke')!;
  assert.equal(revoke.getAttribute('aria-label'), 'Revoke invitation Lab');
  await panel.revoke(panel.invitations[0]);
  assert.deepEqual(
    sent.map(m => m.type),
    ['create_invitation', 'list_invitations', 'revoke_invitation', 'list_invitations']
  );
  assert.equal(panel.invitations.length, 0);
  assert.match(panel.node.querySelector('[role=status]')!.textContent!, /revoked/);
  assert.equal(panel.node.querySelector('.jp-Classroom-inviteEmpty')?.textContent, 'No current invitations.');
});
