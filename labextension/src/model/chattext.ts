/**
 * Chat text as safe segments. The view turns each segment into DOM nodes with
 * textContent, so nothing in a message is ever parsed as HTML.
 */

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'block'; text: string; language: string }
  | { kind: 'link'; text: string; href: string };

const FENCE = /```(?:([\w+-]+)[ \t]*\n)?\n?([\s\S]*?)```/g;
const INLINE = /`([^`\n]+)`/g;
const URL = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/g;

function links(text: string, out: Segment[]): void {
  let last = 0;
  for (const m of text.matchAll(URL)) {
    if (m.index! > last) {
      out.push({ kind: 'text', text: text.slice(last, m.index) });
    }
    out.push({ kind: 'link', text: m[0], href: m[0] });
    last = m.index! + m[0].length;
  }
  if (last < text.length) {
    out.push({ kind: 'text', text: text.slice(last) });
  }
}

function inline(text: string, out: Segment[]): void {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index! > last) {
      links(text.slice(last, m.index), out);
    }
    out.push({ kind: 'code', text: m[1] });
    last = m.index! + m[0].length;
  }
  if (last < text.length) {
    links(text.slice(last), out);
  }
}

/** Split a message into text, inline code, code blocks and http(s) links. */
export function parseChat(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(FENCE)) {
    if (m.index! > last) {
      inline(text.slice(last, m.index), out);
    }
    out.push({ kind: 'block', language: m[1] ?? '', text: m[2].replace(/\n$/, '') });
    last = m.index! + m[0].length;
  }
  if (last < text.length) {
    inline(text.slice(last), out);
  }
  return out;
}
