// The unpickler of CPython's Modules/_pickle.c (load() and the load_* of every opcode of
// protocols 0-5) for JavaScript, allowlist-only: a global is looked up in globals.ts, never
// imported. Iterative (no recursion), linear in the input, and every length is checked against
// the bytes that remain before anything is allocated.

import { isTuple, kTuple } from "../format.js";
import { EOFError, ValueError } from "../pyerrors.js";
import { UnpicklingError } from "./errors.js";
import { float as pyFloat, PyFloat } from "./float.js";
import { entryOfValue, findGlobal, isPyException, setAttributes, type GlobalEntry, type GlobalHandlers } from "./globals.js";
import { loadKey, pyType, replaceAll, unescapeBytes } from "./support.js";
import { decodeUtf8, type FastBuffer } from "./utf8.js";

/** Limits and extra globals of one loads() call. */
export interface PickleLoadOptions {
  /** The largest pickle accepted, in bytes (default: no limit beyond the input's own length). */
  maxBytes?: number;
  /** The deepest nesting of containers (default 1000, as CPython's recursion limit for dumps). */
  maxDepth?: number;
  /** The most decimal digits of one int (LONG1/LONG4/LONG/INT; default 1,000,000). */
  maxIntDigits?: number;
  /** The most memo entries (default 10,000,000). */
  maxMemo?: number;
  /** Extra allowlisted globals for this call, by dotted name: `{ "mymod.Point": { call: ... } }`. */
  globals?: Record<string, GlobalHandlers>;
}

const DIGITS_PER_BYTE = Math.log10(256);
const TUPLE_MARK: PropertyDescriptor = Object.freeze({ value: true, enumerable: false });
/** format.ts's markTuple, with one shared descriptor (this runs for every tuple read). */
function markTuple<T extends unknown[]>(items: T): T {
  return Object.defineProperty(items, kTuple, TUPLE_MARK);
}

function truncated(): never {
  throw new UnpicklingError("pickle data was truncated");
}

/** Unpickles `data`. */
export function load(input: Uint8Array, options: PickleLoadOptions = {}): unknown {
  const maxBytes = options.maxBytes ?? Infinity;
  if (input.length > maxBytes) throw new UnpicklingError(`pickle data of ${input.length} bytes exceeds maxBytes (${maxBytes})`);
  const buf = (Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)) as FastBuffer;
  return new Unpickler(buf, options.maxDepth ?? 1000, options.maxIntDigits ?? 1_000_000, options.maxMemo ?? 10_000_000, options.globals).run();
}

/** One loads() call: the stack machine of _pickle.c's Unpickler. */
class Unpickler {
  readonly end: number;
  pos = 0;
  proto = 0;
  readonly st: unknown[] = [];
  readonly ds: number[] = []; // nesting depth of each stack value (0 for scalars)
  readonly marks: number[] = [];
  fence = 0;
  // The memo: an array (an unset slot is undefined; no value on the stack is ever undefined).
  readonly memo: unknown[] = [];
  readonly memoDepth: number[] = [];
  memoCount = 0;
  itemsDepth = 0;
  // Dicts are plain objects until a non-str key arrives; then they become Maps (see toMap).
  readonly dicts = new Set<object>();
  dictMemo: Map<object, number[]> | undefined;
  shared: Set<object> | undefined; // dicts pushed a second time (GET, DUP) before becoming Maps
  replaced: Map<object, Map<unknown, unknown>> | undefined;
  fixup = false;
  made: Map<object, GlobalEntry> | undefined; // objects built by a global (BUILD needs its handlers)

  constructor(
    readonly buf: FastBuffer,
    readonly maxDepth: number,
    readonly maxIntDigits: number,
    readonly maxMemo: number,
    readonly extra: Record<string, GlobalHandlers> | undefined,
  ) {
    this.end = buf.length;
  }

  need(n: number): void {
    if (n > this.end - this.pos) truncated();
  }
  underflow(): never {
    throw new UnpicklingError(this.marks.length > 0 ? "unexpected MARK found" : "unpickling stack underflow");
  }
  push(v: unknown, d: number): void {
    if (d > this.maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${this.maxDepth})`);
    this.st.push(v);
    this.ds.push(d);
  }
  pop(): unknown {
    if (this.st.length <= this.fence) this.underflow();
    this.ds.pop();
    return this.st.pop();
  }
  popMark(): number {
    if (this.marks.length === 0) throw new UnpicklingError("could not find MARK");
    const m = this.marks.pop()!;
    this.fence = this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
    return m;
  }
  // The items since the topmost MARK, and their deepest nesting.
  // (their deepest nesting goes to itemsDepth: no pair is allocated for it).
  popItems(): unknown[] {
    const m = this.popMark();
    const items = this.st.splice(m);
    const ds = this.ds;
    let d = 0;
    for (let i = m; i < ds.length; i++) if (ds[i]! > d) d = ds[i]!;
    ds.length = m;
    this.itemsDepth = d;
    return items;
  }
  readLine(): string {
    const nl = this.buf.indexOf(0x0a, this.pos);
    if (nl < 0 || nl >= this.end) truncated();
    const s = this.buf.latin1Slice(this.pos, nl);
    this.pos = nl + 1;
    return s;
  }
  u32(): number {
    this.need(4);
    const n = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return n;
  }
  u64(): number {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    if (hi > 0x1fffff) truncated();
    return hi * 0x100000000 + lo;
  }
  take(n: number): [number, number] {
    this.need(n);
    const s = this.pos;
    this.pos += n;
    return [s, this.pos];
  }
  checkDigits(digits: number): void {
    if (digits > this.maxIntDigits) throw new UnpicklingError(`int of about ${Math.ceil(digits)} digits exceeds maxIntDigits (${this.maxIntDigits})`);
  }
  intValue(v: bigint): number | bigint {
    return (v >= -0x1fffffffffffffn && v <= 0x1fffffffffffffn ? Number(v) : v);
  }
  decodeLong(s: number, n: number): number | bigint {
    if (n === 0) return 0;
    this.checkDigits(n * DIGITS_PER_BYTE);
    if (n <= 6) return this.buf.readIntLE(s, n);
    let v = BigInt("0x" + Buffer.from(this.buf.subarray(s, s + n)).reverse().toString("hex"));
    if (this.buf[s + n - 1]! & 0x80) v -= 1n << BigInt(n * 8);
    return this.intValue(v);
  }
  parseInt10(text: string): number | bigint {
    const t = text.trim().replace(/_/g, "");
    if (!/^[+-]?\d+$/.test(t)) throw new UnpicklingError(`invalid literal for int() with base 10: '${text}'`);
    this.checkDigits(t.replace(/^[+-]/, "").length);
    return this.intValue(BigInt(t));
  }
  floatValue(v: number): number | PyFloat {
    return (Number.isInteger(v) && !Object.is(v, -0) ? new PyFloat(v) : v);
  }
  key(k: unknown): unknown {
    return (k instanceof PyFloat ? k.valueOf() : k);
  }
  ascii(s: number, e: number): string {
    for (let i = s; i < e; i++) {
      if (this.buf[i]! > 0x7f) throw new UnpicklingError(`'ascii' codec can't decode byte 0x${this.buf[i]!.toString(16)} in position ${i - s}: ordinal not in range(128)`);
    }
    return this.buf.latin1Slice(s, e);
  }

  toMap(d: object): Map<unknown, unknown> {
    const m = new Map<unknown, unknown>(Object.entries(d));
    this.dicts.delete(d);
    // The dict being filled is the top of the stack (SETITEM/SETITEMS); other copies are `shared`.
    if (this.st[this.st.length - 1] === d) this.st[this.st.length - 1] = m;
    for (const idx of this.dictMemo?.get(d) ?? []) this.memo[idx] = m;
    (this.replaced ??= new Map()).set(d, m);
    if (this.shared?.has(d)) this.fixup = true;
    return m;
  }
  setItem(target: unknown, k: unknown, v: unknown): unknown {
    if (target instanceof Map) {
      target.set(this.key(k), v);
      return target;
    }
    if (this.replaced !== undefined && this.replaced.has(target as object)) return this.setItem(this.replaced.get(target as object), k, v);
    if (!this.dicts.has(target as object)) throw new UnpicklingError(`'${pyType(target)}' object does not support item assignment`);
    if (typeof k === "string") {
      if (k === "__proto__") Object.defineProperty(target, k, { value: v, writable: true, enumerable: true, configurable: true });
      else (target as any)[k] = v;
      return target;
    }
    if (k !== null && typeof k === "object" && !(k instanceof PyFloat) && !isTuple(k) && !(k instanceof Uint8Array)) {
      throw new UnpicklingError(`unhashable type: '${pyType(k)}'`);
    }
    return this.setItem(this.toMap(target as object), k, v);
  }
  listTarget(t: unknown): unknown[] {
    if (Array.isArray(t) && !isTuple(t)) return t;
    throw new UnpicklingError(`'${pyType(t)}' object has no attribute 'append'`);
  }
  callEntry(callable: unknown, args: unknown, kwargs: Record<string, unknown> | null, opname: string): unknown {
    if (!isTuple(args)) throw new UnpicklingError(opname === "REDUCE" ? "argument list must be a tuple" : `${opname} args must be a tuple`);
    const entry = entryOfValue(callable);
    const h = entry?.handlers;
    const fn = opname === "REDUCE" ? h?.call : h?.newobj ?? h?.call;
    if (!entry || !fn) throw new UnpicklingError(entry ? `global '${entry.module}.${entry.name}' cannot be called from a pickle` : `'${pyType(callable)}' object is not callable`);
    let obj: unknown;
    try {
      obj = opname === "REDUCE" ? (fn as (a: unknown[]) => unknown)(args as unknown[]) : (fn as (a: unknown[], k: Record<string, unknown>) => unknown)(args as unknown[], kwargs ?? {});
    } catch (e) {
      if (isPyException(e)) throw e;
      throw new UnpicklingError(`${entry.module}.${entry.name}(...) failed: ${(e as Error)?.message ?? e}`);
    }
    if (obj !== null && (typeof obj === "object" || typeof obj === "function")) (this.made ??= new Map()).set(obj, entry);
    return obj;
  }
  build(obj: unknown, state: unknown): void {
    const entry = obj !== null && typeof obj === "object" ? this.made?.get(obj) : undefined;
    if (!entry) throw new UnpicklingError(`'${pyType(obj)}' object has no attribute '__dict__'`);
    const setstate = entry.handlers.setstate;
    try {
      if (setstate) setstate(obj, state);
      else if (isTuple(state) && (state as unknown[]).length === 2) {
        const [d, slots] = state as unknown[];
        if (d !== null) setAttributes(obj as object, d);
        if (slots !== null) setAttributes(obj as object, slots);
      } else setAttributes(obj as object, state);
    } catch (e) {
      if (isPyException(e)) throw e;
      throw new UnpicklingError(`${entry.module}.${entry.name}.__setstate__ failed: ${(e as Error)?.message ?? e}`);
    }
  }
  memoPut(idx: number): void {
    if (this.st.length <= this.fence) this.underflow();
    if (this.memo[idx] === undefined) {
      if (this.memoCount >= this.maxMemo) throw new UnpicklingError(`memo larger than maxMemo (${this.maxMemo})`);
      this.memoCount++;
    }
    const v = this.st[this.st.length - 1];
    this.memo[idx] = v;
    this.memoDepth[idx] = this.ds[this.ds.length - 1]!;
    if (v !== null && typeof v === "object" && this.dicts.has(v)) {
      this.dictMemo ??= new Map();
      const l = this.dictMemo.get(v);
      if (l) l.push(idx);
      else this.dictMemo.set(v, [idx]);
    }
  }
  memoGet(idx: number): void {
    const v = this.memo[idx];
    if (v === undefined) throw new UnpicklingError(`Memo value not found at index ${idx}`);
    if (v !== null && typeof v === "object" && this.dicts.has(v)) (this.shared ??= new Set()).add(v);
    this.push(v, this.memoDepth[idx]!);
  }
  str(s: number, e: number): void {
    return this.push(decodeUtf8(this.buf, s, e), 0);
  }
  bytes(s: number, e: number): void {
    // A copy (the input buffer may be reused by its owner); allocUnsafe takes small ones from Node's pool.
    const b = Buffer.allocUnsafe(e - s);
    this.buf.copy(b, 0, s, e);
    return this.push(b, 0);
  }


  run(): unknown {
    for (;;) {
      if (this.pos >= this.end) throw new EOFError("Ran out of input");
      const op = this.buf[this.pos++]!;
      switch (op) {
        case 0x80: { // PROTO
          this.need(1);
          this.proto = this.buf[this.pos++]!;
          if (this.proto > 5) throw new ValueError(`unsupported pickle protocol: ${this.proto}`);
          break;
        }
        case 0x95: { // FRAME: only checks that the frame's bytes are there, as _pickle.c does
          const n = this.u64();
          this.need(n);
          break;
        }
        case 0x2e: { // STOP
          const v = this.pop();
          return this.fixup ? replaceAll(v, this.replaced!) : v;
        }
        case 0x28: // MARK
          this.marks.push(this.st.length);
          this.fence = this.st.length;
          break;
        case 0x30: // POP
          if (this.st.length > this.fence) {
            this.st.pop();
            this.ds.pop();
          } else if (this.marks.length > 0) this.popMark();
          else this.underflow();
          break;
        case 0x31: { // POP_MARK
          const m = this.popMark();
          this.st.length = m;
          this.ds.length = m;
          break;
        }
        case 0x32: { // DUP
          if (this.st.length <= this.fence) this.underflow();
          const v = this.st[this.st.length - 1];
          if (v !== null && typeof v === "object" && this.dicts.has(v)) (this.shared ??= new Set()).add(v);
          this.push(v, this.ds[this.ds.length - 1]!);
          break;
        }
        case 0x4e: this.push(null, 0); break; // NONE
        case 0x88: this.push(true, 0); break; // NEWTRUE
        case 0x89: this.push(false, 0); break; // NEWFALSE
        case 0x4b: this.need(1); this.push(this.buf[this.pos++]!, 0); break; // BININT1
        case 0x4d: this.need(2); this.push(this.buf.readUInt16LE(this.pos), 0); this.pos += 2; break; // BININT2
        case 0x4a: this.need(4); this.push(this.buf.readInt32LE(this.pos), 0); this.pos += 4; break; // BININT
        case 0x8a: { // LONG1
          this.need(1);
          const n = this.buf[this.pos++]!;
          const [s] = this.take(n);
          this.push(this.decodeLong(s, n), 0);
          break;
        }
        case 0x8b: { // LONG4
          this.need(4);
          const n = this.buf.readInt32LE(this.pos);
          this.pos += 4;
          if (n < 0) throw new UnpicklingError("LONG pickle has negative byte count");
          this.checkDigits(n * DIGITS_PER_BYTE);
          const [s] = this.take(n);
          this.push(this.decodeLong(s, n), 0);
          break;
        }
        case 0x49: { // INT (text): I01/I00 are the booleans of protocol 0
          const line = this.readLine();
          if (line === "01") this.push(true, 0);
          else if (line === "00") this.push(false, 0);
          else this.push(this.parseInt10(line), 0);
          break;
        }
        case 0x4c: { // LONG (text)
          const line = this.readLine();
          this.push(this.parseInt10(line.endsWith("L") ? line.slice(0, -1) : line), 0);
          break;
        }
        case 0x46: { // FLOAT (text)
          const line = this.readLine();
          let v: number;
          try {
            v = pyFloat(line).valueOf();
          } catch {
            throw new UnpicklingError(`could not convert string to float: '${line}'`);
          }
          this.push(this.floatValue(v), 0);
          break;
        }
        case 0x47: this.need(8); this.push(this.floatValue(this.buf.readDoubleBE(this.pos)), 0); this.pos += 8; break; // BINFLOAT
        case 0x8c: { this.need(1); const n = this.buf[this.pos++]!; const [s, e] = this.take(n); this.str(s, e); break; } // SHORT_BINUNICODE
        case 0x58: { const n = this.u32(); const [s, e] = this.take(n); this.str(s, e); break; } // BINUNICODE
        case 0x8d: { const n = this.u64(); const [s, e] = this.take(n); this.str(s, e); break; } // BINUNICODE8
        case 0x56: { // UNICODE (raw-unicode-escape text)
          const line = this.readLine();
          this.push(line.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) => {
            const cp = parseInt(a ?? b!, 16);
            if (cp > 0x10ffff) throw new UnpicklingError("'rawunicodeescape' codec can't decode bytes: \\Uxxxxxxxx out of range");
            return String.fromCodePoint(cp);
          }), 0);
          break;
        }
        case 0x53: { // STRING (quoted, escaped, then decoded as ASCII)
          const line = this.readLine();
          const q = line[0];
          if (line.length < 2 || (q !== "'" && q !== '"') || line[line.length - 1] !== q) throw new UnpicklingError("the STRING opcode argument must be quoted");
          const raw = Buffer.from(unescapeBytes(line.slice(1, -1)), "latin1");
          for (let i = 0; i < raw.length; i++) if (raw[i]! > 0x7f) throw new UnpicklingError(`'ascii' codec can't decode byte 0x${raw[i]!.toString(16)} in position ${i}: ordinal not in range(128)`);
          this.push(raw.toString("latin1"), 0);
          break;
        }
        case 0x54: { // BINSTRING
          this.need(4);
          const n = this.buf.readInt32LE(this.pos);
          this.pos += 4;
          if (n < 0) throw new UnpicklingError("BINSTRING pickle has negative byte count");
          const [s, e] = this.take(n);
          this.push(this.ascii(s, e), 0);
          break;
        }
        case 0x55: { this.need(1); const n = this.buf[this.pos++]!; const [s, e] = this.take(n); this.push(this.ascii(s, e), 0); break; } // SHORT_BINSTRING
        case 0x43: { this.need(1); const n = this.buf[this.pos++]!; const [s, e] = this.take(n); this.bytes(s, e); break; } // SHORT_BINBYTES
        case 0x42: { const n = this.u32(); const [s, e] = this.take(n); this.bytes(s, e); break; } // BINBYTES
        case 0x8e: { const n = this.u64(); const [s, e] = this.take(n); this.bytes(s, e); break; } // BINBYTES8
        case 0x96: { const n = this.u64(); const [s, e] = this.take(n); this.bytes(s, e); break; } // BYTEARRAY8
        case 0x97: // NEXT_BUFFER
          throw new UnpicklingError("pickle stream refers to out-of-band data but no *buffers* argument was given");
        case 0x98: // READONLY_BUFFER
          if (this.st.length <= this.fence) this.underflow();
          break;
        case 0x29: this.push(markTuple([]), 1); break; // EMPTY_TUPLE
        case 0x85: case 0x86: case 0x87: { // TUPLE1/2/3
          const n = op - 0x84;
          if (this.st.length - n < this.fence) this.underflow();
          const items = this.st.splice(this.st.length - n);
          let d = 0;
          for (const x of this.ds.splice(this.ds.length - n)) if (x > d) d = x;
          this.push(markTuple(items), d + 1);
          break;
        }
        case 0x74: this.push(markTuple(this.popItems()), this.itemsDepth + 1); break; // TUPLE
        case 0x5d: this.push([], 1); break; // EMPTY_LIST
        case 0x6c: this.push(this.popItems(), this.itemsDepth + 1); break; // LIST
        case 0x61: { // APPEND
          const d = this.ds[this.ds.length - 1]!;
          const v = this.pop();
          if (this.st.length <= this.fence) this.underflow();
          this.listTarget(this.st[this.st.length - 1]).push(v);
          if (d + 1 > this.ds[this.ds.length - 1]!) this.ds[this.ds.length - 1] = d + 1;
          if (d + 1 > this.maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${this.maxDepth})`);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popItems();
          const d = this.itemsDepth;
          if (this.st.length <= this.fence) this.underflow();
          const list = this.listTarget(this.st[this.st.length - 1]);
          for (const x of items) list.push(x);
          if (d + 1 > this.ds[this.ds.length - 1]!) this.ds[this.ds.length - 1] = d + 1;
          if (d + 1 > this.maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${this.maxDepth})`);
          break;
        }
        case 0x7d: { const o = {}; this.dicts.add(o); this.push(o, 1); break; } // EMPTY_DICT
        case 0x64: { // DICT
          const items = this.popItems();
          const d = this.itemsDepth;
          let o: unknown = {};
          this.dicts.add(o as object);
          for (let i = 0; i + 1 < items.length; i += 2) o = this.setItem(o, items[i], items[i + 1]);
          this.push(o, d + 1);
          break;
        }
        case 0x73: { // SETITEM
          const dv = this.ds[this.ds.length - 1]!;
          const v = this.pop();
          const k = this.pop();
          if (this.st.length <= this.fence) this.underflow();
          this.setItem(this.st[this.st.length - 1], k, v);
          if (dv + 1 > this.ds[this.ds.length - 1]!) this.ds[this.ds.length - 1] = dv + 1;
          if (dv + 1 > this.maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${this.maxDepth})`);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popItems();
          const d = this.itemsDepth;
          if (this.st.length <= this.fence) this.underflow();
          let target = this.st[this.st.length - 1];
          for (let i = 0; i + 1 < items.length; i += 2) target = this.setItem(target, items[i], items[i + 1]);
          if (d + 1 > this.ds[this.ds.length - 1]!) this.ds[this.ds.length - 1] = d + 1;
          if (d + 1 > this.maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${this.maxDepth})`);
          break;
        }
        case 0x8f: this.push(new Set(), 1); break; // EMPTY_SET
        case 0x90: { // ADDITEMS
          const items = this.popItems();
          const d = this.itemsDepth;
          if (this.st.length <= this.fence) this.underflow();
          const s = this.st[this.st.length - 1];
          if (!(s instanceof Set)) throw new UnpicklingError(`'${pyType(s)}' object has no attribute 'add'`);
          for (const x of items) s.add(this.key(x));
          if (d + 1 > this.ds[this.ds.length - 1]!) this.ds[this.ds.length - 1] = d + 1;
          break;
        }
        case 0x91: this.push(new Set(this.popItems().map(this.key)), this.itemsDepth + 1); break; // FROZENSET
        case 0x70: this.memoPut(this.parseMemoIndex(this.readLine())); break; // PUT
        case 0x71: this.need(1); this.memoPut(this.buf[this.pos++]!); break; // BINPUT
        case 0x72: this.memoPut(this.u32()); break; // LONG_BINPUT
        case 0x94: this.memoPut(this.memoCount); break; // MEMOIZE
        case 0x67: this.memoGet(this.parseMemoIndex(this.readLine())); break; // GET
        case 0x68: this.need(1); this.memoGet(this.buf[this.pos++]!); break; // BINGET
        case 0x6a: this.memoGet(this.u32()); break; // LONG_BINGET
        case 0x63: { // GLOBAL
          const module = this.readLine();
          const name = this.readLine();
          this.push(findGlobal(module, name, this.proto, this.extra).value, 0);
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof name !== "string" || typeof module !== "string") throw new UnpicklingError("STACK_GLOBAL requires str");
          this.push(findGlobal(module, name, this.proto, this.extra).value, 0);
          break;
        }
        case 0x52: { // REDUCE
          const d = this.ds[this.ds.length - 1]!;
          const args = this.pop();
          const callable = this.pop();
          this.push(this.callEntry(callable, args, null, "REDUCE"), d);
          break;
        }
        case 0x81: { // NEWOBJ
          const d = this.ds[this.ds.length - 1]!;
          const args = this.pop();
          const cls = this.pop();
          this.push(this.callEntry(cls, args, null, "NEWOBJ"), d);
          break;
        }
        case 0x92: { // NEWOBJ_EX
          const kwargs = this.pop();
          const d = this.ds[this.ds.length - 1]!;
          const args = this.pop();
          const cls = this.pop();
          if (kwargs === null || typeof kwargs !== "object" || !this.dicts.has(kwargs)) throw new UnpicklingError(`NEWOBJ_EX kwargs must be a dict, not ${pyType(kwargs)}`);
          this.push(this.callEntry(cls, args, kwargs as Record<string, unknown>, "NEWOBJ_EX"), d);
          break;
        }
        case 0x69: { // INST
          const module = this.readLine();
          const name = this.readLine();
          const cls = findGlobal(module, name, this.proto, this.extra).value;
          const items = this.popItems();
          const d = this.itemsDepth;
          this.push(this.callEntry(cls, markTuple(items), null, "REDUCE"), d + 1);
          break;
        }
        case 0x6f: { // OBJ
          const items = this.popItems();
          const d = this.itemsDepth;
          if (items.length === 0) this.underflow();
          this.push(this.callEntry(items[0], markTuple(items.slice(1)), null, "REDUCE"), d + 1);
          break;
        }
        case 0x62: { // BUILD
          const state = this.pop();
          if (this.st.length <= this.fence) this.underflow();
          this.build(this.st[this.st.length - 1], state);
          break;
        }
        case 0x50: case 0x51: // PERSID, BINPERSID
          throw new UnpicklingError("A load persistent id instruction was encountered,\nbut no persistent_load function was specified.");
        case 0x82: case 0x83: case 0x84: { // EXT1/2/4
          const n = op === 0x82 ? 1 : op === 0x83 ? 2 : 4;
          this.need(n);
          const code = this.buf.readUIntLE(this.pos, n);
          this.pos += n;
          throw new UnpicklingError(`unregistered extension code ${code}`);
        }
        default:
          throw new UnpicklingError(`invalid load key, '${loadKey(op)}'.`);
      }
    }

  }

  parseMemoIndex(line: string): number {
    if (!/^\d+$/.test(line) || line.length > 10) throw new UnpicklingError("memo key must be integers");
    return Number(line);
  }
}
