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

import { lockRelease, lockTryAcquire, lockAcquire, kUnlocked, osThreadEnded, osThreadId } from "./semlock.js";
import { OSError } from "./pyerrors.js";
import { SpinBudget } from "./channel/spin.js";
import { FrameBatch } from "./channel/batch.js";
import { pollAsync, waitRoomAsync } from "./channel/async.js";
import { countedSleep, countedWake } from "./channel/wake.js";
import { copyOut } from "./channel/scratch.js";
import { kCont, kHdr, kLenMask, kStart, kWhole, kWrap, pad8, putWhole } from "./channel/layout.js";
import { kControlBytes, kHead, kReadSeq, kReadWaiters, kReaders, kSpaceWaiters, kStreamTid, kTail, kWriteLock, kWriters } from "./channel/layout.js";

export { SpinBudget } from "./channel/spin.js";

const kReadSpins = 1000;
/** How often a thread waiting on a streaming writer looks whether it died (terminate(), kill()). */
const kLivenessCheckMs = 100;


/** Outcome of a read that did not return a message. */
export const kEOF = Symbol("EOF");
export const kTimeout = Symbol("timeout");

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
  /** ~(stride - 1): see #advanceHead. */
  readonly #strideMask: number;
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
    this.#strideMask = ~(Math.min(this.capacity >> 3, 1 << 16) - 1);
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
      if (side === "writer") countedWake(this.cells, kTail, kReadWaiters, Infinity, kReadSeq);
      else countedWake(this.cells, kHead, kSpaceWaiters);
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
    return this.#freeAt(Atomics.load(this.cells, kTail), want);
  }

  /** #freeAt as a function, for FrameBatch.drainTo. */
  readonly #freeFn = (tail: number, want: number): number => this.#freeAt(tail, want);

  /** #free() for a writer holding the lock that has written up to `tail` and not published yet. */
  #freeAt(tail: number, want: number): number {
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

  /**
   * Publishes `size` bytes written at `tail` and wakes up to `wake` sleeping readers. A queue's
   * writes wake one per WHOLE frame (a queue's readers only sleep in read() or in get_async()'s
   * poll, and each woken one reads on until it gets a message or the ring is empty, so no frame
   * waits while a reader sleeps; waking them all for one message would have all but one go back
   * to sleep). Other writes wake all: a connection's poll() may be woken without reading, and
   * stream frames can only be taken by their one reader.
   */
  #publish(tail: number, size: number, wake = Infinity): void {
    Atomics.store(this.cells, kTail, (tail + size) | 0);
    // Readers count themselves before their last look at the tail (channel/wake.ts): a reader
    // that counted itself after the load in countedWake sees the new tail and does not sleep.
    if (wake > 0) countedWake(this.cells, kTail, kReadWaiters, wake, kReadSeq);
  }

  /** Makes `need` contiguous bytes available at the tail (writing a WRAP marker); false if no room. */
  #reserve(need: number): number | null {
    const tail = Atomics.load(this.cells, kTail);
    const pos = tail & this.#mask;
    if (pos + need <= this.capacity) return need <= this.#free(need) ? tail : null;
    const skip = this.capacity - pos;
    if (skip + need > this.#free(skip + need)) return null;
    this.#words[pos >> 2] = kWrap << 30;
    // No wake-up: the caller publishes its frame right after (under the same lock hold).
    this.#publish(tail, skip, 0);
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
      // Frames this thread staged earlier go first (per-producer order).
      const batch = this.#batch;
      while (batch !== null && !this.#drainBatch(batch)) {
        if (onBroken && this.readersGone) onBroken();
        if (blockMs <= 0) return false;
        if (deadline < 0) deadline = performance.now() + blockMs;
        if (!this.#waitSpace(deadline)) return false;
      }
      if (copy === null) {
        for (;;) {
          if (onBroken && this.readersGone) onBroken();
          const tail = this.#reserve(need);
          if (tail !== null) {
            putWhole(this.#words, this.#buf, tail & this.#mask, payload);
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

  // --- staged writes (queue producers) --------------------------------------------------------

  /** Frames this thread staged while another writer held the lock (see channel/batch.ts). */
  #batch: FrameBatch | null = null;

  /** True if frames staged by writeOrStage() wait to be written (see flushStaged()). */
  get staged(): boolean {
    return this.#batch !== null && !this.#batch.empty;
  }

  /**
   * write() for a queue producer, which never waits: writes the message if the write lock is
   * free and the ring has room, or stages it (one that fits in half the ring) to be written by
   * this thread's next write that gets the lock, or by flushStaged(). Staged frames always go
   * out before this thread's later messages. Returns false when the message was neither
   * written nor staged (a large one: the caller keeps it).
   */
  writeOrStage(payload: Uint8Array): boolean {
    const need = kHdr + pad8(payload.length);
    if (this.#stream !== null) return false;
    if (need > this.capacity >> 1) return this.write(payload, 0); // streamed: write() drains the batch first
    if (!lockTryAcquire(this.cells, kWriteLock)) {
      // Another writer holds the lock (a writer descheduled while holding it holds it for
      // milliseconds): stage the frame rather than queue up on the lock.
      this.#stageFrame(payload);
      return true;
    }
    try {
      const batch = this.#batch;
      if (batch !== null && !batch.empty) {
        // One copy and one publish for the staged frames and this one.
        batch.add(payload);
        this.#drainBatch(batch);
        return true;
      }
      const tail = this.#reserve(need);
      if (tail === null) this.#stageFrame(payload); // ring full: the batch is our backlog
      else {
        putWhole(this.#words, this.#buf, tail & this.#mask, payload);
        this.#publish(tail, need, 1);
      }
      return true;
    } finally {
      lockRelease(this.cells, kWriteLock);
    }
  }

  #stageFrame(payload: Uint8Array): void {
    (this.#batch ??= new FrameBatch(4096)).add(payload);
  }

  /**
   * Writes the frames this thread staged, waiting up to `ms` for the lock and for room (0: not
   * at all). Returns true once none is left.
   */
  flushStaged(ms: number): boolean {
    const batch = this.#batch;
    if (batch === null || batch.empty) return true;
    if (this.#stream !== null || !this.#lockWrite(ms)) return false;
    try {
      let deadline = -1;
      while (!this.#drainBatch(batch)) {
        if (ms <= 0) return false;
        if (deadline < 0) deadline = performance.now() + ms;
        if (!this.#waitSpace(deadline)) return false;
      }
      return true;
    } finally {
      lockRelease(this.cells, kWriteLock);
    }
  }

  /**
   * Under the write lock: copies as many staged frames as the ring has room for, in order, and
   * publishes them at once. Returns true if none is left.
   */
  #drainBatch(batch: FrameBatch): boolean {
    const start = Atomics.load(this.cells, kTail);
    const frames = batch.frames;
    const tail = batch.drainTo(this.#u8, this.#words, start, this.#freeFn);
    if (tail !== start) this.#publish(start, (tail - start) | 0, frames - batch.frames);
    return batch.empty;
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
    countedWake(this.cells, kTail, kReadWaiters, Infinity, kReadSeq);
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
    // Sleep only while the head is where it was when we found too little room (#freeAt re-reads
    // it before saying so): loaded anew here, it could be one that readers reached after
    // emptying the ring, and no reader would wake us. Counted before the re-check: a reader that
    // advances the head after it sees the count and notifies (channel/wake.ts).
    countedSleep(this.cells, kHead, kSpaceWaiters, this.#headSeen, Math.min(left, 50), kReaders);
    return true;
  }

  // --- reading ----------------------------------------------------------------------------------

  #advanceHead(from: number, size: number, claim: boolean): boolean {
    const to = (from + size) | 0;
    if (claim) {
      if (Atomics.compareExchange(this.cells, kHead, from, to) !== from) return false;
    } else {
      Atomics.store(this.cells, kHead, to);
    }
    // Writers waiting for room are woken once a good part of the ring is free again (the head
    // crosses a multiple of the stride), or the ring is empty: woken for each small frame read
    // from a full ring, a writer would write one frame per wake-up. Each step of a stream wakes
    // them (its writer waits for the room of each chunk; readers behind it, for it to pass).
    if (Atomics.load(this.cells, kSpaceWaiters) > 0 && (!claim || ((from ^ to) & this.#strideMask) !== 0 || Atomics.load(this.cells, kTail) === to)) {
      countedWake(this.cells, kHead, kSpaceWaiters);
    }
    return true;
  }

  /** Waits until the tail moves past `tail` (or the deadline); false on timeout. */
  #waitData(tail: number, deadline: number): boolean {
    for (let i = 0; i < kReadSpins; i++) if (Atomics.load(this.cells, kTail) !== tail) return true;
    const spin = this.spin;
    if (spin !== null) return this.#waitDataSpinning(spin, tail, deadline);
    const now = performance.now();
    return now < deadline && this.#sleepData(tail, deadline, now);
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
    // Counted before the last look at the tail (see #publish and channel/wake.ts).
    countedSleep(this.cells, kTail, kReadWaiters, tail, left, kWriters, kReadSeq);
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
        // Another reader may claim this frame and a writer reuse its bytes while we look at it:
        // copy it out, claim it, and decode the copy only once the claim succeeded. (A header
        // read from a stale head may be garbage: one that runs past the ring is not looked at.)
        if (pos + kHdr + len > this.capacity) continue;
        const copy = copyOut(this.#buf, pos + kHdr, len);
        if (this.#advanceHead(head, kHdr + pad8(len), true)) return decode(copy, 0, len);
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
      // The header is sound only if the head had not moved past it when it was read.
      if (Atomics.load(this.cells, kHead) !== head) continue;
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
    countedSleep(this.cells, kHead, kSpaceWaiters, head, Math.min(left, 50));
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
  waitRoomAsync(ms: number): Promise<void> {
    return waitRoomAsync(this, ms);
  }

  /** Async twin of poll(): resolves when a message (or EOF) can be read, or after `ms`. */
  pollAsync(ms: number): Promise<boolean> {
    return pollAsync(this, ms);
  }
}
