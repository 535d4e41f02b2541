// The manager protocol of CPython's Lib/multiprocessing/managers.py (PSF-2.0), as data: requests
// `(ident, methodname, args, kwds)`, replies `('#RETURN', value)`, `('#ERROR', exc)`,
// `('#TRACEBACK', text)`, `('#PROXY', (exposed, token))`, `Token(typeid, address, id)`, and how
// those travel between threads of the tree: reduction.ts replaces functions, class instances and
// proxies by descriptions, codec.ts turns the result into bytes for a shared-memory ring.
// Everything here is used on both sides (clients and the server thread).
// Differs from Python: values are not pickled; the shapes are CPython's so that a later server
// on a socket can speak pickle with the same dispatch.

import type { InetAddress } from "./remote_wire.js";
import { decode, encode } from "../shared/codec.js";
import { markTuple, repr } from "../shared/format.js";
import { PyObject } from "../shared/pyobject.js";
import { BaseException } from "../shared/pyerrors.js";
import * as pyerrors from "../shared/pyerrors.js";
import * as errors from "../errors.js";
import { kReduceType, modulesOf, rebuildValue, reduceValue, register, type Locator } from "../shared/reduction.js";

/** Reply kinds, CPython's strings. */
export const kReturn = "#RETURN";
export const kError = "#ERROR";
export const kTraceback = "#TRACEBACK";
export const kProxy = "#PROXY";
export const kUnserializable = "#UNSERIALIZABLE";
export type ReplyKind = typeof kReturn | typeof kError | typeof kTraceback | typeof kProxy | typeof kUnserializable;

/** Type of a proxy's reduced state in reduction.ts's registry. */
export const kProxyType = "managers.BaseProxy";

/** `Token(typeid, address, id)`: names a shared object in a manager's server. */
export class Token extends PyObject {
  typeid: string;
  address: string | InetAddress;
  id: string;
  constructor(typeid: string, address: string | InetAddress, id: string) {
    super();
    this.typeid = typeid;
    this.address = address;
    this.id = id;
  }
  __repr__(): string {
    return `Token(typeid=${repr(this.typeid)}, address=${repr(this.address)}, id=${repr(this.id)})`;
  }
}
register("managers.Token", Token, {
  reduce: (t: Token) => [t.typeid, t.address, t.id],
  rebuild: (s: [string, string, string]) => new Token(...s),
});

/** Python's `slice(start, stop, step)`: what `l.slice(a, b)` sends as `__getitem__`'s key. */
export class Slice extends PyObject {
  constructor(readonly start: number | null, readonly stop: number | null, readonly step: number | null = null) {
    super();
  }
  /** `slice.indices(len)`: [start, stop, step] clipped as Python clips them. */
  indices(len: number): [number, number, number] {
    const step = this.step ?? 1;
    if (step === 0) throw new pyerrors.ValueError("slice step cannot be zero");
    const clip = (v: number | null, dflt: number, lo: number, hi: number) => {
      if (v === null || v === undefined) return dflt;
      if (v < 0) v += len;
      return Math.min(Math.max(v, lo), hi);
    };
    return step > 0
      ? [clip(this.start, 0, 0, len), clip(this.stop, len, 0, len), step]
      : [clip(this.start, len - 1, -1, len - 1), clip(this.stop, -1, -1, len - 1), step];
  }
  /** The indices the slice selects in a sequence of `len` items. */
  range(len: number): number[] {
    const [a, b, s] = this.indices(len);
    const out: number[] = [];
    if (s > 0) for (let i = a; i < b; i += s) out.push(i);
    else for (let i = a; i > b; i += s) out.push(i);
    return out;
  }
  __repr__(): string {
    return `slice(${repr(this.start)}, ${repr(this.stop)}, ${repr(this.step)})`;
  }
}
register("managers.slice", Slice, {
  reduce: (s: Slice) => [s.start, s.stop, s.step],
  rebuild: (s: [number | null, number | null, number | null]) => new Slice(...s),
});

// --- errors ------------------------------------------------------------------------------------

/** An exception as data: its class name, the nearest class this library knows, its args. */
export interface FlatException {
  name: string;
  base: string;
  args: unknown[];
  message: string;
}

function knownClass(name: string): (new (...a: unknown[]) => Error) | undefined {
  const c = (pyerrors as any)[name] ?? (errors as any)[name];
  return typeof c === "function" && c.prototype instanceof Error ? c : undefined;
}

/** Describes an exception raised by a referent method, for '#ERROR'. */
export function flattenException(err: unknown): FlatException {
  let base = "Exception";
  for (let p = err !== null && typeof err === "object" ? Object.getPrototypeOf(err) : null; p; p = Object.getPrototypeOf(p)) {
    const n = p.constructor?.name;
    if (n && knownClass(n)) {
      base = n;
      break;
    }
  }
  const e = err as any;
  const args = e instanceof BaseException ? e.args : e instanceof Error ? [e.message] : [e];
  return { name: e?.name ?? "Exception", base, args: [...args], message: e instanceof Error ? e.message : String(e) };
}

const rebuilt = new Map<string, new (...a: unknown[]) => Error>();

/** Rebuilds an exception from '#ERROR': Python's class (or a subclass of the nearest known one) and args. */
export function rebuildException(f: FlatException): Error {
  let Cls = knownClass(f.name);
  if (!Cls) {
    const key = `${f.name}:${f.base}`;
    Cls = rebuilt.get(key);
    if (!Cls) {
      const Base = (knownClass(f.base) ?? pyerrors.Exception) as any;
      Cls = { [f.name]: class extends Base {} }[f.name] as any;
      rebuilt.set(key, Cls!);
    }
  }
  const err = new Cls!(...f.args);
  if (!(err instanceof BaseException)) err.message = f.message;
  return err;
}

/** `RemoteError(text)`: `str()` is the server's traceback between two rules of 75 dashes. */
export function remoteError(text: string): Error {
  const err = new errors.RemoteError(text);
  err.message = "\n" + "-".repeat(75) + "\n" + text + "-".repeat(75);
  return err;
}

// --- values on the wire -------------------------------------------------------------------------

let wireDepth = 0;
/** True while a value is being reduced for the manager wire (proxies then leave out their rings). */
export function reducingForWire(): boolean {
  return wireDepth > 0;
}

/** True if `v` is data that codec.ts carries as it is (no function, class instance or proxy). */
export function plain(v: unknown, depth = 0): boolean {
  if (v === null || typeof v !== "object") return typeof v !== "function" && typeof v !== "symbol";
  if (depth > 32) return false;
  if ((v as any)[kReduceType] !== undefined) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!plain(v[i], depth + 1)) return false;
    return true;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) if (!plain(k, depth + 1) || !plain(x, depth + 1)) return false;
    return true;
  }
  if (v instanceof Set) {
    for (const x of v) if (!plain(x, depth + 1)) return false;
    return true;
  }
  if (v instanceof Uint8Array) return true;
  const p = Object.getPrototypeOf(v);
  if (p !== Object.prototype && p !== null) return false;
  for (const k of Object.keys(v)) if (!plain((v as any)[k], depth + 1)) return false;
  return true;
}

/** Runs `fn` as a reduction for the wire (proxies leave out their rings). */
export function asWire<T>(fn: () => T): T {
  wireDepth++;
  try {
    return fn();
  } finally {
    wireDepth--;
  }
}

/** Encodes a message (an array) into bytes: a flag byte says whether it went through reduction. */
export function encodeMessage(msg: unknown[], locate?: Locator): Buffer {
  if (plain(msg)) {
    msg.push(0);
    return encode(msg);
  }
  wireDepth++;
  try {
    const reduced = reduceValue(msg, { locate, what: "a manager call" }) as unknown[];
    reduced.push(1);
    return encode(reduced);
  } finally {
    wireDepth--;
  }
}

/** Modules a reduced message needs imported before `finishMessage` can rebuild it. */
export function neededModules(msg: unknown[]): string[] {
  return msg[msg.length - 1] === 1 ? [...modulesOf(msg)] : [];
}

/** Decodes the bytes of one message (call `finishMessage` on the result). */
export function decodeRaw(buf: Buffer, start: number, len: number): unknown[] {
  return decode(buf, start, len) as unknown[];
}

/** Rebuilds a decoded message's functions, instances and proxies; `modules` maps URLs to namespaces. */
export function finishMessage(msg: unknown[], modules: Map<string, unknown>): unknown[] {
  const flag = msg.pop();
  if (flag !== 1) return msg;
  return rebuildValue(msg, modules) as unknown[];
}

/** Modules imported by this thread (for rebuilding functions and instances in replies). */
export const importedModules: Map<string, unknown> = ((globalThis as any)[Symbol.for("multiprocessing-ts.managers.modules")] ??= new Map());

export { markTuple };
