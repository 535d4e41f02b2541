// The shared-memory byte channel under Queue and Pipe: a ring of framed messages in one
// SharedArrayBuffer, with Atomics.wait/notify for blocking (the other home of wait/notify, with
// semlock.ts). No event loop is involved, so a thread blocked in join() cannot stall it.
//
// Frames are 8-byte aligned, with an 8-byte header, and never wrap (payloads start 8-aligned,
// so copies in and out of shared memory run at full speed): a writer that reaches the end of the ring writes a
// WRAP marker and continues at offset 0. A message that fits in half the ring travels as one
// WHOLE frame; a larger one is streamed as a START frame (with the total length) followed by
// CONT frames, under the write lock, while one reader reassembles it.
//
// Readers of WHOLE frames take no lock: a reader decodes the frame in place, then claims it by
// compare-exchanging the head past it; if another reader got there first, it retries. A reader
// that is terminated mid-read therefore never leaves the channel half-consumed.

import { lockAcquire, lockRelease, lockTryAcquire, kUnlocked, osThreadEnded, osThreadId, waitWhile } from "./semlock.js";
import { availableParallelism, loadavg } from "node:os";
import { OSError } from "./pyerrors.js";

// Control cells (Int32Array at offset 0), each group on its own 64-byte cache line: readers
// write the head, writers the tail and the lock; sharing a line would bounce it between the
// cores on every message.
const kHead = 0; // bytes consumed (wrapping counter)
const kTail = 16; // bytes published (wrapping counter)
const kWriteLock = 32; // serializes writers
const kStreamTid = 33; // OS thread id of the writer streaming a message under the write lock (0: none)
const kReadWaiters = 48; // readers sleeping for data (on kReadSeq)
const kReadSeq = 49; // bumped to wake them: by a publish that sees them counted, and by the last writer's close
const kSpaceWaiters = 64; // writers (and readers waiting for a stream to pass) sleeping on kHead
const kWriters = 80; // open write handles (Pipe EOF)
const kReaders = 81; // open read handles (Pipe broken pipe)
const kControlBytes = 384;

// Frame header: type in the top 2 bits, chunk length in the low 30.
const kWrap = 0;
const kWhole = 1;
const kStart = 2;
const kCont = 3;
const kLenMask = 0x3fffffff;

const kReadSpins = 1000;
/** How often a thread waiting on a streaming writer looks whether it died (terminate(), kill()). */
const kLivenessCheckMs = 100;

const pad8 = (n: number): number => (n + 7) & ~7;
const kHdr = 8;

/** Outcome of a read that did not return a message. */
export const kEOF = Symbol("EOF");
export const kTimeout = Symbol("timeout");

/**
 * An adaptive spin budget for one reader: how long read() and poll() watch the tail with loads
 * before sleeping in Atomics.wait. A reader in a request/reply exchange (a socket connection's
 * recv() after its send()) usually gets its message within tens of microseconds; watching for it
 * then saves the futex sleep, and the writer's notify, of every message. The budget follows the
 * waits: it grows to twice a wait that ended within the ceiling and halves after each wait that
 * outlasted it, so a thread that waits long (idle, or a slow peer) soon spins for nothing and
 * cannot keep a core busy on this shared machine.
 */
export class SpinBudget {
  /** Microseconds the next wait may spin. */
  us: number;
  readonly maxUs: number;

  constructor(maxUs = 100, startUs = maxUs / 2) {
    this.maxUs = maxUs;
    this.us = startUs;
  }

  /**
   * Microseconds this wait may spin: none while the machine has no idle core (the 1-minute
   * load average, looked up at most every 500 ms, is at least the core count minus one). There,
   * a spinning thread takes the time slice the peer it waits for needs.
   */
  budget(now: number): number {
    if (now >= loadCheckedAt + 500) {
      loadCheckedAt = now;
      spinAllowed = loadavg()[0]! < Math.max(1, availableParallelism() - 1);
    }
    return spinAllowed ? this.us : 0;
  }

  /** Records a wait of `waitedUs` microseconds (whether it was spun or slept). */
  record(waitedUs: number): void {
    if (waitedUs <= this.maxUs) this.us = Math.min(this.maxUs, Math.max(this.us, 2 * waitedUs));
    else this.us = this.us < 2 ? 0 : this.us / 2;
  }
}

let loadCheckedAt = -Infinity;
let spinAllowed = false;

/** Rings of closed, never-shared channels, for reuse by Channel.create() (see recycle()). */
const spareRings: SharedArrayBuffer[] = [];
const kSpareRings = 4;

/** Decodes `len` bytes at `start` of `buf` (a view over shared memory: copy what you keep). */
export type Decoder<T> = (buf: Buffer, start: number, len: number) => T;

/** A message being streamed by this thread: resumed by later flushes. */
interface Stream {
  payload: Uint8Array;
  offset: number;
}

/** One direction of message traffic over a SharedArrayBuffer ring. */
export class Channel {
  readonly sab: SharedArrayBuffer;
  readonly cells: Int32Array;
  readonly #words: Int32Array;
  readonly #buf: Buffer;
  readonly #u8: Uint8Array;
  readonly capacity: number;
  readonly #mask: number;
  #stream: Stream | null = null;
  /** Messages this thread began to read whose writer died before sending the rest (dropped). */
  abandonedMessages = 0;
  /** This thread's adaptive spin before sleeping for data (null: the fixed short spin). */
  spin: SpinBudget | null = null;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.cells = new Int32Array(sab, 0, kControlBytes / 4);
    this.capacity = sab.byteLength - kControlBytes;
    this.#mask = this.capacity - 1;
    this.#words = new Int32Array(sab, kControlBytes, this.capacity / 4);
    this.#buf = Buffer.from(sab, kControlBytes, this.capacity);
    this.#u8 = new Uint8Array(sab, kControlBytes, this.capacity);
  }

  /** A new channel whose ring holds `capacity` bytes (rounded up to a power of two, at least 4 KiB). */
  static create(capacity: number, writers = 1, readers = 1): Channel {
    let cap = 4096;
    while (cap < capacity) cap *= 2;
    const i = spareRings.findIndex((sab) => sab.byteLength === kControlBytes + cap);
    const sab = i >= 0 ? spareRings.splice(i, 1)[0]! : new SharedArrayBuffer(kControlBytes + cap);
    const ch = new Channel(sab);
    if (i >= 0) ch.cells.fill(0);
    ch.cells[kWriteLock] = kUnlocked;
    ch.cells[kWriters] = writers;
    ch.cells[kReaders] = readers;
    return ch;
  }

  /**
   * Hands the ring back for reuse by the next create() of this thread. Only for a channel that
   * never left this thread and is closed: nobody else can hold its memory. A program that makes
   * and closes many queues then reuses a few rings instead of leaving the allocator to return
   * megabytes of freed shared memory to the system (glibc mostly keeps it).
   */
  recycle(): void {
    if (spareRings.length < kSpareRings && !spareRings.includes(this.sab)) spareRings.push(this.sab);
  }

  // --- handles --------------------------------------------------------------------------------

  /** Adds or drops an open write (or read) handle; dropping the last one wakes the other side. */
  addHandle(side: "writer" | "reader", delta: number): void {
    const cell = side === "writer" ? kWriters : kReaders;
    const now = Atomics.add(this.cells, cell, delta) + delta;
    if (now <= 0) {
      // Wake readers to see EOF, or writers to see the broken pipe.
      if (side === "writer") this.#wakeReaders();
      else Atomics.notify(this.cells, kHead);
    }
  }

  /** True if no write handle is open any more. */
  get writersGone(): boolean {
    return Atomics.load(this.cells, kWriters) <= 0;
  }
  /** True if no read handle is open any more. */
  get readersGone(): boolean {
    return Atomics.load(this.cells, kReaders) <= 0;
  }

  // --- state -------------------------------------------------------------------------------

  /** True if no frame is waiting to be read. */
  isEmpty(): boolean {
    return Atomics.load(this.cells, kHead) === Atomics.load(this.cells, kTail);
  }

  /** The head as this writer last read it: the head only moves forward, so a stale value can
   * only under-estimate the free room, and re-reading it only when room seems short keeps the
   * readers' cache line from bouncing to the writer on every message. */
  #headSeen = 0;

  /** Bytes that may be written now (at least `want` if that much is free). */
  #free(want = Infinity): number {
    const tail = Atomics.load(this.cells, kTail);
    let free = this.capacity - ((tail - this.#headSeen) | 0);
    if (free < want || free > this.capacity) {
      this.#headSeen = Atomics.load(this.cells, kHead);
      free = this.capacity - ((tail - this.#headSeen) | 0);
    }
    return free;
  }

  /** True if at least `bytes` could be written now (loads only: no write to shared cache lines). */
  hasRoom(bytes: number): boolean {
    return this.#free() >= bytes;
  }

  /** True if this thread holds the write lock for a half-written stream. */
  get streaming(): boolean {
    return this.#stream !== null;
  }

  // --- writing -----------------------------------------------------------------------------

  #publish(tail: number, size: number): void {
    Atomics.store(this.cells, kTail, (tail + size) | 0);
    // Readers count themselves before their last look at the tail (see #sleepForData).
    if (Atomics.load(this.cells, kReadWaiters) > 0) this.#wakeReaders();
  }

  /**
   * Wakes the readers sleeping in #sleepForData. They sleep on the sequence cell, not on the
   * tail, because not only a publish must wake them: a close of the last writer (or a dead
   * stream taken over) leaves the tail as it was, and a notify that lands between a reader's
   * last look and its sleep would be lost if the reader slept on the unchanged tail. The bump
   * changes the cell the reader sleeps on, so its sleep returns at once instead.
   */
  #wakeReaders(): void {
    Atomics.add(this.cells, kReadSeq, 1);
    Atomics.notify(this.cells, kReadSeq);
  }

  /** Makes `need` contiguous bytes available at the tail (writing a WRAP marker); false if no room. */
  #reserve(need: number): number | null {
    const tail = Atomics.load(this.cells, kTail);
    const pos = tail & this.#mask;
    if (pos + need <= this.capacity) return need <= this.#free(need) ? tail : null;
    const skip = this.capacity - pos;
    if (skip + need > this.#free(skip + need)) return null;
    this.#words[pos >> 2] = kWrap << 30;
    this.#publish(tail, skip);
    return (tail + skip) | 0;
  }

  /**
   * Writes one message, waiting up to `blockMs` for room (0: not at all). Returns true when the
   * channel accepted it: written whole, or — for a message larger than half the ring — started
   * as a stream that owns a copy of it and that flush() continues (`streaming` is then true).
   * Returns false when nothing was written (ring full, or another writer holds the lock).
   * `onBroken` is called if no reader is left.
   */
  write(payload: Uint8Array, blockMs: number, onBroken?: () => never): boolean {
    if (this.#stream !== null) return false;
    const len = payload.length;
    const need = kHdr + pad8(len);
    // A message streamed in parts needs its own copy (the caller may reuse its buffer as soon as
    // we return): made before taking the lock, so that the lock is not held for it.
    const copy = need <= this.capacity / 2 ? null : Buffer.from(payload);
    if (!this.#lockWrite(blockMs)) return false;
    let deadline = -1; // computed only if we have to wait (performance.now() is not free)
    try {
      if (copy === null) {
        for (;;) {
          if (onBroken && this.readersGone) onBroken();
          const tail = this.#reserve(need);
          if (tail !== null) {
            const pos = tail & this.#mask;
            this.#words[pos >> 2] = (kWhole << 30) | len;
            if (len <= 16) {
              const buf = this.#buf;
              for (let i = 0; i < len; i++) buf[pos + kHdr + i] = payload[i]!;
            } else {
              this.#buf.set(payload, pos + kHdr);
            }
            this.#publish(tail, need);
            return true;
          }
          if (blockMs <= 0) return false;
          if (deadline < 0) deadline = performance.now() + blockMs;
          if (!this.#waitSpace(deadline)) return false;
        }
      }
      if (deadline < 0) deadline = performance.now() + blockMs;
      // The lock is held for the whole stream: say who holds it, so that if this thread is
      // terminated mid-message the others can take the lock over (see #takeOverDeadStream).
      Atomics.store(this.cells, kStreamTid, osThreadId());
      this.#stream = { payload: copy, offset: 0 };
    } finally {
      if (this.#stream === null) lockRelease(this.cells, kWriteLock);
    }
    this.flush(deadline - performance.now(), onBroken);
    return true;
  }

  #lockWrite(ms: number): boolean {
    if (lockTryAcquire(this.cells, kWriteLock)) return true;
    const deadline = ms <= 0 ? 0 : performance.now() + ms;
    for (;;) {
      if (this.#takeOverDeadStream() || ms <= 0) return lockTryAcquire(this.cells, kWriteLock);
      const left = deadline - performance.now();
      if (left <= 0) return false;
      if (lockAcquire(this.cells, kWriteLock, Math.min(left, kLivenessCheckMs))) return true;
    }
  }

  /**
   * If the writer streaming a message under the write lock has ended (terminated or killed in
   * the middle of a large put/send), frees the lock: the message it was sending is abandoned
   * (its reader drops the part it got), and the channel carries on. The compare-exchange lets
   * exactly one thread do it. Returns true if this thread did.
   */
  #takeOverDeadStream(): boolean {
    const tid = Atomics.load(this.cells, kStreamTid);
    if (tid === 0 || !osThreadEnded(tid)) return false;
    if (Atomics.compareExchange(this.cells, kStreamTid, tid, 0) !== tid) return false;
    lockRelease(this.cells, kWriteLock);
    // Wake a reader waiting for the rest of the message, to see it will not come.
    this.#wakeReaders();
    return true;
  }

  #endStream(): void {
    this.#stream = null;
    Atomics.store(this.cells, kStreamTid, 0);
    lockRelease(this.cells, kWriteLock);
  }

  /**
   * Continues a streamed message; returns true once it is all written. Keeps the write lock
   * between calls, so the message's frames stay contiguous.
   */
  flush(blockMs: number, onBroken?: () => never): boolean {
    const s = this.#stream;
    if (s === null) return true;
    const deadline = performance.now() + blockMs;
    while (s.offset < s.payload.length || s.offset === 0) {
      if (onBroken && this.readersGone) {
        this.#endStream();
        onBroken();
      }
      const hdr = kHdr;
      const tail = Atomics.load(this.cells, kTail);
      const pos = tail & this.#mask;
      const free = this.#free();
      const contiguous = Math.min(free, this.capacity - pos);
      if (contiguous < hdr + 8) {
        if (free >= this.capacity - pos + hdr + 8 && this.capacity - pos < hdr + 8) {
          this.#words[pos >> 2] = kWrap << 30; // too little room before the end: start over at 0
          this.#publish(tail, this.capacity - pos);
          continue;
        }
        if (!this.#waitSpace(deadline)) return false;
        continue;
      }
      const chunk = Math.min(s.payload.length - s.offset, contiguous - hdr);
      const type = s.offset === 0 ? kStart : kCont;
      this.#words[pos >> 2] = (type << 30) | chunk;
      if (type === kStart) this.#words[(pos >> 2) + 1] = s.payload.length;
      this.#buf.set(s.payload.subarray(s.offset, s.offset + chunk), pos + hdr);
      s.offset += chunk;
      this.#publish(tail, hdr + pad8(chunk));
    }
    this.#endStream();
    return true;
  }

  #waitSpace(deadline: number): boolean {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    const head = Atomics.load(this.cells, kHead);
    // Count ourselves before re-checking: a reader that advances the head after our check sees
    // the count and notifies.
    Atomics.add(this.cells, kSpaceWaiters, 1);
    try {
      if (Atomics.load(this.cells, kHead) === head && !this.readersGone) waitWhile(this.cells, kHead, head, Math.min(left, 50));
    } finally {
      Atomics.sub(this.cells, kSpaceWaiters, 1);
    }
    return true;
  }

  // --- reading ----------------------------------------------------------------------------------

  #advanceHead(from: number, size: number, claim: boolean): boolean {
    if (claim) {
      if (Atomics.compareExchange(this.cells, kHead, from, (from + size) | 0) !== from) return false;
    } else {
      Atomics.store(this.cells, kHead, (from + size) | 0);
    }
    if (Atomics.load(this.cells, kSpaceWaiters) > 0) Atomics.notify(this.cells, kHead);
    return true;
  }

  /** Waits until the tail moves past `tail` (or the deadline); false on timeout. */
  #waitData(tail: number, deadline: number): boolean {
    for (let i = 0; i < kReadSpins; i++) if (Atomics.load(this.cells, kTail) !== tail) return true;
    const spin = this.spin;
    if (spin !== null) return this.#waitDataSpinning(spin, tail, deadline);
    const left = deadline - performance.now();
    if (left <= 0) return false;
    this.#sleepForData(tail, left);
    return true;
  }

  /** Sleeps up to `left` ms unless the tail has moved past `tail` or every writer has gone. */
  #sleepForData(tail: number, left: number): void {
    // The sequence is read before we count ourselves: a publish that does not see us counted
    // stored its tail before our look below (which sees it), and a publish that does, or a
    // close, bumps the sequence after this read (so the wait returns at once, or is notified).
    const seq = Atomics.load(this.cells, kReadSeq);
    Atomics.add(this.cells, kReadWaiters, 1); // see #publish
    try {
      // waitWhile also delivers this process's queue backlog while we sleep (semlock.ts).
      if (Atomics.load(this.cells, kTail) === tail && !this.writersGone) waitWhile(this.cells, kReadSeq, seq, left);
    } finally {
      Atomics.sub(this.cells, kReadWaiters, 1);
    }
  }

  /** #waitData with an adaptive spin (see SpinBudget) before the sleep. */
  #waitDataSpinning(spin: SpinBudget, tail: number, deadline: number): boolean {
    const t0 = performance.now();
    const spinEnd = Math.min(deadline, t0 + spin.budget(t0) / 1000);
    let ok = true;
    let now = t0;
    // Loads only: the writer publishes with a store to the tail and notifies only counted
    // sleepers, so a change seen here needs no wake-up; the counted sleep below takes over.
    spinning: for (;;) {
      for (let i = 0; i < 256; i++) if (Atomics.load(this.cells, kTail) !== tail) break spinning;
      now = performance.now();
      if (now >= spinEnd) {
        ok = this.#sleepData(tail, deadline, now);
        now = performance.now();
        break;
      }
    }
    spin.record((now - t0) * 1000);
    return ok;
  }

  /** The counted sleep of #waitData. */
  #sleepData(tail: number, deadline: number, now: number): boolean {
    const left = deadline - now;
    if (left <= 0) return Atomics.load(this.cells, kTail) !== tail;
    this.#sleepForData(tail, left);
    return true;
  }

  /**
   * Reads one message, waiting up to `ms` (Infinity = forever, 0 = not at all).
   * Returns `decode`'s result, kEOF when the channel is empty and every writer has gone, or
   * kTimeout.
   */
  read<T>(ms: number, decode: Decoder<T>): T | typeof kEOF | typeof kTimeout {
    let deadline = ms === Infinity ? Infinity : -1; // computed when we first have to wait
    for (;;) {
      const head = Atomics.load(this.cells, kHead);
      const tail = Atomics.load(this.cells, kTail);
      if (head === tail) {
        if (this.writersGone) return kEOF;
        if (deadline < 0 && ms > 0) deadline = performance.now() + ms;
        if (ms <= 0 || !this.#waitData(tail, deadline)) {
          if (Atomics.load(this.cells, kTail) !== tail) continue;
          return this.writersGone ? kEOF : kTimeout;
        }
        continue;
      }
      const pos = head & this.#mask;
      const hdr = this.#words[pos >> 2]!;
      const type = hdr >>> 30;
      const len = hdr & kLenMask;
      if (type === kWrap) {
        this.#advanceHead(head, this.capacity - pos, true);
        continue;
      }
      if (type === kWhole) {
        const value = decode(this.#buf, pos + kHdr, len);
        if (this.#advanceHead(head, kHdr + pad8(len), true)) return value;
        continue;
      }
      if (type === kCont) {
        // Another reader is reassembling a streamed message: wait for it to pass.
        if (deadline < 0) deadline = performance.now() + Math.max(0, ms);
        if (!this.#waitHeadMoves(head, deadline)) return kTimeout;
        continue;
      }
      // kStart: claim the stream, then collect its CONT frames as the writer produces them.
      const total = this.#words[(pos >> 2) + 1]!;
      const whole = Buffer.allocUnsafe(total);
      whole.set(this.#u8.subarray(pos + kHdr, pos + kHdr + len), 0);
      if (!this.#advanceHead(head, kHdr + pad8(len), true)) continue;
      let got = len;
      let abandoned = false;
      while (got < total) {
        const h = Atomics.load(this.cells, kHead);
        const t = Atomics.load(this.cells, kTail);
        if (h === t) {
          // The writer's handle goes only after its last frame is in: gone with the tail
          // unmoved, the message will never be complete (the writer was terminated mid-send).
          if (this.writersGone && Atomics.load(this.cells, kTail) === t) throw new OSError("got end of file during message");
          // The streaming writer records its thread id and clears it after its last frame is
          // published: read the id, then the tail again, so that a stream that just ended is
          // not mistaken for an abandoned one.
          const tid = Atomics.load(this.cells, kStreamTid);
          if (Atomics.load(this.cells, kTail) !== t) continue;
          if (osThreadId() !== 0 && (tid === 0 || osThreadEnded(tid))) {
            this.#takeOverDeadStream();
            abandoned = true; // the writer died mid-message: the part we have is dropped
            break;
          }
          this.#waitData(t, performance.now() + kLivenessCheckMs);
          continue;
        }
        const p = h & this.#mask;
        const fh = this.#words[p >> 2]!;
        const ft = fh >>> 30;
        const fl = fh & kLenMask;
        if (ft === kWrap) {
          this.#advanceHead(h, this.capacity - p, false);
          continue;
        }
        if (ft !== kCont) {
          // A new message where the rest of ours should be: its writer died and another took
          // the lock over. Ours is dropped; the new one is read as usual.
          abandoned = true;
          break;
        }
        whole.set(this.#u8.subarray(p + kHdr, p + kHdr + fl), got);
        got += fl;
        this.#advanceHead(h, kHdr + pad8(fl), false);
      }
      if (abandoned) {
        this.abandonedMessages++;
        continue;
      }
      return decode(whole, 0, total);
    }
  }

  #waitHeadMoves(head: number, deadline: number): boolean {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.add(this.cells, kSpaceWaiters, 1);
    try {
      if (Atomics.load(this.cells, kHead) === head) waitWhile(this.cells, kHead, head, Math.min(left, 50));
    } finally {
      Atomics.sub(this.cells, kSpaceWaiters, 1);
    }
    return true;
  }

  /**
   * Waits until a message (or EOF) can be read, up to `ms`. Returns true if one can.
   */
  poll(ms: number): boolean {
    const deadline = ms === Infinity ? Infinity : performance.now() + ms;
    for (;;) {
      const tail = Atomics.load(this.cells, kTail);
      if (Atomics.load(this.cells, kHead) !== tail || this.writersGone) return true;
      if (ms <= 0 || !this.#waitData(tail, deadline)) {
        return Atomics.load(this.cells, kHead) !== Atomics.load(this.cells, kTail) || this.writersGone;
      }
    }
  }

  /**
   * Async wait for room: resolves once a reader has moved the head (or no reader is left), or
   * after `ms`. For a writer on an event loop (the socket host) that must not block its thread.
   */
  async waitRoomAsync(ms: number): Promise<void> {
    const head = Atomics.load(this.cells, kHead);
    // Counted as a sleeping writer before the last look at the head, so that a reader that
    // advances it afterwards sees the count and notifies (see #advanceHead).
    Atomics.add(this.cells, kSpaceWaiters, 1);
    try {
      if (Atomics.load(this.cells, kHead) !== head || this.readersGone) return;
      const r = (Atomics as any).waitAsync(this.cells, kHead, head, ms);
      if (r.async) await r.value;
    } finally {
      Atomics.sub(this.cells, kSpaceWaiters, 1);
    }
  }

  /** Async twin of poll(): resolves when a message (or EOF) can be read, or after `ms`. */
  async pollAsync(ms: number): Promise<boolean> {
    const deadline = ms === Infinity ? Infinity : performance.now() + ms;
    for (;;) {
      const tail = Atomics.load(this.cells, kTail);
      if (Atomics.load(this.cells, kHead) !== tail || this.writersGone) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // Counted as a sleeping reader so that writers wake us (see #sleepForData, whose order of
      // looks this keeps); the timer keeps the event loop alive, which a pending waitAsync alone
      // does not.
      const seq = Atomics.load(this.cells, kReadSeq);
      Atomics.add(this.cells, kReadWaiters, 1);
      try {
        if (Atomics.load(this.cells, kTail) !== tail || this.writersGone) continue;
        const r = (Atomics as any).waitAsync(this.cells, kReadSeq, seq, Math.min(left, 1000));
        if (r.async) {
          const keepAlive = setTimeout(() => {}, Math.min(left, 1000) + 10);
          await r.value;
          clearTimeout(keepAlive);
        }
      } finally {
        Atomics.sub(this.cells, kReadWaiters, 1);
      }
    }
  }
}
