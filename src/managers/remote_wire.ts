// The manager protocol of CPython's Lib/multiprocessing/managers.py (PSF-2.0) on a socket, as
// bytes: what requests and replies look like when pickled (`Token` as
// `multiprocessing.managers.Token`, exceptions by their Python names: `_queue.Empty`,
// `queue.Full`, `threading.BrokenBarrierError`, ...) or marshalled with XML-RPC
// (`serializer='xmlrpclib'`, managers/xmlrpc.ts), and the authentication handshake of
// Lib/multiprocessing/connection.py for a server that has an event loop (the async twin of
// connection/auth.ts's blocking one). Used by both sides: managers/remote_server.ts (the socket
// face of a manager's server) and managers/remote_client.ts (a client's connections).

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { dumps as pickleDumps, loads as pickleLoads, registerGlobal } from "../shared/pickle.js";
import { markTuple, tuple } from "../shared/format.js";
import { builtinExceptionOf } from "../shared/pickle/globals.js";
import * as pyerrors from "../shared/pyerrors.js";
import { AuthenticationError, BrokenBarrierError, Empty, Full, RemoteError, ProcessError, BufferTooShort, TimeoutError as MpTimeoutError } from "../errors.js";
import { Slice, Token, rebuildException, type FlatException } from "./wire.js";
import { xmlDumps, xmlLoads } from "./xmlrpc.js";
import { PyArray } from "./referent_values.js";

/** The serializers of CPython's `listener_client` table. */
export type SerializerName = "pickle" | "xmlrpclib";

/** A socket address `[host, port]` (a Python tuple). */
export type InetAddress = readonly [string, number];

/** True for an AF_INET address (a `[host, port]` pair). */
export function isInetAddress(a: unknown): a is InetAddress {
  return Array.isArray(a) && a.length === 2 && typeof a[0] === "string" && typeof a[1] === "number";
}

/**
 * Checks a serializer name.
 * @throws KeyError as CPython's `listener_client[serializer]` does.
 */
export function checkSerializer(name: unknown): SerializerName {
  if (name === "pickle" || name === "xmlrpclib") return name;
  throw new pyerrors.KeyError(name);
}

/** One message to bytes with the serializer. */
export function encodeWire(serializer: SerializerName, obj: unknown): Buffer {
  return serializer === "pickle" ? pickleDumps(obj) : xmlDumps(obj);
}

let decoding = 0;
/** True while a manager message is being unpickled (globals with side effects are allowed only then). */
export function decodingManagerWire(): boolean {
  return decoding > 0;
}

/** Bytes to one message with the serializer. */
export function decodeWire(serializer: SerializerName, buf: Uint8Array): unknown {
  if (serializer !== "pickle") return xmlLoads(buf);
  decoding++;
  try {
    return pickleLoads(buf);
  } finally {
    decoding--;
  }
}

// --- globals CPython's managers put in their pickles ----------------------------------------------

registerGlobal("multiprocessing.managers", "Token", {
  type: Token,
  // object.__reduce_ex__(4) of a class with __slots__ and __getstate__: NEWOBJ, then BUILD.
  reduce: (t: Token) => ({ args: [], state: tuple(t.typeid, wireAddress(t.address), t.id), newobj: true }),
  newobj: () => new Token("", "", ""),
  call: () => new Token("", "", ""),
  setstate: (obj: Token, st: unknown) => {
    const [typeid, address, id] = st as [string, any, string];
    obj.typeid = typeid;
    obj.address = address;
    obj.id = id;
  },
});

// CPython's managers send dict views (keys(), values(), items()) as `list(view)`.
registerGlobal("builtins", "list", {
  call: (args) => {
    const src = args[0];
    if (src === undefined) return [];
    if (Array.isArray(src) || src instanceof Set) return [...src];
    throw new pyerrors.TypeError("list() argument from this pickle must be a list, tuple or set");
  },
});

// `m.list(range(5))`: a range arrives as the list of its numbers.
registerGlobal("builtins", "range", {
  call: (args) => {
    const [a, b, c] = args as number[];
    const [start, stop, step] = args.length === 1 ? [0, a!, 1] : [a!, b!, c ?? 1];
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(stop) || !Number.isSafeInteger(step) || step === 0) throw new pyerrors.ValueError("range() arguments from this pickle must be integers (step not 0)");
    if (Math.abs((stop - start) / step) > 1e6) throw new pyerrors.ValueError("range() from this pickle is too long (over a million items)");
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  },
});

// `l[1:3]` on a ListProxy sends a slice object.
registerGlobal("builtins", "slice", {
  type: Slice,
  call: (args) => (args.length === 1 ? new Slice(null, args[0] as number | null) : new Slice(args[0] as number | null, args[1] as number | null, (args[2] ?? null) as number | null)),
  reduce: (s: Slice) => ({ args: [s.start, s.stop, s.step] }),
});

// `a[1:3]` on an ArrayProxy answers an `array.array`: ours pickles as `array.array(typecode,
// [items])`. CPython's come as `array.array(typecode, bytes)` (the items in this machine's
// format, as `frombytes`) or `array._array_reconstructor(array.array, typecode, mformat_code,
// bytes)` (Modules/arraymodule.c's enum machine_format_code).
registerGlobal("array", "array", {
  type: PyArray,
  reduce: (a: PyArray) => ({ args: [a.typecode, [...a.items]] }),
  call: (args) => {
    const [typecode, init] = args as [string, unknown];
    if (init instanceof Uint8Array && Object.hasOwn(kNativeFormat, typecode)) return new PyArray(typecode, fromMachineFormat(kNativeFormat[typecode]!, init));
    return new PyArray(typecode, (init ?? []) as Iterable<unknown>);
  },
});
registerGlobal("array", "_array_reconstructor", {
  call: (args) => {
    const [, typecode, mformat, raw] = args as [unknown, string, number, Uint8Array];
    if (!(raw instanceof Uint8Array) || !Number.isInteger(mformat) || mformat < 0 || mformat > 21) throw new pyerrors.ValueError("third argument must be a valid machine format code.");
    return new PyArray(typecode, fromMachineFormat(mformat, raw));
  },
});

/** The machine format code of each typecode on this platform (Linux, little-endian, 8-byte long, 4-byte wchar_t). */
const kNativeFormat: Record<string, number> = { b: 1, B: 0, h: 4, H: 2, i: 8, I: 6, l: 12, L: 10, q: 12, Q: 10, f: 14, d: 16, u: 20 };

/** The items of an array's bytes in a machine format (arraymodule.c's codes 0-21). */
function fromMachineFormat(mformat: number, raw: Uint8Array): unknown[] {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  if (mformat >= 18) {
    const text = mformat <= 19 ? (mformat === 18 ? b.toString("utf16le") : Buffer.from(b).swap16().toString("utf16le")) : String.fromCodePoint(...Array.from({ length: b.length >> 2 }, (_, i) => (mformat === 20 ? b.readUInt32LE(4 * i) : b.readUInt32BE(4 * i))));
    return [...text];
  }
  const size = mformat <= 1 ? 1 : mformat <= 5 ? 2 : mformat <= 9 || mformat === 14 || mformat === 15 ? 4 : 8;
  const le = mformat <= 1 || mformat % 2 === 0;
  const items: unknown[] = [];
  for (let at = 0; at + size <= b.length; at += size) {
    if (mformat >= 14) items.push(size === 4 ? (le ? b.readFloatLE(at) : b.readFloatBE(at)) : le ? b.readDoubleLE(at) : b.readDoubleBE(at));
    else if (size === 8) {
      const v = mformat >= 12 ? (le ? b.readBigInt64LE(at) : b.readBigInt64BE(at)) : le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
      items.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    } else {
      const signed = mformat === 1 || mformat === 4 || mformat === 5 || mformat >= 8;
      items.push(signed ? (le ? b.readIntLE(at, size) : b.readIntBE(at, size)) : le ? b.readUIntLE(at, size) : b.readUIntBE(at, size));
    }
  }
  return items;
}

/** An address as it goes on the wire: a `[host, port]` pair as a tuple. */
function wireAddress(a: unknown): unknown {
  return Array.isArray(a) ? markTuple([...a]) : a;
}

/** Exception classes of CPython modules other than builtins, by their pickle names. */
const kExceptionGlobals: [string, string, new (...a: any[]) => Error][] = [
  ["_queue", "Empty", Empty],
  ["queue", "Full", Full],
  ["threading", "BrokenBarrierError", BrokenBarrierError],
  ["multiprocessing.managers", "RemoteError", RemoteError],
  ["multiprocessing.context", "ProcessError", ProcessError],
  ["multiprocessing.context", "BufferTooShort", BufferTooShort],
  ["multiprocessing.context", "TimeoutError", MpTimeoutError],
  ["multiprocessing.context", "AuthenticationError", AuthenticationError],
];
const byClass = new Map<Function, string>();
for (const [module, name, cls] of kExceptionGlobals) {
  byClass.set(cls, `${module}.${name}`);
  registerGlobal(module, name, {
    value: cls,
    call: (args) => new cls(...args),
    newobj: (args) => new cls(...args),
    setstate: () => {},
  });
}

/** Pickles as `cls(*args)` through a registered global (the pickler writes only builtin exception classes itself). */
class ExceptionRef {
  constructor(readonly cls: Function, readonly args: unknown[]) {}
  __reduce__(): [Function, unknown[]] {
    return [this.cls, this.args];
  }
}

/**
 * An exception as it can be pickled for a CPython peer: builtin classes as they are, the
 * classes above by their Python names, any other by the nearest builtin class it extends (its
 * own class has no Python name; the args are kept).
 */
export function exceptionForWire(e: unknown): unknown {
  if (!(e instanceof Error)) return new pyerrors.Exception(String(e));
  if (builtinExceptionOf(e)) return e;
  const args = Array.isArray((e as any).args) ? [...(e as any).args] : [e.message];
  for (let p = Object.getPrototypeOf(e); p && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
    const cls = p.constructor;
    if (byClass.has(cls)) return new ExceptionRef(cls, args);
    if (builtinExceptionOf(Object.create(p))) return Reflect.construct(cls, args);
  }
  return new pyerrors.Exception(...args);
}

/** An exception rebuilt from a FlatException ('#ERROR' of the in-tree server), for the wire. */
export function flatForWire(f: FlatException): unknown {
  return exceptionForWire(rebuildException(f));
}

// --- authentication, async (the server side has an event loop) --------------------------------------

const kChallenge = Buffer.from("#CHALLENGE#");
const kWelcome = Buffer.from("#WELCOME#");
const kFailure = Buffer.from("#FAILURE#");
const kAllowedDigests = new Set(["md5", "sha256", "sha384", "sha3_256", "sha3_384"]);

/** A message stream: send one message, receive the next (rejecting at EOF). */
export interface AsyncMessages {
  send(b: Uint8Array): void;
  next(): Promise<Buffer>;
}

const hmac = (key: Uint8Array, msg: Uint8Array, digest: string): Buffer =>
  createHmac(digest.startsWith("sha3_") ? `sha3-${digest.slice(5)}` : digest, key).update(msg).digest();

function digestOf(message: Buffer): [string, Buffer] {
  if (message.length === 20 || message.length === 16) return ["", message];
  if (message[0] === 0x7b) {
    const curly = message.subarray(0, 10).indexOf(0x7d, 1);
    if (curly > 0) {
      const d = message.subarray(1, curly).toString("latin1");
      if (kAllowedDigests.has(d)) return [d, message.subarray(curly + 1)];
    }
  }
  throw new AuthenticationError("unsupported message length, missing digest prefix, or unsupported digest");
}

/**
 * CPython's deliver_challenge then answer_challenge (what `Server.handle_request` runs first),
 * over a message stream. Sends 3.12's `{sha256}` challenge; accepts 3.11's raw HMAC-MD5 answer too.
 * @throws AuthenticationError when the peer has another key.
 */
export async function serverHandshake(m: AsyncMessages, authkey: Uint8Array): Promise<void> {
  const message = Buffer.concat([Buffer.from("{sha256}"), randomBytes(40)]);
  m.send(Buffer.concat([kChallenge, message]));
  const response = await m.next();
  let ok = false;
  try {
    if (response.length <= 256) {
      const [name, mac] = digestOf(response);
      const expected = hmac(authkey, message, name || "md5");
      ok = expected.length === mac.length && timingSafeEqual(expected, mac);
    }
  } catch {
    ok = false;
  }
  if (!ok) {
    m.send(kFailure);
    throw new AuthenticationError("digest received was wrong");
  }
  m.send(kWelcome);
  // answer_challenge: the client challenges us in turn.
  let challenge = await m.next();
  if (!challenge.subarray(0, kChallenge.length).equals(kChallenge)) throw new AuthenticationError("Protocol error, expected challenge");
  challenge = challenge.subarray(kChallenge.length);
  const [name] = digestOf(challenge);
  m.send(name ? Buffer.concat([Buffer.from(`{${name}}`), hmac(authkey, challenge, name)]) : hmac(authkey, challenge, "md5"));
  const welcome = await m.next();
  if (!welcome.equals(kWelcome)) throw new AuthenticationError("digest sent was rejected");
}

/** Python's `format_exc()`-like text for an error that has no Python traceback. */
export function tracebackText(e: unknown): string {
  const name = (e as any)?.constructor?.name ?? "Exception";
  const msg = e instanceof Error ? e.message : String(e);
  return `Traceback (most recent call last):\n  (multiprocessing-ts manager server)\n${name}: ${msg}\n`;
}
