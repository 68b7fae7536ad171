import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { RECONNECT_LIMITS, ReconnectSchedule, ReconnectStep } from '../model/reconnect';

const half = () => 0.5;

/** Fail until the schedule gives up, the clock moving by each delay; the steps taken. */
function failUntilGivenUp(schedule: ReconnectSchedule, restarting: boolean, start = 0): ReconnectStep[] {
  const steps: ReconnectStep[] = [];
  let now = start;
  for (let i = 0; i < 1000; i++) {
    const step = schedule.failed(now, restarting);
    steps.push(step);
    if (step.kind === 'give-up') {
      return steps;
    }
    now += step.delay;
  }
  throw new Error('never gave up');
}

test('a server that vanished is tried a bounded number of times with backoff, then given up', () => {
  const schedule = new ReconnectSchedule(RECONNECT_LIMITS, half);
  const steps = failUntilGivenUp(schedule, false);
  const retries = steps.filter(s => s.kind === 'retry');
  assert.equal(retries.length, RECONNECT_LIMITS.tries);
  assert.deepEqual(
    retries.map(s => (s.kind === 'retry' ? s.delay : 0)),
    [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]
  );
  assert.deepEqual(steps[steps.length - 1], { kind: 'give-up', attempts: RECONNECT_LIMITS.tries });
  assert.ok(schedule.gaveUp);
  // Nothing more is scheduled until someone asks.
  assert.equal(schedule.failed(1e9, false).kind, 'give-up');
});

test('a restart the server announced is tried each second, for a bounded time', () => {
  const schedule = new ReconnectSchedule({ tries: 8, restartTries: 1000, ms: 30_000 }, half);
  const steps = failUntilGivenUp(schedule, true);
  const retries = steps.filter(s => s.kind === 'retry');
  assert.ok(
    retries.every(s => s.kind === 'retry' && s.delay === 800),
    'about a second apart'
  );
  // The time bound ends it, not the count: 30 s of 0.8 s waits.
  assert.equal(retries.length, Math.ceil(30_000 / 800));
  assert.equal(steps[steps.length - 1].kind, 'give-up');
});

test('a success restores the whole budget', () => {
  const schedule = new ReconnectSchedule(RECONNECT_LIMITS, half);
  schedule.failed(0, false);
  schedule.failed(500, false);
  assert.equal(schedule.attempts, 2);
  schedule.succeeded();
  assert.equal(schedule.attempts, 0);
  // The clock of the budget starts again at the next failure, much later.
  const steps = failUntilGivenUp(schedule, false, 10_000_000);
  assert.equal(steps.filter(s => s.kind === 'retry').length, RECONNECT_LIMITS.tries);
});

test('Retry after giving up gives a fresh budget, starting with the shortest wait', () => {
  const schedule = new ReconnectSchedule(RECONNECT_LIMITS, half);
  failUntilGivenUp(schedule, false);
  schedule.retry();
  assert.ok(!schedule.gaveUp);
  assert.deepEqual(schedule.failed(5_000_000, false), { kind: 'retry', delay: 500, attempt: 1 });
});

test('jitter keeps each wait within a quarter of its step', () => {
  for (const r of [0, 0.999]) {
    const schedule = new ReconnectSchedule(RECONNECT_LIMITS, () => r);
    const step = schedule.failed(0, false);
    assert.ok(step.kind === 'retry' && step.delay >= 375 && step.delay <= 625, JSON.stringify(step));
  }
});
