// The pickler of CPython's Modules/_pickle.c (protocols 2-5) for JavaScript values: the same
// opcodes, memo and framing decisions, so that for the values whose mapping is exact the bytes
// equal what CPython 3.11's `pickle.dumps(x, protocol=p)` writes.

import { isTuple, markTuple } from "../format.js";
import type { BaseException } from "../pyerrors.js";
import { PicklingError } from "./errors.js";
import { PyFloat } from "./float.js";
import { builtinExceptionOf, entryOfInstance, entryOfValue, isPyException, PickleGlobal, py2Name, type GlobalEntry } from "./globals.js";
import { encodeUtf8 } from "./utf8.js";

const FRAME_SIZE_TARGET = 64 * 1024;
const FRAME_SIZE_MIN = 4;
const FRAME_HEADER_SIZE = 9;
const BATCHSIZE = 1000;

/** The deepest nesting dumps follows (CPython stops near its recursion limit of 1000 too). */
export const MAX_DUMP_DEPTH = 1000;

const MARK = 0x28, STOP = 0x2e, POP = 0x30, POP_MARK = 0x31, BININT = 0x4a, BININT1 = 0x4b, BININT2 = 0x4d;
const NONE = 0x4e, REDUCE = 0x52, BINUNICODE = 0x58, APPEND = 0x61, BUILD = 0x62, GLOBAL = 0x63;
const EMPTY_DICT = 0x7d, APPENDS = 0x65, BINGET = 0x68, LONG_BINGET = 0x6a, EMPTY_LIST = 0x5d;
const BINPUT = 0x71, LONG_BINPUT = 0x72, SETITEM = 0x73, TUPLE = 0x74, EMPTY_TUPLE = 0x29, SETITEMS = 0x75;
const BINFLOAT = 0x47, PROTO = 0x80, NEWOBJ = 0x81, TUPLE1 = 0x85, NEWTRUE = 0x88, NEWFALSE = 0x89;
const LONG1 = 0x8a, LONG4 = 0x8b, BINBYTES = 0x42, SHORT_BINBYTES = 0x43, SHORT_BINUNICODE = 0x8c;
const BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f, ADDITEMS = 0x90, STACK_GLOBAL = 0x93;
const MEMOIZE = 0x94, FRAME = 0x95;

class PathError {
  constructor(readonly error: PicklingError, readonly path: string[]) {}
}

/** One dumps() call. */
export class Writer {
  buf: Buffer;
  pos = 0;
  readonly proto: number;
  framing = false;
  frameStart = -1;
  readonly memo = new Map<unknown, number>();
  globalMemo: Map<string, number> | undefined;
  depth = 0;

  constructor(proto: number) {
    this.proto = proto;
    this.buf = Buffer.allocUnsafe(256);
  }

  dump(value: unknown): Buffer {
    this.write2(PROTO, this.proto);
    if (this.proto >= 4) this.framing = true;
    try {
      this.save(value);
    } catch (e) {
      if (e instanceof PathError) {
        const where = "value" + e.path.reverse().join("");
        e.error.message = e.error.message.replace("{path}", where);
        e.error.args = [e.error.message];
        throw e.error;
      }
      throw e;
    }
    this.write1(STOP);
    this.commitFrame();
    return this.buf.subarray(0, this.pos);
  }

  // _Pickler_Write: every write opens a frame (reserving its header) when none is open.
  ensure(n: number): void {
    if (this.framing && this.frameStart === -1) {
      this.frameStart = this.pos;
      n += FRAME_HEADER_SIZE;
      this.grow(n);
      this.pos += FRAME_HEADER_SIZE;
      return;
    }
    if (this.pos + n > this.buf.length) this.grow(n);
  }
  grow(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  write1(op: number): void {
    this.ensure(1);
    this.buf[this.pos++] = op;
  }
  write2(op: number, b: number): void {
    this.ensure(2);
    this.buf[this.pos++] = op;
    this.buf[this.pos++] = b;
  }
  writeU32(op: number, n: number): void {
    this.ensure(5);
    this.buf[this.pos] = op;
    this.buf.writeUInt32LE(n, this.pos + 1);
    this.pos += 5;
  }

  commitFrame(): void {
    if (!this.framing || this.frameStart === -1) return;
    const len = this.pos - this.frameStart - FRAME_HEADER_SIZE;
    if (len >= FRAME_SIZE_MIN) {
      this.buf[this.frameStart] = FRAME;
      this.buf.writeUInt32LE(len, this.frameStart + 1);
      this.buf.writeUInt32LE(0, this.frameStart + 5);
    } else {
      this.buf.copy(this.buf, this.frameStart, this.frameStart + FRAME_HEADER_SIZE, this.pos);
      this.pos -= FRAME_HEADER_SIZE;
    }
    this.frameStart = -1;
  }
  // A frame that reached the target size is closed (pickle.py's commit_frame).
  boundary(): void {
    if (this.frameStart !== -1 && this.pos - this.frameStart - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET) this.commitFrame();
  }

  // _Pickler_write_bytes: a payload of 64 KiB or more goes outside any frame.
  writeBytes(header: Buffer | number[], data: Uint8Array): void {
    const bypass = data.length >= FRAME_SIZE_TARGET;
    const framing = this.framing;
    if (bypass) {
      this.commitFrame();
      this.framing = false;
    }
    this.ensure(header.length + data.length);
    for (let i = 0; i < header.length; i++) this.buf[this.pos++] = header[i]!;
    this.buf.set(data, this.pos);
    this.pos += data.length;
    this.framing = framing;
  }

  memoPut(obj: unknown): void {
    const idx = this.memo.size;
    this.memo.set(obj, idx);
    this.writePut(idx);
  }
  writePut(idx: number): void {
    if (this.proto >= 4) this.write1(MEMOIZE);
    else if (idx < 256) this.write2(BINPUT, idx);
    else this.writeU32(LONG_BINPUT, idx);
  }
  memoGet(idx: number): void {
    if (idx < 256) this.write2(BINGET, idx);
    else this.writeU32(LONG_BINGET, idx);
  }

  save(obj: unknown): void {
    // As pickle.py's save() (and _pickle.c): a frame that reached its target closes before the next object.
    if (this.frameStart !== -1) this.boundary();
    switch (typeof obj) {
      case "undefined":
        this.write1(NONE);
        break;
      case "boolean":
        this.write1(obj ? NEWTRUE : NEWFALSE);
        break;
      case "number":
        if (Number.isInteger(obj) && !Object.is(obj, -0)) this.saveInt(obj);
        else this.saveFloat(obj);
        break;
      case "bigint":
        this.saveBigInt(obj);
        break;
      case "string": {
        const idx = this.memo.get(obj);
        if (idx !== undefined) this.memoGet(idx);
        else this.saveStr(obj);
        break;
      }
      case "object":
        if (obj === null) this.write1(NONE);
        else this.saveObject(obj);
        break;
      case "function": {
        // A class or function that is an allowlisted global (ValueError, a registered value): by reference.
        const e = entryOfValue(obj);
        if (e === undefined) throw new PathError(refuse(obj), []);
        this.saveGlobal(e);
        break;
      }
      default:
        throw new PathError(refuse(obj), []);
    }
  }

  saveInt(n: number): void {
    if (n >= 0 && n <= 0xff) this.write2(BININT1, n);
    else if (n >= 0 && n <= 0xffff) {
      this.ensure(3);
      this.buf[this.pos] = BININT2;
      this.buf.writeUInt16LE(n, this.pos + 1);
      this.pos += 3;
    } else if (n >= -0x80000000 && n <= 0x7fffffff) {
      this.ensure(5);
      this.buf[this.pos] = BININT;
      this.buf.writeInt32LE(n, this.pos + 1);
      this.pos += 5;
    } else this.saveLong(BigInt(n));
  }
  saveBigInt(n: bigint): void {
    if (n >= -0x80000000n && n <= 0x7fffffffn) this.saveInt(Number(n));
    else this.saveLong(n);
  }
  // LONG1/LONG4: little-endian two's complement in the fewest bytes (encode_long of _pickle.c).
  saveLong(n: bigint): void {
    const neg = n < 0n;
    const mag = neg ? -n : n;
    let nbytes = Math.floor(mag.toString(2).length / 8) + 1;
    let v = neg ? (1n << BigInt(nbytes * 8)) + n : n;
    const bytes = new Uint8Array(nbytes);
    for (let i = 0; i < nbytes; i++) {
      bytes[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    if (neg && nbytes > 1 && bytes[nbytes - 1] === 0xff && (bytes[nbytes - 2]! & 0x80) !== 0) nbytes--;
    if (nbytes < 256) this.write2(LONG1, nbytes);
    else this.writeU32(LONG4, nbytes);
    this.ensure(nbytes);
    this.buf.set(bytes.subarray(0, nbytes), this.pos);
    this.pos += nbytes;
  }
  saveFloat(n: number): void {
    this.ensure(9);
    this.buf[this.pos] = BINFLOAT;
    this.buf.writeDoubleBE(n, this.pos + 1);
    this.pos += 9;
  }

  saveStr(s: string): void {
    if (this.proto >= 4 && s.length < 86) {
      // At most 255 UTF-8 bytes: write in place and patch the length byte.
      this.ensure(2 + s.length * 3);
      const start = this.pos;
      this.buf[start] = SHORT_BINUNICODE;
      let n = 0;
      const buf = this.buf;
      const len = s.length;
      for (; n < len; n++) {
        const c = s.charCodeAt(n);
        if (c > 0x7f) break;
        buf[start + 2 + n] = c;
      }
      if (n < len) n = encodeUtf8(s, buf, start + 2);
      this.buf[start + 1] = n;
      this.pos = start + 2 + n;
    } else {
      const data = encodeUtf8(s);
      const n = data.length;
      if (this.proto >= 4 && n < 256) this.writeBytes([SHORT_BINUNICODE, n], data);
      else if (n <= 0xffffffff) this.writeBytes([BINUNICODE, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24], data);
      else this.writeBytes(u64Header(BINUNICODE8, n), data);
    }
    this.memoPut(s);
  }

  saveBytes(b: Uint8Array, key: object): void {
    const n = b.length;
    if (this.proto < 3) {
      // bytes.__reduce_ex__(2): _codecs.encode(latin-1 text, 'latin1'), or bytes() when empty.
      if (n === 0) this.saveReduce(globalKey("builtins", "bytes"), [], key);
      else this.saveReduce(globalKey("_codecs", "encode"), [Buffer.from(b.buffer, b.byteOffset, n).toString("latin1"), "latin1"], key);
      return;
    }
    if (n < 256) this.writeBytes([SHORT_BINBYTES, n], b);
    else if (n <= 0xffffffff) this.writeBytes([BINBYTES, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24], b);
    else this.writeBytes(u64Header(BINBYTES8, n), b);
    this.memoPut(key);
  }

  saveObject(obj: object): void {
    const idx = this.memo.get(obj);
    if (idx !== undefined) return this.memoGet(idx);
    if (++this.depth > MAX_DUMP_DEPTH) {
      this.depth = 0;
      throw new PathError(new PicklingError("maximum recursion depth exceeded while pickling an object at {path}: nesting deeper than 1000 levels (as CPython's recursion limit)"), []);
    }
    try {
      if (Array.isArray(obj)) {
        if (isTuple(obj)) this.saveTuple(obj);
        else this.saveList(obj);
      } else if (obj instanceof PyFloat) this.saveFloat(obj.valueOf());
      else if (obj instanceof Uint8Array) this.saveBytes(obj, obj);
      else if (ArrayBuffer.isView(obj)) this.saveBytes(new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength), obj);
      else if (obj instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && obj instanceof SharedArrayBuffer)) this.saveBytes(new Uint8Array(obj), obj);
      else if (obj instanceof Map) this.saveDict(obj, true);
      else if (obj instanceof Set) this.saveSet(obj);
      else {
        const proto = Object.getPrototypeOf(obj);
        if (proto === Object.prototype || proto === null) this.saveDict(obj, false);
        else this.saveOther(obj);
      }
    } finally {
      this.depth--;
    }
  }

  saveList(list: unknown[]): void {
    this.write1(EMPTY_LIST);
    this.memoPut(list);
    const n = list.length;
    if (n === 0) return;
    let i = 0;
    try {
      if (n === 1) {
        this.save(list[0]);
        this.write1(APPEND);
        return;
      }
      do {
        this.write1(MARK);
        let batch = 0;
        while (i < n) {
          this.save(list[i]);
          i++;
          if (++batch === BATCHSIZE) break;
        }
        this.write1(APPENDS);
      } while (i < n);
    } catch (e) {
      if (e instanceof PathError) e.path.push(`[${i}]`);
      throw e;
    }
  }

  saveTuple(t: unknown[]): void {
    const n = t.length;
    if (n === 0) return this.write1(EMPTY_TUPLE);
    let i = 0;
    try {
      if (n <= 3) {
        for (; i < n; i++) this.save(t[i]);
        const idx = this.memo.get(t);
        if (idx !== undefined) {
          for (let k = 0; k < n; k++) this.write1(POP);
          return this.memoGet(idx);
        }
        this.write1(TUPLE1 + n - 1);
      } else {
        this.write1(MARK);
        for (; i < n; i++) this.save(t[i]);
        const idx = this.memo.get(t);
        if (idx !== undefined) {
          this.write1(POP_MARK);
          return this.memoGet(idx);
        }
        this.write1(TUPLE);
      }
    } catch (e) {
      if (e instanceof PathError) e.path.push(`[${i}]`);
      throw e;
    }
    this.memoPut(t);
  }

  saveDict(d: object, isMap: boolean): void {
    this.write1(EMPTY_DICT);
    this.memoPut(d);
    const keys: unknown[] = isMap ? [...(d as Map<unknown, unknown>).keys()] : Object.keys(d);
    const n = keys.length;
    if (n === 0) return;
    const map = isMap ? (d as Map<unknown, unknown>) : undefined;
    let i = 0;
    try {
      if (n === 1) {
        this.saveKey(keys[0]);
        this.save(map ? map.get(keys[0]) : (d as any)[keys[0] as string]);
        this.write1(SETITEM);
        return;
      }
      let batch: number;
      do {
        batch = 0;
        this.write1(MARK);
        while (i < n) {
          this.saveKey(keys[i]);
          this.save(map ? map.get(keys[i]) : (d as any)[keys[i] as string]);
          i++;
          if (++batch === BATCHSIZE) break;
        }
        this.write1(SETITEMS);
      } while (batch === BATCHSIZE);
    } catch (e) {
      if (e instanceof PathError) e.path.push(!isMap && typeof keys[i] === "string" && /^[A-Za-z_$][\w$]*$/.test(keys[i] as string) ? `.${keys[i]}` : `[${describeKey(keys[i])}]`);
      throw e;
    }
  }
  saveKey(k: unknown, what = "dict key"): void {
    // Python's dict keys and set items are hashable: lists, dicts and sets are refused.
    if (k !== null && typeof k === "object" && !(k instanceof PyFloat) && !isTuple(k) && !(k instanceof Uint8Array)) {
      throw new PathError(new PicklingError(`Can't pickle a ${what} of type '${typeName(k)}' at {path}: Python's ${what}s must be hashable (str, int, float, bool, None, bytes, tuple)`), []);
    }
    this.save(k);
  }

  saveSet(s: Set<unknown>): void {
    if (this.proto < 4) {
      // set.__reduce__: builtins.set([items]).
      return this.saveReduce(globalKey("builtins", "set"), [[...s]], s);
    }
    this.write1(EMPTY_SET);
    this.memoPut(s);
    const items = [...s];
    const n = items.length;
    if (n === 0) return;
    let i = 0;
    let batch: number;
    try {
      do {
        batch = 0;
        this.write1(MARK);
        while (i < n) {
          this.saveKey(items[i], "set item");
          i++;
          if (++batch === BATCHSIZE) break;
        }
        this.write1(ADDITEMS);
      } while (batch === BATCHSIZE);
    } catch (e) {
      if (e instanceof PathError) e.path.push(`{item ${i}}`);
      throw e;
    }
  }

  saveOther(obj: object): void {
    if (isPyException(obj)) {
      const name = builtinExceptionOf(obj);
      if (name === undefined) {
        throw new PathError(new PicklingError(`Can't pickle ${obj.constructor.name} at {path}: only Python's builtin exception classes travel to Python; throw one (ValueError, KeyError, ...), or registerGlobal() a module and name for ${obj.constructor.name}`), []);
      }
      const state = exceptionState(obj);
      return this.saveReduce(globalKey("builtins", name), [...obj.args], obj, state);
    }
    if (obj instanceof PickleGlobal) return this.saveGlobal(obj.entry());
    const entry = entryOfInstance(obj);
    if (entry?.handlers.reduce) {
      const r = entry.handlers.reduce(obj);
      return this.saveReduce(entry, r.args, obj, r.state, r.newobj);
    }
    const reduce = (obj as any).__reduce__;
    if (typeof reduce === "function") {
      const r = reduce.call(obj);
      if (!Array.isArray(r) || r.length < 2 || !Array.isArray(r[1])) {
        throw new PathError(new PicklingError(`__reduce__ of ${typeName(obj)} at {path} must return [callable, args] or [callable, args, state]`), []);
      }
      const e = entryOfValue(r[0]);
      if (!e) throw new PathError(new PicklingError(`Can't pickle ${typeName(obj)} at {path}: the callable its __reduce__ returns is not a registered global; registerGlobal() it first`), []);
      return this.saveReduce(e, r[1], obj, r[2]);
    }
    throw new PathError(refuse(obj), []);
  }

  saveGlobal(e: GlobalEntry): void {
    const key = e.module + "\n" + e.name;
    const idx = this.globalMemo?.get(key);
    if (idx !== undefined) return this.memoGet(idx);
    if (this.proto >= 4) {
      this.save(e.module);
      this.save(e.name);
      this.write1(STACK_GLOBAL);
    } else {
      const [module, name] = this.proto < 3 ? py2Name(e.module, e.name) : [e.module, e.name];
      const line = Buffer.from(`${module}\n${name}\n`, "utf8");
      this.ensure(1 + line.length);
      this.buf[this.pos++] = GLOBAL;
      this.buf.set(line, this.pos);
      this.pos += line.length;
    }
    const i = this.memo.size;
    this.memo.set(Symbol(key), i);
    (this.globalMemo ??= new Map()).set(key, i);
    this.writePut(i);
  }

  // save_reduce: callable, args tuple, REDUCE (or NEWOBJ), memo, then the state and BUILD.
  saveReduce(e: GlobalEntry, args: unknown[], obj: object, state?: unknown, newobj = false): void {
    this.saveGlobal(e);
    this.save(markTuple(args.slice()));
    this.write1(newobj && this.proto >= 2 ? NEWOBJ : REDUCE);
    const idx = this.memo.get(obj);
    if (idx !== undefined) {
      this.write1(POP);
      return this.memoGet(idx);
    }
    this.memoPut(obj);
    if (state !== undefined) {
      this.save(state);
      this.write1(BUILD);
    }
  }
}

function globalKey(module: string, name: string): GlobalEntry {
  return { module, name, handlers: {}, value: undefined };
}

/** The attributes Python keeps in an exception's `__dict__`: own enumerable fields beyond args. */
function exceptionState(e: BaseException): Record<string, unknown> | undefined {
  let state: Record<string, unknown> | undefined;
  for (const k of Object.keys(e)) {
    if (k === "args" || k === "errno" || k === "strerror" || k === "code" || k === "message" || k === "stack") continue;
    state ??= {};
    Object.defineProperty(state, k, { value: (e as any)[k], enumerable: true, writable: true, configurable: true });
  }
  return state;
}

function u64Header(op: number, n: number): number[] {
  const h = [op];
  let v = n;
  for (let i = 0; i < 8; i++) {
    h.push(v % 256);
    v = Math.floor(v / 256);
  }
  return h;
}

function describeKey(k: unknown): string {
  if (k !== null && typeof k === "object") return `<${typeName(k)} key>`;
  return typeof k === "string" ? JSON.stringify(k) : typeof k === "bigint" ? `${k}n` : String(k);
}

function typeName(v: unknown): string {
  if (typeof v === "function") return v.name ? `<function ${v.name}>` : "<anonymous function>";
  if (typeof v === "symbol") return `<${String(v)}>`;
  if (Array.isArray(v)) return isTuple(v) ? "tuple" : "list";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  const ctor = (v as any)?.constructor?.name;
  return ctor ? `<${ctor} object>` : "<object>";
}

function refuse(v: unknown): PicklingError {
  if (typeof v === "function") {
    return new PicklingError(`Can't pickle ${typeName(v)} at {path}: a JavaScript function has no meaning in a pickle; send data instead, or registerGlobal() a module and name for it`);
  }
  if (typeof v === "symbol") return new PicklingError(`Can't pickle ${typeName(v)} at {path}: a symbol has no meaning in a pickle; send a string instead`);
  return new PicklingError(`Can't pickle ${typeName(v)} at {path}: an instance of a JavaScript class has no pickle reducer; send a plain object, Map, Array or py.tuple, or registerGlobal() a module and name with a type and reduce()`);
}
