// The unpickler of CPython's Modules/_pickle.c (load() and the load_* of every opcode of
// protocols 0-5) for JavaScript, allowlist-only: a global is looked up in globals.ts, never
// imported. Iterative (no recursion), linear in the input, and every length is checked against
// the bytes that remain before anything is allocated.

import { isTuple, kTuple } from "../format.js";
import { BaseException, EOFError, ValueError } from "../pyerrors.js";
import { PickleError, UnpicklingError } from "./errors.js";
import { float as pyFloat, PyFloat } from "./float.js";
import { entryOfValue, findGlobal, setAttributes, type GlobalEntry, type GlobalHandlers } from "./globals.js";
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

/** The Python type name of a value, for error messages. */
function pyType(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  switch (typeof v) {
    case "boolean": return "bool";
    case "number": return Number.isInteger(v) ? "int" : "float";
    case "bigint": return "int";
    case "string": return "str";
  }
  if (Array.isArray(v)) return isTuple(v) ? "tuple" : "list";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  if (v instanceof PyFloat) return "float";
  if (typeof v === "function") return "type";
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return "dict";
  return (v as any).constructor?.name ?? "object";
}

function truncated(): never {
  throw new UnpicklingError("pickle data was truncated");
}

/** Unpickles `data`. */
export function load(input: Uint8Array, options: PickleLoadOptions = {}): unknown {
  const maxBytes = options.maxBytes ?? Infinity;
  if (input.length > maxBytes) throw new UnpicklingError(`pickle data of ${input.length} bytes exceeds maxBytes (${maxBytes})`);
  const maxDepth = options.maxDepth ?? 1000;
  const maxIntDigits = options.maxIntDigits ?? 1_000_000;
  const maxMemo = options.maxMemo ?? 10_000_000;
  const extra = options.globals;
  const buf = (Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)) as FastBuffer;
  const end = buf.length;
  let pos = 0;
  let proto = 0;

  const st: unknown[] = [];
  const ds: number[] = []; // nesting depth of each stack value (0 for scalars)
  const marks: number[] = [];
  let fence = 0;
  // The memo: an array (an unset slot is undefined; no value on the stack is ever undefined).
  const memo: unknown[] = [];
  const memoDepth: number[] = [];
  let memoCount = 0;
  // Dicts are plain objects until a non-str key arrives; then they become Maps (see toMap).
  const dicts = new Set<object>();
  let dictMemo: Map<object, number[]> | undefined;
  let shared: Set<object> | undefined; // dicts pushed a second time (GET, DUP) before becoming Maps
  let replaced: Map<object, Map<unknown, unknown>> | undefined;
  let fixup = false;
  let made: Map<object, GlobalEntry> | undefined; // objects built by a global (BUILD needs its handlers)

  const need = (n: number): void => {
    if (n > end - pos) truncated();
  };
  const underflow = (): never => {
    throw new UnpicklingError(marks.length > 0 ? "unexpected MARK found" : "unpickling stack underflow");
  };
  const push = (v: unknown, d: number): void => {
    if (d > maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${maxDepth})`);
    st.push(v);
    ds.push(d);
  };
  const pop = (): unknown => {
    if (st.length <= fence) underflow();
    ds.pop();
    return st.pop();
  };
  const popMark = (): number => {
    if (marks.length === 0) throw new UnpicklingError("could not find MARK");
    const m = marks.pop()!;
    fence = marks.length > 0 ? marks[marks.length - 1]! : 0;
    return m;
  };
  // The items since the topmost MARK, and their deepest nesting.
  const popItems = (): [unknown[], number] => {
    const m = popMark();
    const items = st.splice(m);
    let d = 0;
    for (const x of ds.splice(m)) if (x > d) d = x;
    return [items, d];
  };
  const readLine = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0 || nl >= end) truncated();
    const s = buf.latin1Slice(pos, nl);
    pos = nl + 1;
    return s;
  };
  const u32 = (): number => {
    need(4);
    const n = buf.readUInt32LE(pos);
    pos += 4;
    return n;
  };
  const u64 = (): number => {
    need(8);
    const lo = buf.readUInt32LE(pos);
    const hi = buf.readUInt32LE(pos + 4);
    pos += 8;
    if (hi > 0x1fffff) truncated();
    return hi * 0x100000000 + lo;
  };
  const take = (n: number): [number, number] => {
    need(n);
    const s = pos;
    pos += n;
    return [s, pos];
  };
  const checkDigits = (digits: number): void => {
    if (digits > maxIntDigits) throw new UnpicklingError(`int of about ${Math.ceil(digits)} digits exceeds maxIntDigits (${maxIntDigits})`);
  };
  const intValue = (v: bigint): number | bigint => (v >= -0x1fffffffffffffn && v <= 0x1fffffffffffffn ? Number(v) : v);
  const decodeLong = (s: number, n: number): number | bigint => {
    if (n === 0) return 0;
    checkDigits(n * DIGITS_PER_BYTE);
    if (n <= 6) return buf.readIntLE(s, n);
    let v = BigInt("0x" + Buffer.from(buf.subarray(s, s + n)).reverse().toString("hex"));
    if (buf[s + n - 1]! & 0x80) v -= 1n << BigInt(n * 8);
    return intValue(v);
  };
  const parseInt10 = (text: string): number | bigint => {
    const t = text.trim().replace(/_/g, "");
    if (!/^[+-]?\d+$/.test(t)) throw new UnpicklingError(`invalid literal for int() with base 10: '${text}'`);
    checkDigits(t.replace(/^[+-]/, "").length);
    return intValue(BigInt(t));
  };
  const floatValue = (v: number): number | PyFloat => (Number.isInteger(v) && !Object.is(v, -0) ? new PyFloat(v) : v);
  const key = (k: unknown): unknown => (k instanceof PyFloat ? k.valueOf() : k);
  const ascii = (s: number, e: number): string => {
    for (let i = s; i < e; i++) {
      if (buf[i]! > 0x7f) throw new UnpicklingError(`'ascii' codec can't decode byte 0x${buf[i]!.toString(16)} in position ${i - s}: ordinal not in range(128)`);
    }
    return buf.latin1Slice(s, e);
  };

  const toMap = (d: object): Map<unknown, unknown> => {
    const m = new Map<unknown, unknown>(Object.entries(d));
    dicts.delete(d);
    // The dict being filled is the top of the stack (SETITEM/SETITEMS); other copies are `shared`.
    if (st[st.length - 1] === d) st[st.length - 1] = m;
    for (const idx of dictMemo?.get(d) ?? []) memo[idx] = m;
    (replaced ??= new Map()).set(d, m);
    if (shared?.has(d)) fixup = true;
    return m;
  };
  const setItem = (target: unknown, k: unknown, v: unknown): unknown => {
    if (target instanceof Map) {
      target.set(key(k), v);
      return target;
    }
    if (replaced !== undefined && replaced.has(target as object)) return setItem(replaced.get(target as object), k, v);
    if (!dicts.has(target as object)) throw new UnpicklingError(`'${pyType(target)}' object does not support item assignment`);
    if (typeof k === "string") {
      if (k === "__proto__") Object.defineProperty(target, k, { value: v, writable: true, enumerable: true, configurable: true });
      else (target as any)[k] = v;
      return target;
    }
    if (k !== null && typeof k === "object" && !(k instanceof PyFloat) && !isTuple(k) && !(k instanceof Uint8Array)) {
      throw new UnpicklingError(`unhashable type: '${pyType(k)}'`);
    }
    return setItem(toMap(target as object), k, v);
  };
  const listTarget = (t: unknown): unknown[] => {
    if (Array.isArray(t) && !isTuple(t)) return t;
    throw new UnpicklingError(`'${pyType(t)}' object has no attribute 'append'`);
  };
  const callEntry = (callable: unknown, args: unknown, kwargs: Record<string, unknown> | null, opname: string): unknown => {
    if (!isTuple(args)) throw new UnpicklingError(opname === "REDUCE" ? "argument list must be a tuple" : `${opname} args must be a tuple`);
    const entry = entryOfValue(callable, extra);
    const h = entry?.handlers;
    const fn = opname === "REDUCE" ? h?.call : h?.newobj ?? h?.call;
    if (!entry || !fn) throw new UnpicklingError(entry ? `global '${entry.module}.${entry.name}' cannot be called from a pickle` : `'${pyType(callable)}' object is not callable`);
    let obj: unknown;
    try {
      obj = opname === "REDUCE" ? (fn as (a: unknown[]) => unknown)(args as unknown[]) : (fn as (a: unknown[], k: Record<string, unknown>) => unknown)(args as unknown[], kwargs ?? {});
    } catch (e) {
      if (e instanceof BaseException) throw e;
      throw new UnpicklingError(`${entry.module}.${entry.name}(...) failed: ${(e as Error)?.message ?? e}`);
    }
    if (obj !== null && (typeof obj === "object" || typeof obj === "function")) (made ??= new Map()).set(obj, entry);
    return obj;
  };
  const build = (obj: unknown, state: unknown): void => {
    const entry = obj !== null && typeof obj === "object" ? made?.get(obj) : undefined;
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
      if (e instanceof BaseException) throw e;
      throw new UnpicklingError(`${entry.module}.${entry.name}.__setstate__ failed: ${(e as Error)?.message ?? e}`);
    }
  };
  const memoPut = (idx: number): void => {
    if (st.length <= fence) underflow();
    if (memo[idx] === undefined) {
      if (memoCount >= maxMemo) throw new UnpicklingError(`memo larger than maxMemo (${maxMemo})`);
      memoCount++;
    }
    const v = st[st.length - 1];
    memo[idx] = v;
    memoDepth[idx] = ds[ds.length - 1]!;
    if (v !== null && typeof v === "object" && dicts.has(v)) {
      dictMemo ??= new Map();
      const l = dictMemo.get(v);
      if (l) l.push(idx);
      else dictMemo.set(v, [idx]);
    }
  };
  const memoGet = (idx: number): void => {
    const v = memo[idx];
    if (v === undefined) throw new UnpicklingError(`Memo value not found at index ${idx}`);
    if (v !== null && typeof v === "object" && dicts.has(v)) (shared ??= new Set()).add(v);
    push(v, memoDepth[idx]!);
  };
  const str = (s: number, e: number): void => push(decodeUtf8(buf, s, e), 0);
  const bytes = (s: number, e: number): void => push(Buffer.from(buf.subarray(s, e)), 0);

  for (;;) {
    if (pos >= end) throw new EOFError("Ran out of input");
    const op = buf[pos++]!;
    switch (op) {
      case 0x80: { // PROTO
        need(1);
        proto = buf[pos++]!;
        if (proto > 5) throw new ValueError(`unsupported pickle protocol: ${proto}`);
        break;
      }
      case 0x95: { // FRAME: only checks that the frame's bytes are there, as _pickle.c does
        const n = u64();
        need(n);
        break;
      }
      case 0x2e: { // STOP
        const v = pop();
        return fixup ? replaceAll(v, replaced!) : v;
      }
      case 0x28: // MARK
        marks.push(st.length);
        fence = st.length;
        break;
      case 0x30: // POP
        if (st.length > fence) {
          st.pop();
          ds.pop();
        } else if (marks.length > 0) popMark();
        else underflow();
        break;
      case 0x31: { // POP_MARK
        const m = popMark();
        st.length = m;
        ds.length = m;
        break;
      }
      case 0x32: { // DUP
        if (st.length <= fence) underflow();
        const v = st[st.length - 1];
        if (v !== null && typeof v === "object" && dicts.has(v)) (shared ??= new Set()).add(v);
        push(v, ds[ds.length - 1]!);
        break;
      }
      case 0x4e: push(null, 0); break; // NONE
      case 0x88: push(true, 0); break; // NEWTRUE
      case 0x89: push(false, 0); break; // NEWFALSE
      case 0x4b: need(1); push(buf[pos++]!, 0); break; // BININT1
      case 0x4d: need(2); push(buf.readUInt16LE(pos), 0); pos += 2; break; // BININT2
      case 0x4a: need(4); push(buf.readInt32LE(pos), 0); pos += 4; break; // BININT
      case 0x8a: { // LONG1
        need(1);
        const n = buf[pos++]!;
        const [s] = take(n);
        push(decodeLong(s, n), 0);
        break;
      }
      case 0x8b: { // LONG4
        need(4);
        const n = buf.readInt32LE(pos);
        pos += 4;
        if (n < 0) throw new UnpicklingError("LONG pickle has negative byte count");
        checkDigits(n * DIGITS_PER_BYTE);
        const [s] = take(n);
        push(decodeLong(s, n), 0);
        break;
      }
      case 0x49: { // INT (text): I01/I00 are the booleans of protocol 0
        const line = readLine();
        if (line === "01") push(true, 0);
        else if (line === "00") push(false, 0);
        else push(parseInt10(line), 0);
        break;
      }
      case 0x4c: { // LONG (text)
        const line = readLine();
        push(parseInt10(line.endsWith("L") ? line.slice(0, -1) : line), 0);
        break;
      }
      case 0x46: { // FLOAT (text)
        const line = readLine();
        let v: number;
        try {
          v = pyFloat(line).valueOf();
        } catch {
          throw new UnpicklingError(`could not convert string to float: '${line}'`);
        }
        push(floatValue(v), 0);
        break;
      }
      case 0x47: need(8); push(floatValue(buf.readDoubleBE(pos)), 0); pos += 8; break; // BINFLOAT
      case 0x8c: { need(1); const n = buf[pos++]!; const [s, e] = take(n); str(s, e); break; } // SHORT_BINUNICODE
      case 0x58: { const n = u32(); const [s, e] = take(n); str(s, e); break; } // BINUNICODE
      case 0x8d: { const n = u64(); const [s, e] = take(n); str(s, e); break; } // BINUNICODE8
      case 0x56: { // UNICODE (raw-unicode-escape text)
        const line = readLine();
        push(line.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) => {
          const cp = parseInt(a ?? b!, 16);
          if (cp > 0x10ffff) throw new UnpicklingError("'rawunicodeescape' codec can't decode bytes: \\Uxxxxxxxx out of range");
          return String.fromCodePoint(cp);
        }), 0);
        break;
      }
      case 0x53: { // STRING (quoted, escaped, then decoded as ASCII)
        const line = readLine();
        const q = line[0];
        if (line.length < 2 || (q !== "'" && q !== '"') || line[line.length - 1] !== q) throw new UnpicklingError("the STRING opcode argument must be quoted");
        const raw = Buffer.from(unescapeBytes(line.slice(1, -1)), "latin1");
        for (let i = 0; i < raw.length; i++) if (raw[i]! > 0x7f) throw new UnpicklingError(`'ascii' codec can't decode byte 0x${raw[i]!.toString(16)} in position ${i}: ordinal not in range(128)`);
        push(raw.toString("latin1"), 0);
        break;
      }
      case 0x54: { // BINSTRING
        need(4);
        const n = buf.readInt32LE(pos);
        pos += 4;
        if (n < 0) throw new UnpicklingError("BINSTRING pickle has negative byte count");
        const [s, e] = take(n);
        push(ascii(s, e), 0);
        break;
      }
      case 0x55: { need(1); const n = buf[pos++]!; const [s, e] = take(n); push(ascii(s, e), 0); break; } // SHORT_BINSTRING
      case 0x43: { need(1); const n = buf[pos++]!; const [s, e] = take(n); bytes(s, e); break; } // SHORT_BINBYTES
      case 0x42: { const n = u32(); const [s, e] = take(n); bytes(s, e); break; } // BINBYTES
      case 0x8e: { const n = u64(); const [s, e] = take(n); bytes(s, e); break; } // BINBYTES8
      case 0x96: { const n = u64(); const [s, e] = take(n); bytes(s, e); break; } // BYTEARRAY8
      case 0x97: // NEXT_BUFFER
        throw new UnpicklingError("pickle stream refers to out-of-band data but no *buffers* argument was given");
      case 0x98: // READONLY_BUFFER
        if (st.length <= fence) underflow();
        break;
      case 0x29: push(markTuple([]), 1); break; // EMPTY_TUPLE
      case 0x85: case 0x86: case 0x87: { // TUPLE1/2/3
        const n = op - 0x84;
        if (st.length - n < fence) underflow();
        const items = st.splice(st.length - n);
        let d = 0;
        for (const x of ds.splice(ds.length - n)) if (x > d) d = x;
        push(markTuple(items), d + 1);
        break;
      }
      case 0x74: { const [items, d] = popItems(); push(markTuple(items), d + 1); break; } // TUPLE
      case 0x5d: push([], 1); break; // EMPTY_LIST
      case 0x6c: { const [items, d] = popItems(); push(items, d + 1); break; } // LIST
      case 0x61: { // APPEND
        const d = ds[ds.length - 1]!;
        const v = pop();
        if (st.length <= fence) underflow();
        listTarget(st[st.length - 1]).push(v);
        if (d + 1 > ds[ds.length - 1]!) ds[ds.length - 1] = d + 1;
        if (d + 1 > maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${maxDepth})`);
        break;
      }
      case 0x65: { // APPENDS
        const [items, d] = popItems();
        if (st.length <= fence) underflow();
        const list = listTarget(st[st.length - 1]);
        for (const x of items) list.push(x);
        if (d + 1 > ds[ds.length - 1]!) ds[ds.length - 1] = d + 1;
        if (d + 1 > maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${maxDepth})`);
        break;
      }
      case 0x7d: { const o = {}; dicts.add(o); push(o, 1); break; } // EMPTY_DICT
      case 0x64: { // DICT
        const [items, d] = popItems();
        let o: unknown = {};
        dicts.add(o as object);
        for (let i = 0; i + 1 < items.length; i += 2) o = setItem(o, items[i], items[i + 1]);
        push(o, d + 1);
        break;
      }
      case 0x73: { // SETITEM
        const dv = ds[ds.length - 1]!;
        const v = pop();
        const k = pop();
        if (st.length <= fence) underflow();
        setItem(st[st.length - 1], k, v);
        if (dv + 1 > ds[ds.length - 1]!) ds[ds.length - 1] = dv + 1;
        if (dv + 1 > maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${maxDepth})`);
        break;
      }
      case 0x75: { // SETITEMS
        const [items, d] = popItems();
        if (st.length <= fence) underflow();
        let target = st[st.length - 1];
        for (let i = 0; i + 1 < items.length; i += 2) target = setItem(target, items[i], items[i + 1]);
        if (d + 1 > ds[ds.length - 1]!) ds[ds.length - 1] = d + 1;
        if (d + 1 > maxDepth) throw new UnpicklingError(`nesting deeper than maxDepth (${maxDepth})`);
        break;
      }
      case 0x8f: push(new Set(), 1); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const [items, d] = popItems();
        if (st.length <= fence) underflow();
        const s = st[st.length - 1];
        if (!(s instanceof Set)) throw new UnpicklingError(`'${pyType(s)}' object has no attribute 'add'`);
        for (const x of items) s.add(key(x));
        if (d + 1 > ds[ds.length - 1]!) ds[ds.length - 1] = d + 1;
        break;
      }
      case 0x91: { const [items, d] = popItems(); push(new Set(items.map(key)), d + 1); break; } // FROZENSET
      case 0x70: memoPut(parseMemoIndex(readLine())); break; // PUT
      case 0x71: need(1); memoPut(buf[pos++]!); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x94: memoPut(memoCount); break; // MEMOIZE
      case 0x67: memoGet(parseMemoIndex(readLine())); break; // GET
      case 0x68: need(1); memoGet(buf[pos++]!); break; // BINGET
      case 0x6a: memoGet(u32()); break; // LONG_BINGET
      case 0x63: { // GLOBAL
        const module = readLine();
        const name = readLine();
        push(findGlobal(module, name, proto, extra).value, 0);
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof name !== "string" || typeof module !== "string") throw new UnpicklingError("STACK_GLOBAL requires str");
        push(findGlobal(module, name, proto, extra).value, 0);
        break;
      }
      case 0x52: { // REDUCE
        const d = ds[ds.length - 1]!;
        const args = pop();
        const callable = pop();
        push(callEntry(callable, args, null, "REDUCE"), d);
        break;
      }
      case 0x81: { // NEWOBJ
        const d = ds[ds.length - 1]!;
        const args = pop();
        const cls = pop();
        push(callEntry(cls, args, null, "NEWOBJ"), d);
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const d = ds[ds.length - 1]!;
        const args = pop();
        const cls = pop();
        if (kwargs === null || typeof kwargs !== "object" || !dicts.has(kwargs)) throw new UnpicklingError(`NEWOBJ_EX kwargs must be a dict, not ${pyType(kwargs)}`);
        push(callEntry(cls, args, kwargs as Record<string, unknown>, "NEWOBJ_EX"), d);
        break;
      }
      case 0x69: { // INST
        const module = readLine();
        const name = readLine();
        const cls = findGlobal(module, name, proto, extra).value;
        const [items, d] = popItems();
        push(callEntry(cls, markTuple(items), null, "REDUCE"), d + 1);
        break;
      }
      case 0x6f: { // OBJ
        const [items, d] = popItems();
        if (items.length === 0) underflow();
        push(callEntry(items[0], markTuple(items.slice(1)), null, "REDUCE"), d + 1);
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        if (st.length <= fence) underflow();
        build(st[st.length - 1], state);
        break;
      }
      case 0x50: case 0x51: // PERSID, BINPERSID
        throw new UnpicklingError("A load persistent id instruction was encountered,\nbut no persistent_load function was specified.");
      case 0x82: case 0x83: case 0x84: { // EXT1/2/4
        const n = op === 0x82 ? 1 : op === 0x83 ? 2 : 4;
        need(n);
        const code = buf.readUIntLE(pos, n);
        pos += n;
        throw new UnpicklingError(`unregistered extension code ${code}`);
      }
      default:
        throw new UnpicklingError(`invalid load key, '${loadKey(op)}'.`);
    }
  }

  function parseMemoIndex(line: string): number {
    if (!/^\d+$/.test(line) || line.length > 10) throw new UnpicklingError("memo key must be integers");
    return Number(line);
  }
}

function loadKey(op: number): string {
  if (op >= 0x20 && op < 0x7f) return String.fromCharCode(op);
  return "\\x" + op.toString(16).padStart(2, "0");
}

// Python's escape_decode for the STRING opcode: \\ \' \" \n \r \t \a \b \f \v \xhh \ooo.
function unescapeBytes(s: string): string {
  const simple: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b", f: "\f", v: "\v", "\n": "" };
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.|\n)?/g, (m, e: string | undefined) => {
    if (e === undefined) throw new UnpicklingError("Trailing \\ in string");
    if (e in simple) return simple[e]!;
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return m;
  });
}

// A dict that became a Map after a second reference to it was handed out: swap every reference
// in the result (iteratively, each container once).
function replaceAll(root: unknown, replaced: Map<object, Map<unknown, unknown>>): unknown {
  const sub = (v: unknown): unknown => (v !== null && typeof v === "object" && replaced.has(v) ? replaced.get(v) : v);
  const seen = new Set<object>();
  const todo: unknown[] = [sub(root)];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v === null || typeof v !== "object" || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) todo.push((v[i] = sub(v[i])));
    } else if (v instanceof Map) {
      for (const [k, x] of v) {
        const y = sub(x);
        if (y !== x) v.set(k, y);
        todo.push(y);
      }
    } else if (v instanceof Set || ArrayBuffer.isView(v) || v instanceof PyFloat) {
      continue;
    } else {
      for (const k of Object.keys(v)) {
        const x = (v as any)[k];
        const y = sub(x);
        if (y !== x) Object.defineProperty(v, k, { value: y, writable: true, enumerable: true, configurable: true });
        todo.push(y);
      }
      if (v instanceof BaseException) todo.push(v.args);
    }
  }
  return sub(root);
}

export { PickleError };
