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
// and the lock (semlock.ts ownedLock*) passes to the next thread when its holder has ended. A
// read-only call whose replica is already up to date (the lock free, nothing published since)
// skips the lock. Records are written and read by shared_referents/records.ts.
//
// Semantics kept as CPython's: arguments and results are copies (codec round trip, as the wire
// makes), errors are rebuilt as from '#ERROR'; calls the fast path does not cover (keyword
// arguments, non-plain values such as proxies or functions, iterators, other methods) go to the
// server, which first brings the referent up to date (Server.hooks.enter) and afterwards writes
// it back, or stops sharing it for good when it no longer fits or holds non-plain values.
// Differs from Python: no socket traffic for these calls; debug_info() may show a dict's state
// as of the last call the server itself served.

import { decode, encode } from "../shared/codec.js";
import { osThreadId, ownedLockAcquire, ownedLockRelease } from "../shared/semlock.js";
import { kindsByCallable, kinds, type Kind } from "./shared_referents/kinds.js";
import { pad8, readRecord, writeBytes, writeCompact, type RecordViews } from "./shared_referents/records.js";
import { BaseException } from "../shared/pyerrors.js";
import { flattenException, plain, rebuildException } from "./wire.js";
import { referentSignature } from "./signatures.js";

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

/** What a local call could not do: the caller sends the request to the server. */
export const kNotLocal: unique symbol = Symbol("notLocal");

/** A thread's copy of a shared referent (the server's is the referent itself). */
interface Replica {
  slot: number;
  /** Cell of the slot's header, byte where its half 0 starts, bytes of a half (from the slot). */
  base: number;
  start: number;
  size: number;
  hi: number;
  lo: number;
  kind: Kind;
  /** Generation and bytes of records this replica has applied (gen -1: reload). */
  gen: number;
  used: number;
  obj: any;
  server: boolean;
}

/** A replica of the referent named (hi, lo) in `slot`, not loaded yet. */
function replica(slot: number, hi: number, lo: number, kind: Kind, obj: unknown, server: boolean): Replica {
  const r: Replica = { slot: -1, base: 0, start: 0, size: 0, hi, lo, kind, gen: -1, used: 0, obj, server };
  if (slot >= 0) moveTo(r, slot);
  return r;
}
/** Points a replica at `slot`. */
function moveTo(r: Replica, slot: number): void {
  r.slot = slot;
  r.base = slotStart(slot) >> 2;
  r.start = slotStart(slot) + kSlotHeader;
  r.size = halfBytes(slot);
}

/** The two directory cells naming a referent (idents are 12 hex digits, Server's), or null. */
function identCells(ident: string): [number, number] | null {
  if (ident.length !== 12 || !/^[0-9a-f]{12}$/.test(ident)) return null;
  return [parseInt(ident.slice(0, 6), 16) + 1, parseInt(ident.slice(6), 16)];
}

/** True if the wire would carry `v` unchanged (it changes -0 and lone surrogates): no copy needed. */
function wireExact(v: unknown): boolean {
  switch (typeof v) {
    case "number":
      return v !== 0 || 1 / v > 0;
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
  if (v === null || typeof v !== "object") return v;
  const bytes = encode(v);
  return decode(bytes, 0, bytes.length) as T;
}

/**
 * Calls `fn(obj, ...a.slice(from))` without spreading the common short argument lists (`from` 1
 * replays a record `[methodname, ...args]`).
 */
function apply(fn: (self: any, ...args: any[]) => unknown, obj: unknown, a: readonly unknown[], from = 0): unknown {
  switch (a.length - from) {
    case 0:
      return fn(obj);
    case 1:
      return fn(obj, a[from]);
    case 2:
      return fn(obj, a[from], a[from + 1]);
    default:
      return fn(obj, ...a.slice(from));
  }
}

/** The heap of one manager, as one thread sees it. */
export class SharedHeap implements RecordViews {
  readonly cells: Int32Array;
  readonly f64: Float64Array;
  readonly bytes: Buffer;
  /** This thread's lock owner tag (semlock.ts ownedLock*). */
  readonly #me = osThreadId() || -1;
  #replicas = new Map<string, Replica | null>();

  constructor(sab: SharedArrayBuffer) {
    this.cells = new Int32Array(sab);
    this.f64 = new Float64Array(sab, 0, sab.byteLength >> 3);
    this.bytes = Buffer.from(sab);
  }

  /** The heap carried by a manager's control cells, or null if they carry none. */
  static of(control: Int32Array): SharedHeap | null {
    const sab = control.buffer;
    return sab instanceof SharedArrayBuffer && sab.byteLength >= kHeapOffset + kHeapBytes ? new SharedHeap(sab) : null;
  }

  #find(ident: string): Replica | null {
    const id = identCells(ident);
    if (!id) return null;
    // Without the lock: the server names a slot in the directory only after filling it (kind,
    // snapshot), and a stale match (the slot freed and reused since) is caught under the lock (owns).
    for (let s = 0; s < kSlots; s++) {
      const d = (kHeapOffset >> 2) + s * 2;
      if (Atomics.load(this.cells, d) === id[0] && Atomics.load(this.cells, d + 1) === id[1]) {
        const kind = kinds[Atomics.load(this.cells, (slotStart(s) >> 2) + cKind)];
        if (!kind) return null;
        return replica(s, id[0], id[1], kind, null, false);
      }
    }
    return null;
  }

  /** Takes the lock of the slot whose header starts at cell `base`. */
  lockAt(base: number): void {
    // One compare-exchange takes a free lock (the common case, inline); ownedLockAcquire settles
    // the rest (spinning, sleeping, taking over from a holder that has ended).
    if (Atomics.compareExchange(this.cells, base + cLock, 0, this.#me) !== 0) ownedLockAcquire(this.cells, base + cLock, base + cWaiters);
  }
  /** Releases the lock of the slot whose header starts at cell `base`. */
  unlockAt(base: number): void {
    ownedLockRelease(this.cells, base + cLock, base + cWaiters);
  }
  lock(r: Replica): void {
    this.lockAt(r.base);
  }
  unlock(r: Replica): void {
    this.unlockAt(r.base);
  }
  /** True if the slot still holds r's referent (under the lock). */
  owns(r: Replica): boolean {
    const d = (kHeapOffset >> 2) + r.slot * 2;
    return this.cells[d] === r.hi && this.cells[d + 1] === r.lo;
  }

  /** Brings a replica up to date with the published records (under the lock). */
  catchUp(r: Replica): void {
    const b = r.base;
    // Atomic loads pairing with the publishing stores, so that what a holder published just before
    // it was terminated (its lock taken over, not released) is seen with the bytes it published.
    const gen = Atomics.load(this.cells, b + cGen);
    const h = gen & 1;
    const used = Atomics.load(this.cells, b + cUsed + h);
    const half = r.start + h * r.size;
    if (r.gen !== gen) {
      const [snap, next] = readRecord(this, half);
      const fresh = r.kind.fresh(snap);
      if (r.server) r.kind.reset(r.obj, fresh);
      else r.obj = fresh;
      r.gen = gen;
      r.used = next - half;
    }
    const methods = r.kind.methods;
    while (r.used < used) {
      const [rec, next] = readRecord(this, half + r.used);
      try {
        apply(methods[rec[0] as string]!, r.obj, rec, 1);
      } catch {
        // The call that logged it raised the same, after the same changes.
      }
      r.used = next - half;
    }
  }

  /** Publishes a snapshot of the replica in the other half (under the lock); false if too large. */
  compact(r: Replica): boolean {
    const snap = r.kind.snapshot(r.obj);
    if (!plain(snap)) return false;
    const bytes = encode(snap);
    if (8 + pad8(bytes.length) > r.size / 2) return false;
    const b = r.base;
    const gen = (Atomics.load(this.cells, b + cGen) + 1) | 0;
    const half = r.start + (gen & 1) * r.size;
    const end = writeBytes(this, half, half + r.size, bytes) - half;
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
  call(ident: string, methodname: string, args: readonly unknown[]): unknown {
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
    // A call that does not fit the method's signature is the server's to refuse, with its TypeError.
    const s = referentSignature(kind.referent, methodname);
    // So is one with an `undefined` (not given) among its arguments, which the server binds.
    if (s !== undefined && (!s.accepts(args.length) || args.includes(undefined))) return kNotLocal;
    let a = args;
    for (let i = 0; i < args.length; i++) {
      if (wireExact(args[i])) continue;
      if (!plain(args)) return kNotLocal;
      a = copy(args);
      break;
    }
    if (kind.refuse(a)) return kNotLocal;
    const cells = this.cells;
    const base = r.base;
    if (role === 1 && Atomics.load(cells, base + cLock) === 0) {
      // A read without the lock, when nothing has changed since this replica last caught up.
      // Loads in this order (sequentially consistent): the lock free (no writer in the middle of
      // a call, which may change the referent before it publishes: the server's calls, a move to
      // a larger slot), then the generation and length as this replica has them (nothing
      // published since: both only grow), then the directory still naming the referent (a slot
      // names an ident once, so it did at the first load too). The read then takes effect at the
      // first load, as if it had taken the lock there.
      const gen = Atomics.load(cells, base + cGen);
      if (gen === r.gen && Atomics.load(cells, base + cUsed + (gen & 1)) === r.used) {
        const d = (kHeapOffset >> 2) + r.slot * 2;
        if (Atomics.load(cells, d) === r.hi && Atomics.load(cells, d + 1) === r.lo) return this.#read(r, methodname, a);
      }
    }
    this.lockAt(base);
    try {
      if (!this.owns(r)) {
        // Moved to a larger slot, or no longer shared: looked up again at the next call.
        this.#replicas.delete(ident);
        return kNotLocal;
      }
      // Atomic loads pairing with the publishing stores (catchUp): anything new is replayed first.
      const gen = Atomics.load(cells, base + cGen);
      if (gen !== r.gen || Atomics.load(cells, base + cUsed + (gen & 1)) !== r.used) this.catchUp(r);
      return role === 1 ? this.#read(r, methodname, a) : this.#mutate(r, methodname, a);
    } finally {
      this.unlockAt(base);
    }
  }

  /** A read-only call on an up-to-date replica (under the lock). */
  #read(r: Replica, methodname: string, a: readonly unknown[]): unknown {
    let result: unknown;
    try {
      result = apply(r.kind.methods[methodname]!, r.obj, a);
    } catch (e) {
      // Not one of Python's errors (a JavaScript TypeError): the server's own path decides.
      if (!(e instanceof BaseException)) return kNotLocal;
      throw rebuildException(copy(flattenException(e)));
    }
    return copy(result);
  }

  /** A mutating call on an up-to-date replica (under the lock): logged, run, published. */
  #mutate(r: Replica, methodname: string, a: readonly unknown[]): unknown {
    const kind = r.kind;
    // The record goes in before the call runs (the call may keep its arguments), published after.
    const h = r.gen & 1;
    const half = r.start + h * r.size;
    let end = writeCompact(this, half + r.used, half + r.size, methodname, a);
    if (end === -2) end = writeBytes(this, half + r.used, half + r.size, encode([methodname, ...a]));
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
      r.gen = -1;
      return kNotLocal;
    }
    if (end >= 0 && !kind.heavy(r.obj, methodname, a)) {
      // The one store that publishes the record.
      Atomics.store(this.cells, r.base + cUsed + h, end - half);
      r.used = end - half;
    } else if (!this.compact(r)) {
      // Too large to stay shared: this replica ran a call nobody will see; the server runs it.
      r.gen = -1;
      return kNotLocal;
    }
    if (threw) throw rebuildException(copy(flattenException(error)));
    return copy(result);
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
      moveTo(r, slot);
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
      if (old >= 0) moveTo(r, old);
      else r.slot = -1;
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
    const r = replica(-1, id[0], id[1], kind, obj, true);
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
    const base = r.base;
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
        heap.unlockAt(base);
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
