/**
 * The topic name rule on bytes (docs/protocol.md §3.14): 1..128 bytes of `A-Z a-z 0-9 _ - .`,
 * no empty dot-separated part, `*` and `>` reserved for wildcard subscriptions. Checked on the
 * frame's bytes so a valid topic costs a table lookup per byte and no string.
 */
import { MyceliumError } from '../errors.ts';
import { MAX_TOPIC_LENGTH } from './limits.ts';

const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;

/** 1 for each byte allowed in a topic besides the dot. */
const WORD_BYTE = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const c = String.fromCharCode(b);
  if (/[A-Za-z0-9_-]/.test(c)) WORD_BYTE[b] = 1;
}

/** A topic's bytes for an error message: printable ASCII as is, anything else as \xNN. */
function show(bytes: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len; i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${hex2(b)}`;
  }
  return s;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function badByte(bytes: Uint8Array, start: number, len: number, at: number): string {
  const b = bytes[at]!;
  const name = `topic "${show(bytes, start, len)}"`;
  if (b === STAR || b === GT) {
    return `${name} contains '${String.fromCharCode(b)}' at ${at - start}, which is reserved for wildcard subscriptions`;
  }
  const what = b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${hex2(b)}`;
  return `${name} contains ${what} at ${at - start}; allowed are A-Z a-z 0-9 _ - .`;
}

/**
 * Why `bytes[start, start + len)` is not a valid topic name, or undefined when it is. Makes no
 * string and allocates nothing for a valid name; the message names the topic and the rule broken.
 */
export function topicBytesProblem(bytes: Uint8Array, start: number, len: number): string | undefined {
  if (len < 1 || len > MAX_TOPIC_LENGTH) {
    return `topic is ${len} bytes long; it must be 1 to ${MAX_TOPIC_LENGTH}`;
  }
  // `afterDot` starts true so a leading dot counts as an empty first part.
  let afterDot = true;
  const end = start + len;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (WORD_BYTE[b] === 1) {
      afterDot = false;
    } else if (b === DOT && !afterDot) {
      afterDot = true;
    } else if (b === DOT) {
      return `topic "${show(bytes, start, len)}" has an empty part between dots (no leading, trailing or double dot)`;
    } else {
      return badByte(bytes, start, len, i);
    }
  }
  if (afterDot) {
    return `topic "${show(bytes, start, len)}" has an empty part between dots (no leading, trailing or double dot)`;
  }
  return undefined;
}

/**
 * The wire bytes of a topic name (ASCII), checked against §3.14.
 * @throws MyceliumError INVALID_TOPIC naming the rule the name breaks
 */
export function encodeTopic(name: string): Buffer {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) {
      const hex = c.toString(16).toUpperCase().padStart(4, '0');
      throw new MyceliumError(
        'INVALID_TOPIC',
        `topic ${JSON.stringify(name)} contains U+${hex} at ${i}; allowed are A-Z a-z 0-9 _ - .`,
      );
    }
  }
  const bytes = Buffer.from(name, 'latin1');
  const problem = topicBytesProblem(bytes, 0, bytes.length);
  if (problem !== undefined) throw new MyceliumError('INVALID_TOPIC', problem);
  return bytes;
}
