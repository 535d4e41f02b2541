// The records of a shared referent's log (continues managers/shared_referents.ts): how a call
// `[methodname, ...args]` is written into a slot's half and read back by the threads that replay
// it. No CPython counterpart (CPython sends each call over a socket instead).
//
// A record starts 8-aligned with a cell holding the length of its payload (from the record's
// byte 8). Its bytes 4-7 tell its form: zero for codec.ts bytes of `[methodname, ...args]` as the
// payload; for the common calls of at most two arguments that are numbers, strings, booleans, null
// or undefined, a compact form that skips the codec: the byte kCompact, the method's index in
// kMethodNames, the argument count, and the arguments' tags (four bits each). Each argument is in
// the payload, 8-aligned: a float64 (a number) or a cell with a length and that many bytes (a
// string: Latin-1 if all its characters are ASCII, else UTF-8); booleans, null and undefined are
// their tag alone. So `append(1)` is 16 bytes and `d[k] = v` 24. Plain typed-array stores: no Buffer method (bounds
// checks, argument validation) on the path of a call.

import { decode } from "../../shared/codec.js";
import { kMethodIds, kMethodNames } from "./kinds.js";

/** Byte 4 of a compact record (0 in a record of codec bytes). */
const kCompact = 0xff;
const kMaxCompactArgs = 2;
const Arg = { Null: 0, Undefined: 1, False: 2, True: 3, Number: 4, String: 5, Ascii: 6 } as const;
/** Strings up to this length are tried as ASCII, one byte store per character. */
const kAsciiTry = 256;

/** Rounds up to 8 bytes. */
export const pad8 = (n: number): number => (n + 7) & ~7;

/** Views of one manager's control buffer that records are written through. */
export interface RecordViews {
  cells: Int32Array;
  f64: Float64Array;
  bytes: Buffer;
}

/**
 * Writes `payload` (codec bytes) as a record at byte `at` if it ends by `limit`; returns the byte
 * after it, or -1.
 */
export function writeBytes(v: RecordViews, at: number, limit: number, payload: Uint8Array): number {
  const end = at + 8 + pad8(payload.length);
  if (end > limit) return -1;
  v.cells[at >> 2] = payload.length;
  v.cells[(at >> 2) + 1] = 0;
  v.bytes.set(payload, at + 8);
  return end;
}

/**
 * Writes `[methodname, ...args]` compactly as a record at byte `at` (8-aligned) if the arguments
 * allow and it ends by `limit`: the byte after it; -1 if it does not fit; -2 if the arguments
 * need the codec (the caller writes codec bytes instead).
 */
export function writeCompact(v: RecordViews, at: number, limit: number, methodname: string, args: readonly unknown[]): number {
  const id = kMethodIds.get(methodname);
  const argc = args.length;
  if (id === undefined || argc > kMaxCompactArgs) return -2;
  const b = v.bytes;
  const p0 = at + 8;
  let q = p0;
  let tags = 0;
  for (let i = 0; i < argc; i++) {
    const x = args[i];
    let tag: number;
    if (typeof x === "number") {
      if (q + 8 > limit) return -1;
      v.f64[q >> 3] = x;
      q += 8;
      tag = Arg.Number;
    } else if (typeof x === "string") {
      const n = x.length;
      const s = q + 4;
      let j = 0;
      if (n <= kAsciiTry && s + n <= limit) {
        for (; j < n; j++) {
          const c = x.charCodeAt(j);
          if (c > 0x7f) break;
          b[s + j] = c;
        }
      }
      if (j === n && s + n <= limit) {
        v.cells[q >> 2] = n;
        q += pad8(4 + n);
        tag = Arg.Ascii;
      } else {
        if (s + n * 3 > limit) return -1;
        const m = b.write(x, s, "utf8");
        v.cells[q >> 2] = m;
        q += pad8(4 + m);
        tag = Arg.String;
      }
    } else if (x === null) tag = Arg.Null;
    else if (x === undefined) tag = Arg.Undefined;
    else if (x === true) tag = Arg.True;
    else if (x === false) tag = Arg.False;
    else return -2;
    tags |= tag << (4 * i);
  }
  if (q > limit) return -1;
  b[at + 4] = kCompact;
  b[at + 5] = id;
  b[at + 6] = argc;
  b[at + 7] = tags;
  v.cells[at >> 2] = q - p0;
  return q;
}

/** Reads the record at byte `at`: `[methodname, ...args]` and the byte after it. */
export function readRecord(v: RecordViews, at: number): [unknown[], number] {
  const b = v.bytes;
  const len = v.cells[at >> 2]!;
  const p0 = at + 8;
  const next = p0 + pad8(len);
  if (b[at + 4] !== kCompact) return [decode(b, p0, len) as unknown[], next];
  const argc = b[at + 6]!;
  const out: unknown[] = [kMethodNames[b[at + 5]!]];
  let q = p0;
  for (let i = 0; i < argc; i++) {
    const tag = (b[at + 7]! >> (4 * i)) & 15;
    if (tag === Arg.Number) {
      out.push(v.f64[q >> 3]);
      q += 8;
    } else if (tag === Arg.Ascii || tag === Arg.String) {
      const n = v.cells[q >> 2]!;
      out.push(b.toString(tag === Arg.Ascii ? "latin1" : "utf8", q + 4, q + 4 + n));
      q += pad8(4 + n);
    } else {
      out.push(tag === Arg.Null ? null : tag === Arg.Undefined ? undefined : tag === Arg.True);
    }
  }
  return [out, next];
}
