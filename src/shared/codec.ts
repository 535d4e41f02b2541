// How Queue and Connection items are turned into bytes: a compact tagged encoding for the common
// types (numbers, strings, bytes, booleans, null, bigint, arrays, tuples, plain objects, Maps,
// Sets), with v8.serialize for everything else structured clone carries (Date, RegExp, typed
// arrays, Error...). v8.serialize alone costs ~10 µs per small item (baseline.md), pickle ~1-2.

import { deserialize, serialize } from "node:v8";
import { isTuple, markTuple } from "./format.js";
import { RuntimeError, TypeError } from "./pyerrors.js";
import { kBytes, structFromBytes, type Structure } from "./ctypes.js";
import { callReduced, globalRefOf, kGlobalRef, kReduceType, reduceInstance, resolveGlobal, type GlobalRef, type ReduceOptions, type ReducedInstance } from "./reduction.js";

const T = {
  null: 0, undefined: 1, false: 2, true: 3, int32: 4, float64: 5, string: 6, bytes: 7, bigint: 8,
  array: 9, tuple: 10, object: 11, v8: 12, map: 13, set: 14, asciiString: 15,
  ref: 16, inst: 17, reduce: 18, picklable: 19,
} as const;

// Functions, classes and instances of user classes travel by reference, as pickle sends them:
// module URL + export path (+ the instance's own fields, or what its __reduce__() returns).
// A value that cannot travel is refused here, in the sender; the error names its path, found
// after the fact (the fast path keeps no path).
const kItemPath = "\u0000item";
const byRefOptions: ReduceOptions = { what: kItemPath };
let badValue: unknown = undefined;

function writeRef(ref: GlobalRef): void {
  writeString(ref.module);
  writeString(ref.path);
}

function writeFunction(fn: Function): void {
  badValue = fn;
  const ref = globalRefOf(fn, byRefOptions, kItemPath);
  badValue = undefined;
  room(1);
  scratch[at++] = T.ref;
  writeRef(ref);
}

/** Per class: the reference its plain instances travel with (null: it has __reduce__). */
const instanceRefs = new WeakMap<Function, GlobalRef | null>();

function writeInstance(o: object, depth: number): void {
  const ctor = (o as any).constructor as Function | undefined;
  let ref = typeof ctor === "function" ? instanceRefs.get(ctor) : undefined;
  if (ref === undefined || Object.getPrototypeOf(o) !== ctor!.prototype) {
    badValue = o;
    const r = reduceInstance(o, byRefOptions, kItemPath);
    badValue = undefined;
    room(1);
    if (r.kind === "reduce") {
      if (typeof ctor === "function" && Object.getPrototypeOf(o) === ctor.prototype) instanceRefs.set(ctor, null);
      scratch[at++] = T.reduce;
      writeRef(r.fn);
      write(r.args, depth + 1);
      return;
    }
    if (Object.getPrototypeOf(o) === ctor!.prototype) instanceRefs.set(ctor!, r.cls);
    ref = r.cls;
  } else if (ref === null) {
    badValue = o;
    const r = reduceInstance(o, byRefOptions, kItemPath) as Extract<ReducedInstance, { kind: "reduce" }>;
    badValue = undefined;
    room(1);
    scratch[at++] = T.reduce;
    writeRef(r.fn);
    write(r.args, depth + 1);
    return;
  }
  // The class once, then the own fields as an object's entries (no intermediate object).
  room(1);
  scratch[at++] = T.inst;
  writeRef(ref);
  const keys = Object.keys(o);
  u32(keys.length);
  for (const k of keys) {
    writeString(k);
    write((o as any)[k], depth + 1);
  }
}

/** A ctypes Structure in a queue or pipe travels as a copy of its bytes, as ctypes pickles it. */
function writeStructCopy(o: Structure, depth: number): void {
  badValue = o;
  const cls = globalRefOf(o.constructor, byRefOptions, kItemPath);
  badValue = undefined;
  room(1);
  scratch[at++] = T.reduce;
  writeRef((structFromBytes as any)[kGlobalRef]);
  room(1);
  scratch[at++] = T.array;
  u32(2);
  room(1);
  scratch[at++] = T.ref;
  writeRef(cls);
  write(Buffer.from(o[kBytes]), depth + 1);
}

/** The path of `target` inside `root` (`item[0].handler`), or null. */
function pathOf(root: unknown, target: unknown, path: string, seen: Set<unknown>): string | null {
  if (root === target) return path;
  if (root === null || typeof root !== "object" || seen.has(root)) return null;
  seen.add(root);
  const step = (k: string | number, v: unknown) =>
    pathOf(v, target, typeof k === "number" ? `${path}[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, seen);
  if (Array.isArray(root)) {
    for (let i = 0; i < root.length; i++) {
      const p = step(i, root[i]);
      if (p) return p;
    }
  } else if (root instanceof Map) {
    for (const [k, v] of root) {
      const p = step(String(k), v);
      if (p) return p;
    }
  } else if (root instanceof Set) {
    for (const v of root) {
      const p = pathOf(v, target, path, seen);
      if (p) return p;
    }
  } else {
    for (const k of Object.keys(root)) {
      const p = step(k, (root as any)[k]);
      if (p) return p;
    }
  }
  return null;
}

// Shared objects that pickle can carry (manager proxies): their class registers how they reduce to
// data and rebuild from it; every other shared object is refused below, as Python refuses a Lock.
type Picklable = { reduce(obj: any): unknown; rebuild(state: any): unknown };
const picklables: Map<string, Picklable> = ((globalThis as any)[Symbol.for("multiprocessing-ts.picklables")] ??= new Map());
const kPicklable = Symbol.for("multiprocessing-ts.picklable");
/** Lets instances of `ctor` travel through queues, pipes and pool tasks as `reduce(obj)`, rebuilt by `rebuild(state)`. */
export function registerPicklable(name: string, ctor: { prototype: object }, p: Picklable): void {
  picklables.set(name, p);
  Object.defineProperty(ctor.prototype, kPicklable, { value: name, enumerable: false, configurable: true });
}

let scratch = Buffer.allocUnsafe(64 * 1024);
let at = 0;

function room(n: number): void {
  if (at + n <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < at + n) size *= 2;
  const next = Buffer.allocUnsafe(size);
  scratch.copy(next, 0, 0, at);
  scratch = next;
}

function u32(n: number): void {
  room(4);
  scratch.writeUInt32LE(n, at);
  at += 4;
}

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function writeString(s: string): void {
  const n = s.length;
  room(5 + n * 3);
  // Short ASCII strings are the common case: one byte per char, no UTF-8 pass.
  if (n < 64) {
    let ascii = true;
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) { ascii = false; break; }
    if (ascii) {
      scratch[at++] = T.asciiString;
      scratch[at++] = n;
      for (let i = 0; i < n; i++) scratch[at++] = s.charCodeAt(i);
      return;
    }
  }
  scratch[at++] = T.string;
  const len = scratch.write(s, at + 4, "utf8");
  scratch.writeUInt32LE(len, at);
  at += 4 + len;
}

function write(v: unknown, depth: number): void {
  switch (typeof v) {
    case "number":
      if ((v | 0) === v && !Object.is(v, -0)) {
        room(5);
        scratch[at++] = T.int32;
        scratch.writeInt32LE(v, at);
        at += 4;
      } else {
        room(9);
        scratch[at++] = T.float64;
        scratch.writeDoubleLE(v, at);
        at += 8;
      }
      return;
    case "string":
      writeString(v);
      return;
    case "boolean":
      room(1);
      scratch[at++] = v ? T.true : T.false;
      return;
    case "undefined":
      room(1);
      scratch[at++] = T.undefined;
      return;
    case "bigint": {
      const s = v.toString(16);
      room(1);
      scratch[at++] = T.bigint;
      writeString(s);
      return;
    }
    case "function":
      writeFunction(v);
      return;
    case "symbol":
      throw new TypeError("cannot pickle 'symbol' object");
  }
  if (v === null) {
    room(1);
    scratch[at++] = T.null;
    return;
  }
  const o = v as object;
  const pickled = (o as any)[kPicklable] as string | undefined;
  if (pickled !== undefined) {
    const state = picklables.get(pickled)!.reduce(o);
    room(1);
    scratch[at++] = T.picklable;
    writeString(pickled);
    write(state, depth + 1);
    return;
  }
  const shared = (o as any)[kReduceType] as string | undefined;
  if (shared !== undefined) {
    if (shared === "Structure") return writeStructCopy(o as Structure, depth);
    throw new RuntimeError(`${shared} objects should only be shared between processes through inheritance`);
  }
  if (depth > 64) return writeV8(o);
  if (Array.isArray(o)) {
    room(1);
    scratch[at++] = isTuple(o) ? T.tuple : T.array;
    u32(o.length);
    for (const x of o) write(x, depth + 1);
    return;
  }
  if (o instanceof Uint8Array && (o instanceof Buffer || o.constructor === Uint8Array)) {
    // The bytes start 8-aligned within the item (the channel starts items 8-aligned too), so
    // the copies in and out of shared memory take the fast, aligned path.
    room(16 + o.length);
    scratch[at++] = T.bytes;
    while ((at & 7) !== 4) scratch[at++] = 0;
    scratch.writeUInt32LE(o.length, at);
    at += 4;
    scratch.set(o, at);
    at += o.length;
    return;
  }
  if (o instanceof Map) {
    room(1);
    scratch[at++] = T.map;
    u32(o.size);
    for (const [k, x] of o) {
      write(k, depth + 1);
      write(x, depth + 1);
    }
    return;
  }
  if (o instanceof Set) {
    room(1);
    scratch[at++] = T.set;
    u32(o.size);
    for (const x of o) write(x, depth + 1);
    return;
  }
  if (isPlain(o)) {
    const keys = Object.keys(o);
    room(1);
    scratch[at++] = T.object;
    u32(keys.length);
    for (const k of keys) {
      writeString(k);
      write((o as any)[k], depth + 1);
    }
    return;
  }
  if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer || o instanceof SharedArrayBuffer || o instanceof Date || o instanceof RegExp || o instanceof Error) {
    return writeV8(o);
  }
  writeInstance(o, depth);
}

function writeV8(o: object): void {
  let bytes: Buffer;
  try {
    bytes = serialize(o);
  } catch (e: any) {
    throw new TypeError(`cannot pickle '${(o as any)?.constructor?.name ?? "object"}' object: ${e?.message ?? e}`);
  }
  room(5 + bytes.length);
  scratch[at++] = T.v8;
  scratch.writeUInt32LE(bytes.length, at);
  at += 4;
  bytes.copy(scratch, at);
  at += bytes.length;
}

/**
 * Encodes `value`; the result is a view into a scratch buffer that the next encode() reuses.
 * @throws RuntimeError for shared objects (Python's "should only be shared ... through inheritance");
 * TypeError for functions and other values that cannot be copied.
 */
export function encode(value: unknown, what: string = "item"): Buffer {
  at = 0;
  try {
    write(value, 0);
  } catch (e: any) {
    if (typeof e?.message === "string" && e.message.includes(kItemPath)) {
      const path = (badValue !== undefined && pathOf(value, badValue, what, new Set())) || what;
      e.message = e.message.split(kItemPath).join(path);
      if (Array.isArray(e.args) && typeof e.args[0] === "string") e.args[0] = e.message;
    }
    badValue = undefined;
    throw e;
  }
  return scratch.subarray(0, at);
}

/** Globals already resolved in this thread, by module then path. */
const resolved = new Map<string, Map<string, unknown>>();

function readGlobal(): unknown {
  const module = readString();
  const path = readString();
  let byPath = resolved.get(module);
  if (byPath === undefined) resolved.set(module, (byPath = new Map()));
  let v = byPath.get(path);
  if (v === undefined) {
    v = resolveGlobal({ module, path });
    byPath.set(path, v);
  }
  return v;
}

let rbuf: Buffer;
let rat = 0;
let rbase = 0;

function readString(): string {
  const tag = rbuf[rat++]!;
  if (tag === T.asciiString) {
    const n = rbuf[rat++]!;
    const s = rbuf.toString("latin1", rat, rat + n);
    rat += n;
    return s;
  }
  const n = rbuf.readUInt32LE(rat);
  rat += 4;
  const s = rbuf.toString("utf8", rat, rat + n);
  rat += n;
  return s;
}

function read(): unknown {
  const tag = rbuf[rat]!;
  switch (tag) {
    case T.int32: {
      const v = rbuf.readInt32LE(rat + 1);
      rat += 5;
      return v;
    }
    case T.float64: {
      const v = rbuf.readDoubleLE(rat + 1);
      rat += 9;
      return v;
    }
    case T.string:
    case T.asciiString:
      return readString();
  }
  rat++;
  switch (tag) {
    case T.null:
      return null;
    case T.undefined:
      return undefined;
    case T.false:
      return false;
    case T.true:
      return true;
    case T.bigint: {
      const s = readString();
      return s.startsWith("-") ? -BigInt("0x" + s.slice(1)) : BigInt("0x" + s);
    }
    case T.bytes: {
      while (((rat - rbase) & 7) !== 4) rat++;
      const n = rbuf.readUInt32LE(rat);
      rat += 4;
      const b = Buffer.allocUnsafe(n);
      b.set(new Uint8Array(rbuf.buffer, rbuf.byteOffset + rat, n));
      rat += n;
      return b;
    }
    case T.array:
    case T.tuple: {
      const n = rbuf.readUInt32LE(rat);
      rat += 4;
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = read();
      return tag === T.tuple ? markTuple(out) : out;
    }
    case T.object: {
      const n = rbuf.readUInt32LE(rat);
      rat += 4;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = readString();
        out[k] = read();
      }
      return out;
    }
    case T.map: {
      const n = rbuf.readUInt32LE(rat);
      rat += 4;
      const out = new Map();
      for (let i = 0; i < n; i++) {
        const k = read();
        out.set(k, read());
      }
      return out;
    }
    case T.set: {
      const n = rbuf.readUInt32LE(rat);
      rat += 4;
      const out = new Set();
      for (let i = 0; i < n; i++) out.add(read());
      return out;
    }
    case T.ref:
      return readGlobal();
    case T.inst: {
      // As unpickling: a new object of the class, its own fields restored, no constructor run.
      const cls = readGlobal() as Function;
      const out = Object.create(cls.prototype);
      const n = rbuf.readUInt32LE(rat);
      rat += 4;
      for (let i = 0; i < n; i++) {
        const k = readString();
        out[k] = read();
      }
      return out;
    }
    case T.reduce: {
      const fn = readGlobal() as Function;
      return callReduced(fn, read() as unknown[]);
    }
    case T.picklable: {
      const name = readString();
      const p = picklables.get(name);
      if (!p) throw new TypeError(`Internal error: no picklable type ${name}`);
      return p.rebuild(read());
    }
    case T.v8: {
      const n = rbuf.readUInt32LE(rat);
      rat += 4;
      const copy = Buffer.allocUnsafe(n); // v8.deserialize refuses views over shared memory
      rbuf.copy(copy, 0, rat, rat + n);
      rat += n;
      return deserialize(copy);
    }
  }
  throw new TypeError(`Internal error: unknown item tag ${tag}`);
}

/** Decodes one item encoded by encode(), reading `len` bytes of `buf` from `start`. */
export function decode(buf: Buffer, start: number, _len: number): unknown {
  // A picklable's rebuild may decode a message of its own (a manager proxy's incref): the
  // outer decode's position is restored after.
  const saved = rbuf, savedAt = rat, savedBase = rbase;
  rbuf = buf;
  rat = rbase = start;
  try {
    return read();
  } finally {
    rbuf = saved;
    rat = savedAt;
    rbase = savedBase;
  }
}

let warmed = false;
/**
 * Runs the encoder and decoder over a few thousand items once, so that V8 has optimized them
 * before the first real batch (a pool's first map() would otherwise run them unoptimized).
 */
export function warmUp(): void {
  if (warmed) return;
  warmed = true;
  // Lists of numbers travel as typed arrays (packItems); other lists are encoded: a mix of the
  // common types. Small samples: this runs while a pool starts, and its cost is the pool's.
  const ints = Array.from({ length: 4096 }, (_, i) => i * 7);
  const floats = ints.map((i) => i * i * 1e3);
  const mixed = Array.from({ length: 2048 }, (_, i) => (i % 4 === 0 ? i * 0.5 : i % 4 === 1 ? i : i % 4 === 2 ? `s${i}` : [i, null]));
  for (let r = 0; r < 4; r++) {
    const bytes = encode(mixed);
    decode(bytes, 0, bytes.length);
    unpackItems(packItems(ints));
    unpackItems(packItems(floats));
  }
}

/**
 * Encodes `value` into a new array of its own. A large one is backed by a SharedArrayBuffer: it
 * then crosses any number of threads by reference (postMessage copies a plain buffer at every
 * hop); a small one is not (allocating shared memory costs more than copying a few bytes).
 */
export function encodeShared(value: unknown): Uint8Array {
  const bytes = encode(value);
  if (bytes.length < 16384) return new Uint8Array(bytes);
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

/**
 * True if every item is a number, string, boolean, bigint, null or undefined: such an array
 * travels as it is (structured clone copies it faster than encode() would, and keeps its meaning);
 * anything else goes through encode(), which refuses shared objects and functions as Python's
 * pickling does.
 */
export function isPrimitiveArray(items: unknown[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    const t = typeof v;
    if (v !== null && t !== "number" && t !== "string" && t !== "boolean" && t !== "bigint" && t !== "undefined") return false;
  }
  return true;
}

/** What Pool sends for a list of items: the array itself when it is short and all primitives, a
 * typed array when it is all numbers, else encoded. */
export type PackedItems = unknown[] | Uint8Array | Int32Array | Float64Array;

/** 1 if every item is an int32 (and no -0), 2 if every item is a number, else 0. */
function numericKind(items: unknown[]): 0 | 1 | 2 {
  let kind: 1 | 2 = 1;
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v !== "number") return 0;
    if (kind === 1 && ((v | 0) !== v || (v === 0 && 1 / v < 0))) kind = 2;
  }
  return kind;
}

/** Most items a list may have to travel as it is; a longer one is packed. */
const kPlainItems = 256;

/**
 * Packs a list of items for another thread: a short list of primitives as it is (see
 * isPrimitiveArray); a longer list of numbers as an Int32Array or Float64Array (a number is a
 * float64, so nothing is lost; -0 and NaN included); anything else encoded. A large packed list
 * is in shared memory, so that it is not copied again at each thread it crosses.
 */
export function packItems(items: unknown[]): PackedItems {
  if (items.length > kPlainItems) {
    const kind = numericKind(items);
    if (kind !== 0) {
      const Typed = kind === 1 ? Int32Array : Float64Array;
      const bytes = items.length * Typed.BYTES_PER_ELEMENT;
      const out = new Typed((bytes < 16384 ? new ArrayBuffer(bytes) : new SharedArrayBuffer(bytes)) as ArrayBuffer);
      for (let i = 0; i < items.length; i++) out[i] = items[i] as number;
      return out;
    }
  }
  return items.length <= kPlainItems && isPrimitiveArray(items) ? items : encodeShared(items);
}

/** Items a to b of a flat list of items (a typed array in shared memory is viewed, not copied). */
export function sliceItems(p: PackedItems, a: number, b: number): PackedItems {
  if (Array.isArray(p)) return p.slice(a, b);
  return p.buffer instanceof SharedArrayBuffer ? p.subarray(a, b) : p.slice(a, b);
}

/** Unpacks what packItems() made. */
export function unpackItems(p: PackedItems): unknown[] {
  if (Array.isArray(p)) return p;
  if (p instanceof Uint8Array) return decode(Buffer.from(p.buffer, p.byteOffset, p.length), 0, p.length) as unknown[];
  const out = new Array<number>(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i]!;
  return out;
}
