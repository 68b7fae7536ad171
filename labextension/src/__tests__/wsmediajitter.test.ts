import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { JitterBuffer, LinearResampler } from '../rtc/wsmedia/jitter';

/** `n` samples counting up from `start` (so order and loss are visible). */
function ramp(start: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => start + i);
}

test('nothing plays until the target is buffered', () => {
  const buffer = new JitterBuffer(300, 1000);
  const out = new Float32Array(128);
  buffer.push(ramp(1, 200));
  buffer.pull(out);
  assert.ok(out.every(v => v === 0));
  assert.equal(buffer.buffered, 200);
  assert.equal(buffer.playing, false);
  buffer.push(ramp(201, 100));
  buffer.pull(out);
  assert.equal(buffer.playing, true);
  assert.deepEqual(Array.from(out), Array.from(ramp(1, 128)));
  assert.equal(buffer.underruns, 0);
});

test('running dry plays silence, counts an underrun, and waits for the target again', () => {
  const buffer = new JitterBuffer(100, 1000);
  const out = new Float32Array(128);
  buffer.push(ramp(1, 150));
  buffer.pull(out);
  buffer.pull(out);
  assert.deepEqual(Array.from(out.subarray(0, 22)), Array.from(ramp(129, 22)));
  assert.ok(out.subarray(22).every(v => v === 0));
  assert.equal(buffer.underruns, 1);
  assert.equal(buffer.playing, false);
  buffer.push(ramp(1000, 50));
  buffer.pull(out);
  assert.ok(
    out.every(v => v === 0),
    'below the target after an underrun: still silent'
  );
  assert.equal(buffer.underruns, 1, 'waiting to refill is not another underrun');
});

test('over the maximum, the oldest sound goes, down to the target', () => {
  const buffer = new JitterBuffer(300, 1000);
  buffer.push(ramp(0, 900));
  assert.equal(buffer.dropped, 0);
  buffer.push(ramp(900, 200));
  assert.equal(buffer.buffered, 300);
  assert.equal(buffer.dropped, 800);
  const out = new Float32Array(300);
  buffer.pull(out);
  assert.deepEqual(Array.from(out), Array.from(ramp(800, 300)), 'the newest 300 samples remain, in order');
});

test('one piece larger than the buffer keeps its newest samples', () => {
  const buffer = new JitterBuffer(300, 1000);
  buffer.push(ramp(0, 50));
  buffer.push(ramp(50, 5000));
  assert.equal(buffer.buffered, 300);
  assert.equal(buffer.dropped, 4750);
  const out = new Float32Array(300);
  buffer.pull(out);
  assert.deepEqual(Array.from(out), Array.from(ramp(4750, 300)));
});

test('a long stream through the ring stays in order with nothing lost when pushes keep pace', () => {
  // 48 kHz: 960-sample Opus frames in, 128-sample render quanta out, 50 ms target, 150 ms max.
  const buffer = new JitterBuffer(2400, 7200);
  const out = new Float32Array(128);
  let next = 1;
  let expected = 1;
  let pulled = 0;
  // 15 000 frames (5 minutes): the sample values stay exact in 32-bit floats.
  for (let frame = 0; frame < 15_000; frame++) {
    buffer.push(ramp(next, 960));
    next += 960;
    // 960 samples is 7.5 quanta: alternately 7 and 8 pulls.
    for (let q = 0; q < (frame % 2 ? 8 : 7); q++) {
      buffer.pull(out);
      for (const v of out) {
        if (v !== 0) {
          assert.equal(v, expected);
          expected++;
          pulled++;
        }
      }
    }
    assert.ok(buffer.buffered <= 7200);
  }
  assert.equal(buffer.dropped, 0);
  assert.equal(buffer.underruns, 0);
  assert.equal(pulled + buffer.buffered, next - 1);
});

test('a burst after a stall is cut back to the target, a stall is an underrun', () => {
  const buffer = new JitterBuffer(2400, 7200);
  const out = new Float32Array(128);
  buffer.push(ramp(1, 2400));
  for (let q = 0; q < 40; q++) {
    buffer.pull(out);
  }
  assert.equal(buffer.underruns, 1);
  // 200 ms arrive at once.
  for (let f = 0; f < 10; f++) {
    buffer.push(ramp(10_000 + f * 960, 960));
  }
  assert.ok(buffer.buffered <= 7200);
  assert.equal(buffer.dropped, 9600 - buffer.buffered);
});

test('the resampler keeps the same rate untouched', () => {
  const input = ramp(0, 100);
  assert.equal(new LinearResampler(48000, 48000).process(input), input);
});

test('48 kHz to 44.1 kHz in 20 ms pieces: the right count, and a ramp stays a ramp across the joins', () => {
  const resampler = new LinearResampler(48000, 44100);
  const pieces = 500;
  const out: number[] = [];
  for (let p = 0; p < pieces; p++) {
    // A ramp rising 0.001 per input sample.
    out.push(...resampler.process(ramp(p * 960, 960).map(v => v / 1000)));
  }
  assert.ok(Math.abs(out.length - pieces * 882) <= 1, `${out.length}`);
  const step = 48000 / 44100 / 1000;
  for (let k = 1; k < out.length; k++) {
    assert.ok(Math.abs(out[k] - out[k - 1] - step) < 1e-4, `sample ${k}`);
  }
});

test('upsampling with pieces shorter than a step', () => {
  const resampler = new LinearResampler(16000, 48000);
  let count = 0;
  for (let p = 0; p < 1000; p++) {
    count += resampler.process(ramp(p, 1)).length;
  }
  // Each sample is interpolated towards once the next has come: all but the last one's three.
  assert.equal(count, 3 * (1000 - 1));
});

test('a standing delay above the target is trimmed back, a little at a time', () => {
  // Target 2,400 samples (50 ms at 48 kHz), at most 7,200 (150 ms).
  const buffer = new JitterBuffer(2400, 7200);
  const out = new Float32Array(960);
  // A burst at the start: 5,760 samples (120 ms) waiting, then pushes keep pace.
  buffer.push(new Float32Array(5760).fill(0.5));
  for (let i = 0; i < 50 * 10; i++) {
    buffer.push(new Float32Array(960).fill(0.5));
    buffer.pull(out);
  }
  // Ten seconds later it is back near the target, with no underrun on the way.
  assert.ok(buffer.buffered <= 2400 + 960 + 960, `still ${buffer.buffered} samples behind`);
  assert.ok(buffer.dropped >= 5760 - 2400 - 960 - 960);
  assert.equal(buffer.underruns, 0);
});

test('a delay that only touches the slack is left alone', () => {
  const buffer = new JitterBuffer(2400, 7200);
  const out = new Float32Array(960);
  buffer.push(new Float32Array(2400 + 500).fill(0.5));
  for (let i = 0; i < 50 * 5; i++) {
    buffer.push(new Float32Array(960).fill(0.5));
    buffer.pull(out);
  }
  assert.equal(buffer.dropped, 0);
});
