import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { parseChat } from '../model/chattext';

test('plain text stays one text segment, HTML included', () => {
  assert.deepEqual(parseChat('<img src=x onerror=alert(1)>'), [{ kind: 'text', text: '<img src=x onerror=alert(1)>' }]);
});

test('fenced code blocks with a language', () => {
  const s = parseChat('look:\n```python\nprint("hi")\n```\nthanks');
  assert.deepEqual(s, [
    { kind: 'text', text: 'look:\n' },
    { kind: 'block', language: 'python', text: 'print("hi")' },
    { kind: 'text', text: '\nthanks' }
  ]);
});

test('inline code and links', () => {
  const s = parseChat('run `pip install x` see https://example.org/a?b=1. ok');
  assert.deepEqual(s, [
    { kind: 'text', text: 'run ' },
    { kind: 'code', text: 'pip install x' },
    { kind: 'text', text: ' see ' },
    { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
    { kind: 'text', text: '. ok' }
  ]);
});

test('only http and https become links', () => {
  const s = parseChat('javascript:alert(1) data:text/html,x');
  assert.ok(s.every(seg => seg.kind === 'text'));
});

test('a one-line fence is code, not a language name', () => {
  assert.deepEqual(parseChat('try ```print(1)```'), [
    { kind: 'text', text: 'try ' },
    { kind: 'block', language: '', text: 'print(1)' }
  ]);
});
