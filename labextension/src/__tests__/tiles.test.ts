import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import {
  decodeGid,
  flipMatrix,
  FLIPPED_DIAGONALLY,
  FLIPPED_HORIZONTALLY,
  FLIPPED_VERTICALLY,
  layerCells,
  ROTATED_HEXAGONAL_120,
  sourceRect,
  tilesetOf
} from '../view/tiles';

test('a gid without flags is itself', () => {
  assert.deepEqual(decodeGid(37), { gid: 37, flipH: false, flipV: false, flipD: false });
  assert.equal(decodeGid(0).gid, 0);
});

test('flip flags come off the gid, each one alone and all together', () => {
  assert.deepEqual(decodeGid(FLIPPED_HORIZONTALLY + 5), { gid: 5, flipH: true, flipV: false, flipD: false });
  assert.deepEqual(decodeGid(FLIPPED_VERTICALLY + 5), { gid: 5, flipH: false, flipV: true, flipD: false });
  assert.deepEqual(decodeGid(FLIPPED_DIAGONALLY + 5), { gid: 5, flipH: false, flipV: false, flipD: true });
  // As JSON numbers (doubles above 2^31), the way Tiled writes them.
  assert.deepEqual(decodeGid(3221225473), { gid: 1, flipH: true, flipV: true, flipD: false });
  assert.deepEqual(decodeGid(0xe0000000 + 268435455), { gid: 268435455, flipH: true, flipV: true, flipD: true });
  // The hexagonal rotation flag is not part of the id either.
  assert.equal(decodeGid(ROTATED_HEXAGONAL_120 + 9).gid, 9);
  // Negative numbers (a signed 32-bit reading) decode the same.
  assert.deepEqual(decodeGid(-2147483643), decodeGid(FLIPPED_HORIZONTALLY + 5));
});

test('the tileset of a gid is the last one starting at or before it', () => {
  const sets = [
    { name: 'a', firstgid: 1, tilecount: 10, columns: 5, tilewidth: 32, tileheight: 32 },
    { name: 'b', firstgid: 11, tilecount: 4, columns: 2, tilewidth: 16, tileheight: 16 },
    { name: 'c', firstgid: 100, tilecount: 1, columns: 1, tilewidth: 64, tileheight: 96 }
  ];
  assert.equal(tilesetOf(sets, 0), null);
  assert.equal(tilesetOf(sets, 1)?.name, 'a');
  assert.equal(tilesetOf(sets, 10)?.name, 'a');
  assert.equal(tilesetOf(sets, 11)?.name, 'b');
  assert.equal(tilesetOf(sets, 14)?.name, 'b');
  assert.equal(tilesetOf(sets, 15), null, 'past the last tile of b, before c');
  assert.equal(tilesetOf(sets, 100)?.name, 'c');
  assert.equal(tilesetOf(sets, 101), null);
  assert.equal(tilesetOf([], 1), null);
});

test('source rectangles count columns, margin and spacing', () => {
  const ts = { firstgid: 1, tilecount: 16, columns: 4, tilewidth: 32, tileheight: 32 };
  assert.deepEqual(sourceRect(ts, 1), [0, 0, 32, 32]);
  assert.deepEqual(sourceRect(ts, 4), [96, 0, 32, 32]);
  assert.deepEqual(sourceRect(ts, 5), [0, 32, 32, 32]);
  assert.deepEqual(sourceRect(ts, 16), [96, 96, 32, 32]);
  const spaced = { ...ts, firstgid: 11, margin: 1, spacing: 2 };
  assert.deepEqual(sourceRect(spaced, 11), [1, 1, 32, 32]);
  assert.deepEqual(sourceRect(spaced, 16), [1 + 34, 1 + 34, 32, 32]);
});

/** Where the matrix sends a point. */
function apply(m: [number, number, number, number], x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + 0, m[1] * x + m[3] * y + 0];
}

test('flips become the transforms Tiled draws them with', () => {
  const none = { flipH: false, flipV: false, flipD: false };
  assert.deepEqual(flipMatrix(none), [1, 0, 0, 1]);
  assert.deepEqual(flipMatrix({ ...none, flipH: true }), [-1, 0, 0, 1]);
  assert.deepEqual(flipMatrix({ ...none, flipV: true }), [1, 0, 0, -1]);
  assert.deepEqual(flipMatrix({ ...none, flipD: true }), [0, 1, 1, 0]);
  // Tiled's rotations: 90° clockwise is diagonal + horizontal, 180° is
  // horizontal + vertical, 270° is diagonal + vertical. With y pointing
  // down, a 90° clockwise turn sends the x axis down and the y axis left.
  const cw = flipMatrix({ flipD: true, flipH: true, flipV: false });
  assert.deepEqual(apply(cw, 1, 0), [0, 1]);
  assert.deepEqual(apply(cw, 0, 1), [-1, 0]);
  const half = flipMatrix({ flipD: false, flipH: true, flipV: true });
  assert.deepEqual(apply(half, 1, 0), [-1, 0]);
  assert.deepEqual(apply(half, 0, 1), [0, -1]);
  const ccw = flipMatrix({ flipD: true, flipH: false, flipV: true });
  assert.deepEqual(apply(ccw, 1, 0), [0, -1]);
  assert.deepEqual(apply(ccw, 0, 1), [1, 0]);
});

test('layer cells come as arrays or as base64 little-endian numbers', () => {
  assert.deepEqual(
    layerCells([1, 2, 3], 3, () => new Uint8Array()),
    [1, 2, 3]
  );
  const bytes = new Uint8Array([1, 0, 0, 0, 5, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff]);
  const cells = layerCells('ignored', 3, () => bytes);
  assert.deepEqual(cells, [1, 0x80000005, 0xffffffff]);
  assert.equal(decodeGid(cells[1]).gid, 5);
  assert.ok(decodeGid(cells[1]).flipH);
});
