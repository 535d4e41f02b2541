// A manager's builtin referents (dict, list, Namespace, Value) kept in shared memory, so that a proxy's
// call runs in the calling thread instead of a round trip through the server thread (CPython's
// Lib/multiprocessing/managers.py makes one socket round trip per call; here most calls on these
// three types wake no other thread). Both sides use this file: clients (ManagerConnection) and
// the server (manager_server.ts, through Server's hooks).
//
// Layout: the manager's control SharedArrayBuffer (connection.ts) carries, after its control
// cells, a directory (slot -> ident of the referent it holds) and kSlots slots (small ones, and a
// few large ones that the server moves an object to when it outgrows a small one). A slot has a
// lock word, the referent's kind, a generation and two halves; the active half (generation & 1)
// holds records: first a snapshot of the referent (codec.ts bytes), then a log of the mutating
// calls made since (`[methodname, ...args]`). Every thread that uses the referent keeps a replica
// (the server's is the referent itself) and brings it up to date under the lock by replaying the
// records it has not seen, through the very methods the server runs (containers.ts dictMethods /
// listMethods, Namespace's): results, errors and ordering are the server's. A call then runs on
// the replica, appends its record (mutating calls) and publishes it with one store of the half's
// length; when the half is full, a snapshot goes into the other half and one store of the
// generation publishes it. A thread terminated mid-call therefore leaves nothing half-published,
// and the lock (semlock.ts ownedLock*) passes to the next thread when its holder has ended.
//
// Semantics kept as CPython's: arguments and results are copies (codec round trip, as the wire
// makes), errors are rebuilt as from '#ERROR'; calls the fast path does not cover (keyword
// arguments, non-plain values such as proxies or functions, iterators, other methods) go to the
// server, which first brings the referent up to date (Server.hooks.enter) and afterwards writes
// it back, or stops sharing it for good when it no longer fits or holds non-plain values.
// Differs from Python: no socket traffic for these calls; debug_info() may show a dict's state
// as of the last call the server itself served.

import { decode, encode } from "../shared/codec.js";
import { ownedLockAcquire, ownedLockRelease } from "../shared/semlock.js";
import { kindsByCallable, kinds, kMethodIds, kMethodNames, type Kind } from "./shared_referents/kinds.js";
import { BaseException } from "../shared/pyerrors.js";
import { flattenException, plain, rebuildException } from "./wire.js";

/** Where the heap starts in the control buffer (bytes: the control cells come first). */
export const kHeapOffset = 64;
// Two sizes of slot: an object starts in a small one and moves to a large one when it outgrows it.
const kSmallSlots = 64;
const kSmallBytes = 256 * 1024;
const kLargeSlots = 4;
const kLargeBytes = 4 * 1024 * 1024;
const kSlots = kSmallSlots + kLargeSlots;
const kDirBytes = 4096;
/** Bytes of the heap (virtual: pages are only committed once a slot uses them). */
export const kHeapBytes = kDirBytes + kSmallSlots * kSmallBytes + kLargeSlots * kLargeBytes;
const kSlotHeader = 64;

/** Byte offset of slot `s` in the control buffer. */
function slotStart(s: number): number {
  return kHeapOffset + kDirBytes + (s < kSmallSlots ? s * kSmallBytes : kSmallSlots * kSmallBytes + (s - kSmallSlots) * kLargeBytes);
}
/** Bytes of each half of slot `s`; a snapshot larger than half of it does not stay in the slot. */
function halfBytes(s: number): number {
  return ((s < kSmallSlots ? kSmallBytes : kLargeBytes) - kSlotHeader) / 2;
}
// Cells of a slot's header.
const cLock = 0;
const cWaiters = 1;
const cKind = 2;
const cGen = 3;
const cUsed = 4; // bytes of records in half h: cUsed + h

/** Replicas (and negative look-ups) a thread keeps per manager. */
const kMaxReplicas = 256;

const pad8 = (n: number): number => (n + 7) & ~7;

/** What a local call could not do: the caller sends the request to the server. */
export const kNotLocal: unique symbol = Symbol("notLocal");

/** A thread's copy of a shared referent (the server's is the referent itself). */
interface Replica {
  slot: number;
  hi: number;
  lo: number;
  kind: Kind;
  /** Generation and bytes of records this replica has applied (gen -1: reload). */
  gen: number;
  used: number;
  obj: any;
  server: boolean;
}

/** The two directory cells naming a referent (idents are 12 hex digits, Server's), or null. */
function identCells(ident: string): [number, number] | null {
  if (ident.length !== 12 || !/^[0-9a-f]{12}$/.test(ident)) return null;
  return [parseInt(ident.slice(0, 6), 16) + 1, parseInt(ident.slice(6), 16)];
}

function isPrimitive(v: unknown): boolean {
  return v === null || (typeof v !== "object" && typeof v !== "function" && typeof v !== "symbol");
}

/** True if the wire would carry `v` unchanged (it changes -0 and lone surrogates): no copy needed. */
function wireExact(v: unknown): boolean {
  switch (typeof v) {
    case "number":
      return !Object.is(v, -0);
    case "string":
      return (v as any).isWellFormed?.() ?? true;
    case "boolean":
    case "bigint":
    case "undefined":
      return true;
    default:
      return v === null;
  }
}

/** A copy, as the wire gives one (primitives are their own copy). */
function copy<T>(v: T): T {
  if (isPrimitive(v)) return v;
  const bytes = encode(v);
  return decode(bytes, 0, bytes.length) as T;
}

// A record is either codec.ts bytes of `[methodname, ...args]`, or, for the common calls whose
// arguments are numbers, strings, booleans, null or undefined, a compact form that skips the
// codec: kCompact, the method's index in kMethodNames, the argument count, then per argument a
// tag and its bytes (float64, or uint32 length + UTF-8).
const kCompact = 0xff;
const Arg = { Null: 0, Undefined: 1, False: 2, True: 3, Number: 4, String: 5 } as const;

/** Calls `fn(obj, ...args)` without spreading the common short argument lists. */
function apply(fn: (self: any, ...args: any[]) => unknown, obj: unknown, a: unknown[]): unknown {
  switch (a.length) {
    case 0:
      return fn(obj);
    case 1:
      return fn(obj, a[0]);
    case 2:
      return fn(obj, a[0], a[1]);
    default:
      return fn(obj, ...a);
  }
}

/** The heap of one manager, as one thread sees it. */
export class SharedHeap {
  readonly cells: Int32Array;
  readonly bytes: Buffer;
  #replicas = new Map<string, Replica | null>();

  constructor(sab: SharedArrayBuffer) {
    this.cells = new Int32Array(sab);
    this.bytes = Buffer.from(sab);
  }

  /** The heap carried by a manager's control cells, or null if they carry none. */
  static of(control: Int32Array): SharedHeap | null {
    const sab = control.buffer;
    return sab instanceof SharedArrayBuffer && sab.byteLength >= kHeapOffset + kHeapBytes ? new SharedHeap(sab) : null;
  }

  #dir(slot: number): number {
    return (kHeapOffset >> 2) + slot * 2;
  }
  #base(slot: number): number {
    return slotStart(slot) >> 2;
  }
  #half(slot: number, h: number): number {
    return slotStart(slot) + kSlotHeader + h * halfBytes(slot);
  }

  #find(ident: string): Replica | null {
    const id = identCells(ident);
    if (!id) return null;
    // Without the lock: the server names a slot in the directory only after filling it (kind,
    // snapshot), and a stale match (the slot freed and reused since) is caught under the lock (owns).
    for (let s = 0; s < kSlots; s++) {
      const d = this.#dir(s);
      if (Atomics.load(this.cells, d) === id[0] && Atomics.load(this.cells, d + 1) === id[1]) {
        const kind = kinds[Atomics.load(this.cells, this.#base(s) + cKind)];
        if (!kind) return null;
        return { slot: s, hi: id[0], lo: id[1], kind, gen: -1, used: 0, obj: null, server: false };
      }
    }
    return null;
  }

  lock(r: Replica): void {
    const b = this.#base(r.slot);
    ownedLockAcquire(this.cells, b + cLock, b + cWaiters);
  }
  unlock(r: Replica): void {
    const b = this.#base(r.slot);
    ownedLockRelease(this.cells, b + cLock, b + cWaiters);
  }
  /** True if the slot still holds r's referent (under the lock). */
  owns(r: Replica): boolean {
    const d = this.#dir(r.slot);
    return this.cells[d] === r.hi && this.cells[d + 1] === r.lo;
  }

  /** Reads the record at `off` of half `h`: [decoded, next offset]. */
  #record(slot: number, h: number, off: number): [unknown, number] {
    const at = this.#half(slot, h) + off; // 8-aligned: the length is one cell
    const len = this.cells[at >> 2]!;
    const next = off + 8 + pad8(len);
    const b = this.bytes;
    if (b[at + 8] !== kCompact) return [decode(b, at + 8, len), next];
    const out: unknown[] = [kMethodNames[b[at + 9]!]];
    let p = at + 11;
    for (let n = b[at + 10]!; n > 0; n--) {
      const tag = b[p++];
      if (tag === Arg.Number) {
        out.push(b.readDoubleLE(p));
        p += 8;
      } else if (tag === Arg.String) {
        const sl = b.readUInt32LE(p);
        out.push(b.toString("utf8", p + 4, p + 4 + sl));
        p += 4 + sl;
      } else {
        out.push(tag === Arg.Null ? null : tag === Arg.Undefined ? undefined : tag === Arg.True);
      }
    }
    return [out, next];
  }

  /** Writes codec bytes as a record at `off` of half `h` if they fit; returns the offset after it, or -1. */
  #write(slot: number, h: number, off: number, payload: Uint8Array): number {
    const end = off + 8 + pad8(payload.length);
    if (end > halfBytes(slot)) return -1;
    const at = this.#half(slot, h) + off;
    this.cells[at >> 2] = payload.length;
    this.bytes.set(payload, at + 8);
    return end;
  }

  /**
   * Writes `[methodname, ...args]` as a record at `off` of half `h`: compact when the arguments
   * allow, else codec bytes. Returns the offset after it, or -1 if it does not fit.
   */
  #writeCall(slot: number, h: number, off: number, methodname: string, args: unknown[]): number {
    const id = kMethodIds.get(methodname);
    const half = this.#half(slot, h);
    const size = halfBytes(slot);
    const at = half + off;
    const b = this.bytes;
    let p = at + 8;
    let compact = id !== undefined && args.length < 256 && p + 3 <= half + size;
    if (compact) {
      b[p++] = kCompact;
      b[p++] = id!;
      b[p++] = args.length;
      for (let i = 0; i < args.length && compact; i++) {
        const v = args[i];
        if (typeof v === "number") {
          if (p + 9 > half + size) compact = false;
          else {
            b[p] = Arg.Number;
            b.writeDoubleLE(v, p + 1);
            p += 9;
          }
        } else if (typeof v === "string") {
          if (p + 5 + v.length * 3 > half + size) compact = false;
          else {
            b[p] = Arg.String;
            const n = b.write(v, p + 5, "utf8");
            b.writeUInt32LE(n, p + 1);
            p += 5 + n;
          }
        } else if (v === null || v === undefined || typeof v === "boolean") {
          b[p++] = v === null ? Arg.Null : v === undefined ? Arg.Undefined : v ? Arg.True : Arg.False;
        } else {
          compact = false;
        }
      }
    }
    if (!compact) return this.#write(slot, h, off, encode([methodname, ...args]));
    const len = p - (at + 8);
    const end = off + 8 + pad8(len);
    if (end > size) return -1;
    this.cells[at >> 2] = len;
    return end;
  }

  /** Brings a replica up to date with the published records (under the lock). */
  catchUp(r: Replica): void {
    const b = this.#base(r.slot);
    // Atomic loads pairing with the publishing stores, so that what a holder published just before
    // it was terminated (its lock taken over, not released) is seen with the bytes it published.
    const gen = Atomics.load(this.cells, b + cGen);
    const h = gen & 1;
    const used = Atomics.load(this.cells, b + cUsed + h);
    if (r.gen !== gen) {
      const [snap, next] = this.#record(r.slot, h, 0);
      const fresh = r.kind.fresh(snap);
      if (r.server) r.kind.reset(r.obj, fresh);
      else r.obj = fresh;
      r.gen = gen;
      r.used = next;
    }
    while (r.used < used) {
      const [rec, next] = this.#record(r.slot, h, r.used);
      const [name, ...args] = rec as [string, ...unknown[]];
      try {
        apply(r.kind.methods[name]!, r.obj, args);
      } catch {
        // The call that logged it raised the same, after the same changes.
      }
      r.used = next;
    }
  }

  /** Publishes a snapshot of the replica in the other half (under the lock); false if too large. */
  compact(r: Replica): boolean {
    const snap = r.kind.snapshot(r.obj);
    if (!plain(snap)) return false;
    const bytes = encode(snap);
    if (8 + pad8(bytes.length) > halfBytes(r.slot) / 2) return false;
    const b = this.#base(r.slot);
    const gen = (Atomics.load(this.cells, b + cGen) + 1) | 0;
    const end = this.#write(r.slot, gen & 1, 0, bytes);
    Atomics.store(this.cells, b + cUsed + (gen & 1), end);
    // The one store that publishes the new half: a thread that ends before it leaves the old one.
    Atomics.store(this.cells, b + cGen, gen);
    r.gen = gen;
    r.used = end;
    return true;
  }

  /**
   * Runs `methodname(...args)` on a shared referent in this thread: its result (a copy), or
   * throws the referent's error; kNotLocal when the server must serve the call.
   */
  call(ident: string, methodname: string, args: unknown[]): unknown {
    let r = this.#replicas.get(ident);
    if (r === undefined) {
      // Replicas of referents this thread no longer uses would stay: the cache is bounded (a
      // dropped replica reloads from the snapshot when used again).
      if (this.#replicas.size >= kMaxReplicas) this.#replicas.clear();
      r = this.#find(ident);
      this.#replicas.set(ident, r);
    }
    if (r === null) return kNotLocal;
    const kind = r.kind;
    const role = kind.role!.get(methodname);
    if (role === undefined) return kNotLocal;
    const readonly = role === 1;
    let a = args;
    for (let i = 0; i < args.length; i++) {
      if (wireExact(args[i])) continue;
      if (!plain(args)) return kNotLocal;
      a = copy(args);
      break;
    }
    if (kind.refuse?.(a)) return kNotLocal;
    this.lock(r);
    try {
      if (!this.owns(r)) {
        // Moved to a larger slot, or no longer shared: looked up again at the next call.
        this.#replicas.delete(ident);
        return kNotLocal;
      }
      this.catchUp(r);
      let end = -1;
      let h = 0;
      if (!readonly) {
        // The record goes in before the call runs (the call may keep its arguments), published after.
        h = r.gen & 1;
        end = this.#writeCall(r.slot, h, r.used, methodname, a);
      }
      let result: unknown;
      let error: unknown;
      let threw = false;
      try {
        result = apply(kind.methods[methodname]!, r.obj, a);
      } catch (e) {
        threw = true;
        error = e;
      }
      if (threw && !(error instanceof BaseException)) {
        // Not one of Python's errors (a RangeError of a spread too large for this thread's
        // stack, a JavaScript TypeError): the server's own path decides, as before sharing.
        if (!readonly) r.gen = -1;
        return kNotLocal;
      }
      if (!readonly) {
        if (end >= 0 && !kind.heavy?.(r.obj, methodname, a)) {
          // The one store that publishes the record.
          Atomics.store(this.cells, this.#base(r.slot) + cUsed + h, end);
          r.used = end;
        } else if (!this.compact(r)) {
          // Too large to stay shared: this replica ran a call nobody will see; the server runs it.
          r.gen = -1;
          return kNotLocal;
        }
      }
      if (threw) throw rebuildException(copy(flattenException(error)));
      return copy(result);
    } finally {
      this.unlock(r);
    }
  }
}

/** Methods that read a referent without keeping it (the server's fallbacks). */
const kPureFallbacks = new Set(["__repr__", "__str__", "#GETVALUE"]);

/** The server's side: which referents are shared, and the hooks Server calls (managers/server.ts). */
export class HeapServer {
  readonly #heap: SharedHeap;
  readonly #registry: Record<string, [unknown, string[] | null, Record<string, string> | null]>;
  readonly #freeSmall: number[] = [];
  readonly #freeLarge: number[] = [];
  readonly #shared = new Map<string, Replica>();

  constructor(heap: SharedHeap, registry: Record<string, [unknown, string[] | null, Record<string, string> | null]>) {
    this.#heap = heap;
    this.#registry = registry;
    for (let s = kSmallSlots - 1; s >= 0; s--) this.#freeSmall.push(s);
    for (let s = kSlots - 1; s >= kSmallSlots; s--) this.#freeLarge.push(s);
  }

  /**
   * Puts the referent in a free slot (a small one if it fits, else a large one): its snapshot,
   * then its name in the directory. Returns false if no free slot holds it.
   */
  #place(r: Replica, smallToo: boolean): boolean {
    const heap = this.#heap;
    for (const free of smallToo ? [this.#freeSmall, this.#freeLarge] : [this.#freeLarge]) {
      const slot = free.pop();
      if (slot === undefined) continue;
      const old = r.slot;
      r.slot = slot;
      heap.lock(r);
      let placed = false;
      try {
        heap.cells[this.#cell(slot, cKind)] = r.kind.id;
        placed = heap.compact(r);
        if (placed) {
          // Named in the directory last: a client finds the slot only once it holds the referent.
          const d = (kHeapOffset >> 2) + slot * 2;
          Atomics.store(heap.cells, d + 1, r.lo);
          Atomics.store(heap.cells, d, r.hi);
        }
      } finally {
        heap.unlock(r);
      }
      if (placed) return true;
      free.push(slot);
      r.slot = old;
    }
    return false;
  }

  #cell(slot: number, cell: number): number {
    return (slotStart(slot) >> 2) + cell;
  }

  #release(slot: number): void {
    (slot < kSmallSlots ? this.#freeSmall : this.#freeLarge).push(slot);
  }

  /** A referent was registered: shares it if it is a builtin dict, list, Namespace or Value that fits. */
  registered(ident: string, typeid: string, obj: unknown, exposed: string[]): void {
    const callable = this.#registry[typeid]?.[0];
    const kind = typeof callable === "string" ? kindsByCallable[callable] : undefined;
    if (!kind) return;
    if (!(obj instanceof kind.type)) return;
    // Every method run here must be exposed, and `__repr__` must not be (the server then answers
    // it with its fallback, repr(obj), which is what runs here).
    for (const m of kind.role!.keys()) if (exposed.includes(m) !== !kPureFallbacks.has(m)) return;
    const id = identCells(ident);
    if (!id) return;
    const r: Replica = { slot: -1, hi: id[0], lo: id[1], kind, gen: -1, used: 0, obj, server: true };
    if (this.#place(r, true)) this.#shared.set(ident, r);
  }

  /** A call on `ident` is served here: the referent is brought up to date first; returns what to run after. */
  enter(ident: string, methodname: string): (() => void) | undefined {
    const r = this.#shared.get(ident);
    if (!r) return undefined;
    const heap = this.#heap;
    heap.lock(r);
    heap.catchUp(r);
    const slot = r.slot;
    return () => {
      try {
        if (r.kind.readonly.has(methodname) || kPureFallbacks.has(methodname)) return;
        // A call that may keep the referent (an iterator over it) ends the sharing: from now on
        // the server's referent is the one copy. So does one that made it too large for any slot.
        if (!r.kind.mutating.has(methodname)) this.#unshare(ident, r);
        else if (!heap.compact(r)) {
          if (slot < kSmallSlots && this.#place(r, false)) this.#clear(slot);
          else this.#unshare(ident, r);
        }
      } finally {
        heap.unlock({ ...r, slot });
      }
    };
  }

  /** The referent `ident` is gone (or only a proxy stored in the server still names it). */
  released(ident: string): void {
    const r = this.#shared.get(ident);
    if (!r) return;
    this.#heap.lock(r);
    try {
      this.#heap.catchUp(r);
      this.#unshare(ident, r);
    } finally {
      this.#heap.unlock(r);
    }
  }

  /** Stops sharing (under the lock): clients find the slot no longer names the referent. */
  #unshare(ident: string, r: Replica): void {
    this.#clear(r.slot);
    this.#shared.delete(ident);
  }

  /** Clears a slot's name in the directory (under its lock) and frees it. */
  #clear(slot: number): void {
    const d = (kHeapOffset >> 2) + slot * 2;
    Atomics.store(this.#heap.cells, d, 0);
    Atomics.store(this.#heap.cells, d + 1, 0);
    this.#release(slot);
  }
}
