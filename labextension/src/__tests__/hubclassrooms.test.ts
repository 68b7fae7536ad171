import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { hubSocketUrl, pickClassroom } from '../model/hubclassrooms';
import { IHubClassroom } from '../protocol';

const physics: IHubClassroom = {
  name: 'physics',
  title: 'Physics 101',
  role: 'student',
  ws_path: 'classrooms/physics/ws',
  online: 3
};
const chemistry: IHubClassroom = {
  ...physics,
  name: 'chemistry',
  title: 'Chemistry 201',
  ws_path: 'classrooms/chemistry/ws'
};

test('the classroom chosen last is joined again while it is offered', () => {
  assert.equal(pickClassroom([physics, chemistry], 'chemistry'), chemistry);
  assert.equal(pickClassroom([physics, chemistry], null), physics);
  // Taken out of that class since: the first of the others.
  assert.equal(pickClassroom([physics], 'chemistry'), physics);
  assert.equal(pickClassroom([], 'physics'), null);
});

test('the socket is under the service, over wss on https, with the token', () => {
  assert.equal(
    hubSocketUrl('/services/classroom/', physics, 'abc', 'https://hub.example.org/user/ada/lab'),
    'wss://hub.example.org/services/classroom/classrooms/physics/ws?token=abc'
  );
  assert.equal(
    hubSocketUrl('/jhub/services/classroom', chemistry, 'a b&c', 'http://127.0.0.1:8000/jhub/user/ada/lab'),
    'ws://127.0.0.1:8000/jhub/services/classroom/classrooms/chemistry/ws?token=a+b%26c'
  );
});
