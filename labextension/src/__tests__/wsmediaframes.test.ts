import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import {
  FRAME_HEADER_BYTES,
  FRAME_KIND_AUDIO,
  FRAME_KIND_CAMERA,
  FRAME_LAYER_LARGE,
  FRAME_MAX_PAYLOAD_BYTES,
  FRAME_SEQUENCE_MODULO,
  FRAME_TIMESTAMP_MODULO
} from '../protocol';
import {
  FrameError,
  IFrameHeader,
  packFrame,
  parseFrame,
  SequenceTracker,
  TimestampUnwrapper,
  wrappedDelta
} from '../rtc/wsmedia/frames';

function hex(buffer: ArrayBuffer): string {
  return Buffer.from(buffer).toString('hex');
}

function bytes(h: string): ArrayBuffer {
  const b = Buffer.from(h, 'hex');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

const camera: IFrameHeader = {
  kind: FRAME_KIND_CAMERA,
  layer: FRAME_LAYER_LARGE,
  key: true,
  source: 7,
  timestamp: 2 ** 32 - 1,
  sequence: 65535
};

// Both headers as jupyter_classroom/protocol/frames.py packs them:
// FrameHeader(1, 1, True, 7, 4294967295, 65535).pack() and FrameHeader(0, 0, True, 0, 123456789, 42).pack().
const PY_CAMERA = '0101010100000007ffffffffffff0000';
const PY_AUDIO = '0100000100000000075bcd15002a0000';

test('a header packs byte for byte as the Python spec packs it', () => {
  assert.equal(hex(packFrame(camera, new Uint8Array())), PY_CAMERA);
  const audio = { kind: FRAME_KIND_AUDIO, layer: 0, key: true, source: 0, timestamp: 123456789, sequence: 42 };
  assert.equal(hex(packFrame(audio, new Uint8Array([1, 2, 3]))), PY_AUDIO + '010203');
});

test('timestamps and sequence numbers are packed modulo their wrap', () => {
  const header = { ...camera, timestamp: FRAME_TIMESTAMP_MODULO + 5, sequence: FRAME_SEQUENCE_MODULO + 3 };
  const { header: parsed } = parseFrame(packFrame(header, new Uint8Array()));
  assert.equal(parsed.timestamp, 5);
  assert.equal(parsed.sequence, 3);
});

test('a frame round-trips, its chunk a view of the buffer', () => {
  const chunk = new Uint8Array(1000).map((_, i) => i & 0xff);
  const frame = packFrame({ ...camera, key: false, layer: 0 }, chunk);
  assert.equal(frame.byteLength, FRAME_HEADER_BYTES + 1000);
  const { header, data } = parseFrame(frame);
  assert.deepEqual(header, { ...camera, key: false, layer: 0 });
  assert.deepEqual(Array.from(data), Array.from(chunk));
  assert.equal(data.buffer, frame);
  assert.deepEqual(parseFrame(bytes(PY_CAMERA)).header, camera);
});

test('a frame with other flag bits set is still read for its key bit', () => {
  assert.equal(parseFrame(bytes('01010100' + PY_CAMERA.slice(8))).header.key, false);
  assert.equal(parseFrame(bytes('010101ff' + PY_CAMERA.slice(8))).header.key, true);
});

test('bad frames are rejected with a reason', () => {
  const bad: [string, string | ArrayBuffer, RegExp][] = [
    ['short', PY_CAMERA.slice(0, 30), /16-byte header/],
    ['empty', '', /16-byte header/],
    ['version', '02' + PY_CAMERA.slice(2), /version 2/],
    ['kind', '0103' + PY_CAMERA.slice(4), /no such kind of media frame: 3/],
    ['layer', '010102' + PY_CAMERA.slice(6), /no layer 2/],
    ['audio layer', '010001' + PY_CAMERA.slice(6), /no layer 1 for media of kind 0/],
    ['too big', new ArrayBuffer(FRAME_HEADER_BYTES + FRAME_MAX_PAYLOAD_BYTES + 1), /at most/]
  ];
  for (const [name, frame, reason] of bad) {
    const buffer = typeof frame === 'string' ? bytes(frame) : frame;
    if (typeof frame !== 'string') {
      new Uint8Array(buffer).set(new Uint8Array(bytes(PY_CAMERA)));
    }
    assert.throws(
      () => parseFrame(buffer),
      (e: unknown) => e instanceof FrameError && reason.test(e.message),
      name
    );
  }
  assert.throws(() => packFrame({ ...camera, kind: 9 }, new Uint8Array()), FrameError);
  assert.throws(() => packFrame({ ...camera, kind: FRAME_KIND_AUDIO }, new Uint8Array()), FrameError);
  const largest = new Uint8Array(FRAME_HEADER_BYTES + FRAME_MAX_PAYLOAD_BYTES);
  largest.set(new Uint8Array(bytes(PY_CAMERA)));
  assert.equal(parseFrame(largest.buffer).data.byteLength, FRAME_MAX_PAYLOAD_BYTES);
});

test('the nearest way round a wrapped counter', () => {
  assert.equal(wrappedDelta(65535, 0, 65536), 1);
  assert.equal(wrappedDelta(0, 65535, 65536), -1);
  assert.equal(wrappedDelta(10, 10 + 32767, 65536), 32767);
  assert.equal(wrappedDelta(10, 10 + 32768, 65536), -32768);
});

test('timestamps unwrap across several 2**32 wraps, 20 ms apart, some swapped', () => {
  const unwrapper = new TimestampUnwrapper();
  const start = FRAME_TIMESTAMP_MODULO - 3_000_000_000;
  // 3 hours of 20 ms frames: two and a half wraps.
  const count = (3 * 3600 * 1e6) / 20_000;
  const sent: number[] = [];
  for (let i = 0; i < count; i++) {
    sent.push(start + i * 20_000);
  }
  // Every 97th pair arrives the other way round.
  for (let i = 0; i + 1 < count; i += 97) {
    [sent[i], sent[i + 1]] = [sent[i + 1], sent[i]];
  }
  for (const t of sent) {
    assert.equal(unwrapper.unwrap(t % FRAME_TIMESTAMP_MODULO), t);
  }
});

test('a timestamp from before the first one stays before it', () => {
  const unwrapper = new TimestampUnwrapper();
  assert.equal(unwrapper.unwrap(10), 10);
  assert.equal(unwrapper.unwrap(FRAME_TIMESTAMP_MODULO - 10), -10);
  assert.equal(unwrapper.unwrap(30), 30);
});

test('sequence numbers across many 2**16 wraps: gaps counted, late frames refused', () => {
  const tracker = new SequenceTracker();
  let lost = 0;
  let expectedLost = 0;
  let late = 0;
  let sequence = 65000;
  // 300 000 frames (four and a half wraps); every 1000th loses 1-7 frames, every 777th arrives again, late.
  for (let i = 0; i < 300_000; i++) {
    if (i % 1000 === 999) {
      const gap = (i % 7) + 1;
      sequence += gap;
      expectedLost += gap;
    }
    const result = tracker.push(sequence % FRAME_SEQUENCE_MODULO);
    assert.ok(result >= 0, `frame ${i}`);
    lost += result;
    if (i % 777 === 776) {
      assert.equal(tracker.push((sequence - 1) % FRAME_SEQUENCE_MODULO), -1);
      assert.equal(tracker.push(sequence % FRAME_SEQUENCE_MODULO), -1);
      late++;
    }
    sequence++;
  }
  assert.equal(lost, expectedLost);
  assert.ok(late > 300);
});

test('a gap across the wrap is one gap of the right size', () => {
  const tracker = new SequenceTracker();
  assert.equal(tracker.push(65534), 0);
  assert.equal(tracker.push(2), 3);
  tracker.reset();
  assert.equal(tracker.push(100), 0);
});
