// UTF-8 as CPython's pickle uses it: "surrogatepass" both ways, so that a lone surrogate in a
// JavaScript string (legal there, and in Python's str) survives the trip instead of becoming U+FFFD.

import { UnpicklingError } from "./errors.js";

/** Node's Buffer with its fast, undocumented-in-types string methods (present since Node 0.x). */
export type FastBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number): number;
  utf8Write(s: string, offset: number): number;
};

/** Encodes `s` as UTF-8 with surrogatepass, into a new Buffer or into `out` at `offset` (returns the length). */
export function encodeUtf8(s: string): Buffer;
export function encodeUtf8(s: string, out: Buffer, offset: number): number;
export function encodeUtf8(s: string, out?: Buffer, offset = 0): Buffer | number {
  if ((s as any).isWellFormed?.() !== false) {
    if (out) return (out as FastBuffer).utf8Write(s, offset);
    return Buffer.from(s, "utf8");
  }
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  if (out) {
    out.set(bytes, offset);
    return bytes.length;
  }
  return Buffer.from(bytes);
}

/**
 * Decodes UTF-8 with surrogatepass, strictly: invalid input raises UnpicklingError with the
 * text of CPython's UnicodeDecodeError.
 */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  if (end - start < 24) {
    // Short ASCII: building the string here beats a call into C++.
    let s = "";
    let i = start;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c > 0x7f) break;
      s += String.fromCharCode(c);
    }
    if (i === end) return s;
  } else {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return (buf as FastBuffer).latin1Slice(start, end);
  }
  const s = (buf as FastBuffer).utf8Slice(start, end);
  if (!s.includes("\ufffd")) return s;
  return decodeSlow(buf, start, end);
}

function decodeSlow(buf: Buffer, start: number, end: number): string {
  let out = "";
  let i = start;
  const fail = (reason: string, at: number): never => {
    throw new UnpicklingError(`'utf-8' codec can't decode byte 0x${buf[at]!.toString(16).padStart(2, "0")} in position ${at - start}: ${reason}`);
  };
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let need: number, cp: number, min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, cp, min] = [1, b & 0x1f, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, cp, min] = [2, b & 0x0f, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, cp, min] = [3, b & 0x07, 0x10000];
    else return fail("invalid start byte", i);
    for (let k = 1; k <= need; k++) {
      if (i + k >= end) return fail("unexpected end of data", i);
      const c = buf[i + k]!;
      if ((c & 0xc0) !== 0x80) return fail("invalid continuation byte", i);
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff) return fail("invalid continuation byte", i);
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
