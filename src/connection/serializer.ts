// What send()/recv() of a socket Connection put on the wire: pickle, as CPython's
// Lib/multiprocessing/connection.py does (_ForkingPickler.dumps / loads), so that a CPython peer
// can be on the other end. Protocol 4, CPython 3.11-3.13's default; reading is allowlist-only.
// Between two multiprocessing-ts ends that agreed on it in the handshake (auth.ts), plain data
// (what JSON-like values, bytes, Maps, Sets and tuples are made of) goes in the library's codec
// (shared/codec.ts) instead: cheaper to write and read, and read in place from shared memory.
// Everything else still goes as pickle, so a value means the same whichever form it took. The
// two forms never clash: a pickle of protocol 2+ starts with PROTO (0x80), a codec message with
// one of its tags (below 0x80).

import { dumps as pickleDumps, loads as pickleLoads } from "../shared/pickle.js";
import { decode as codecDecode, encode as codecEncode } from "../shared/codec.js";

/** Serializes one object for send(). */
export function dumps(obj: unknown): Uint8Array {
  return pickleDumps(obj);
}

/** Deserializes one message for recv(). */
export function loads(buf: Buffer): unknown {
  return pickleLoads(buf);
}

const kProto = 0x80;
/** Deeper values go as pickle (its memo and limits are made for them). */
const kMaxPlainDepth = 64;

const seen = new Set<object>();

/**
 * True if `v` is plain data the codec carries exactly as pickle would mean it: null, booleans,
 * (undefined is not: pickle makes it None, which arrives as null)
 * numbers, strings, bigints, Buffers, and arrays (tuples too), plain objects, Maps and Sets of
 * those, each object reached once (pickle keeps shared references shared; the codec copies them).
 */
function isPlain(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "number":
      // An integral number beyond 2^53 is an int to pickle, which comes back as a bigint.
      return !Number.isInteger(v) || Number.isSafeInteger(v);
    case "string":
    case "boolean":
    case "bigint":
      return true;
    case "object":
      break;
    default:
      return false;
  }
  if (v === null) return true;
  if (depth > kMaxPlainDepth || seen.has(v)) return false;
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isPlain(v[i], depth + 1)) return false;
    return true;
  }
  if (Buffer.isBuffer(v)) return true;
  if (v instanceof Map) {
    for (const [k, x] of v) if (!isPlain(k, depth + 1) || !isPlain(x, depth + 1)) return false;
    return true;
  }
  if (v instanceof Set) {
    for (const x of v) if (!isPlain(x, depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype || Object.hasOwn(v, "__proto__")) return false;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false;
    if (!isPlain((v as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return Object.getOwnPropertySymbols(v).length === 0;
}

/**
 * Serializes one object for send() on a connection where both ends read the codec: the codec for
 * plain data, pickle for the rest. A codec result is a view of a scratch buffer that the next
 * encode reuses: send it (or copy it) before encoding anything else.
 */
export function dumpsFast(obj: unknown): Uint8Array {
  let plain: boolean;
  try {
    plain = isPlain(obj, 0);
  } finally {
    seen.clear();
  }
  return plain ? codecEncode(obj) : pickleDumps(obj);
}

/**
 * Deserializes one message of a codec connection, in place: `buf` may be a view of shared memory
 * (the codec copies what it keeps; a pickle is copied out first).
 */
export function loadsFast(buf: Buffer, start: number, len: number): unknown {
  if (len > 0 && buf[start] === kProto) return pickleLoads(Buffer.from(buf.subarray(start, start + len)));
  return codecDecode(buf, start, len);
}
