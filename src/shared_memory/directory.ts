// Part of the shared_memory module: the directory of segment names, a hash table in a
// SharedArrayBuffer that every thread of the tree reads and writes under one lock, as /dev/shm's
// directory is shared by every process. The main thread makes it and hands it to every worker at
// boot (worker_threads environment data); its header also holds the registry host's doorbell. It answers "does this name exist?" without a round trip:
// create and unlink are decided here, and only the buffers themselves travel to and from the
// registry thread (registry.ts). Open addressing with linear probing; unlinked slots become
// tombstones, and the table is rebuilt in place when they pile up.

import { lockAcquire, lockRelease } from "../shared/semlock.js";
import { RuntimeError } from "../shared/pyerrors.js";

/** Int32 cells of the header. */
const kLock = 0;
/** Number of unlinks so far: a buffer looked up before the last unlink may be stale. */
export const kEpoch = 1;
const kLive = 2;
const kTombstones = 3;
/** Last generation handed out: each created segment gets the next one. */
const kGeneration = 4;
/** Bumped (and notified) by a thread that needs the registry host awake: it sleeps on this cell. */
export const kDoorbell = 5;
/** 1 while the host sleeps with nothing owed: only then do messages that need no answer ring. */
export const kHostAsleep = 6;
/** 1 while a registry host runs (the main thread sets it when it starts one, clears it at its exit). */
export const kHostUp = 7;
/**
 * Threads the host forwards new segments to (threads that attached before): while it is not 0, a
 * create rings the host so that it forwards the buffer before the name can travel to them.
 */
export const kForwarding = 8;
/** Int32 cells of the header. */
export const kHeaderCells = 16;
const kHeaderBytes = kHeaderCells * 4;

/** Longest name, in UTF-8 bytes (NAME_MAX, as POSIX shm_open enforces). */
export const kMaxNameBytes = 255;
const kSlotBytes = 16 + 256; // state, length, generation, (spare), name
/** Names the directory holds at once (like a full /dev/shm, more raise ENOSPC). */
export const kCapacity = 8192;

const Slot = { empty: 0, used: 1, tombstone: 2 } as const;

/** How long a thread waits for the directory lock before deciding its holder died inside a call, in ms. */
const kLockMs = 5000;

/**
 * A new, empty directory (made once, by the main thread). Growable (to its own size): V8 maps
 * such a buffer's pages lazily, so the 2 MB cost nothing until names land in them.
 */
export function newDirectory(): SharedArrayBuffer {
  const bytes = kHeaderBytes + kCapacity * kSlotBytes;
  const sab = new (SharedArrayBuffer as any)(bytes, { maxByteLength: bytes }) as SharedArrayBuffer;
  new Int32Array(sab)[kLock] = 1; // semlock's kUnlocked
  return sab;
}

/** A thread's view of the directory. */
export class Directory {
  readonly cells: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** A name's UTF-8 bytes, encoded here without allocating (names are at most kMaxNameBytes). */
  readonly #scratch = Buffer.allocUnsafe(4 * kMaxNameBytes);

  constructor(sab: SharedArrayBuffer) {
    this.cells = new Int32Array(sab, 0, kHeaderBytes / 4);
    // Explicit lengths: a view of a growable buffer without one tracks its length (slower access).
    this.#bytes = new Uint8Array(sab, 0, sab.byteLength);
    this.#view = new DataView(sab, 0, sab.byteLength);
  }

  /**
   * Takes the directory lock (release it with unlock(), in a `finally`).
   * @throws RuntimeError when the lock cannot be had in kLockMs
   */
  lock(): void {
    // One lock orders every create, unlink and lookup of the tree: a name is inserted (and its
    // buffer posted to the registry) before any other thread can find it, so the registry always
    // receives a segment before any request to attach to it.
    if (!lockAcquire(this.cells, kLock, kLockMs)) {
      throw new RuntimeError(`the shared_memory directory stayed locked for ${kLockMs / 1000} s (a process was terminated inside a shared_memory call?)`);
    }
  }

  /** Releases the directory lock. */
  unlock(): void {
    lockRelease(this.cells, kLock);
  }

  /** The unlink count (call under the lock for a value consistent with a lookup). */
  epoch(): number {
    return Atomics.load(this.cells, kEpoch);
  }

  #slot(i: number): number {
    return kHeaderBytes + i * kSlotBytes;
  }

  #hash(name: Uint8Array, len: number): number {
    let h = 0x811c9dc5; // FNV-1a
    for (let k = 0; k < len; k++) h = Math.imul(h ^ name[k]!, 0x01000193);
    return (h >>> 0) % kCapacity;
  }

  #matches(at: number, name: Uint8Array, len: number): boolean {
    if (this.#view.getInt32(at + 4, true) !== len) return false;
    const base = at + 16;
    for (let k = 0; k < len; k++) if (this.#bytes[base + k] !== name[k]) return false;
    return true;
  }

  /** The first slot an insert of the name last looked for may use (set by #find), or -1. */
  #free = -1;

  /** Under the lock: the slot holding the first `len` bytes of `name`, or -1; sets #free. */
  #find(name: Uint8Array, len: number): number {
    this.#free = -1;
    let i = this.#hash(name, len);
    for (let n = 0; n < kCapacity; n++, i = (i + 1) % kCapacity) {
      const at = this.#slot(i);
      const state = this.#view.getInt32(at, true);
      if (state === Slot.empty) {
        if (this.#free < 0) this.#free = at;
        return -1;
      }
      if (state === Slot.tombstone) {
        if (this.#free < 0) this.#free = at;
      } else if (this.#matches(at, name, len)) {
        return at;
      }
    }
    return -1;
  }

  /** The UTF-8 length of `name`, its bytes left in #scratch. */
  #encode(name: string): number {
    return this.#scratch.write(name, 0, "utf8");
  }

  /** Under the lock: the generation of `name`, or -1 when it does not exist. */
  lookup(name: string): number {
    const at = this.#find(this.#scratch, this.#encode(name));
    return at < 0 ? -1 : this.#view.getInt32(at + 8, true);
  }

  /**
   * Under the lock: adds `name` with a new generation and returns it; "exists" if the name is
   * there, "full" when the directory is.
   */
  insert(name: string): number | "exists" | "full" {
    return this.#insert(this.#scratch, this.#encode(name), Atomics.add(this.cells, kGeneration, 1) + 1);
  }

  #insert(name: Uint8Array, len: number, generation: number): number | "exists" | "full" {
    if (this.#find(name, len) >= 0) return "exists";
    const at = this.#free;
    if (at < 0 || this.cells[kLive]! >= kCapacity - 1) return "full";
    if (this.#view.getInt32(at, true) === Slot.tombstone) this.cells[kTombstones]!--;
    this.#view.setInt32(at + 4, len, true);
    this.#view.setInt32(at + 8, generation, true);
    for (let k = 0; k < len; k++) this.#bytes[at + 16 + k] = name[k]!;
    this.#view.setInt32(at, Slot.used, true);
    this.cells[kLive]!++;
    return generation;
  }

  /** Under the lock: removes `name` and returns its generation, or -1 if it was not there. Counts an unlink. */
  remove(name: string): number {
    const at = this.#find(this.#scratch, this.#encode(name));
    if (at < 0) return -1;
    const generation = this.#view.getInt32(at + 8, true);
    this.#view.setInt32(at, Slot.tombstone, true);
    this.cells[kLive]!--;
    this.cells[kTombstones]!++;
    Atomics.add(this.cells, kEpoch, 1);
    if (this.cells[kTombstones]! > kCapacity / 4) this.#rebuild();
    return generation;
  }

  /** Under the lock: re-inserts the live names into a cleared table (drops the tombstones). */
  #rebuild(): void {
    const live: [Uint8Array, number][] = [];
    for (let i = 0; i < kCapacity; i++) {
      const at = this.#slot(i);
      if (this.#view.getInt32(at, true) === Slot.used) {
        const len = this.#view.getInt32(at + 4, true);
        live.push([this.#bytes.slice(at + 16, at + 16 + len), this.#view.getInt32(at + 8, true)]);
      }
    }
    // Only the state words: a name's bytes and length are rewritten by the insert that uses the
    // slot (clearing the whole 2 MB byte by byte, as fill() does on shared memory, took ms).
    for (let i = 0; i < kCapacity; i++) this.#view.setInt32(this.#slot(i), Slot.empty, true);
    this.cells[kLive] = 0;
    this.cells[kTombstones] = 0;
    for (const [name, generation] of live) this.#insert(name, name.length, generation);
  }
}
