// Part of shared/channel.ts (no CPython counterpart): the frames a queue producer staged while
// another producer held the channel's write lock — the counterpart of the buffer of CPython's
// queue feeder thread (queues.py, Queue._buffer), in the ring's own frame format.
//
// Four producers writing one small item each under the write lock convoy on it: on two cores a
// holder is often descheduled with the lock, and the others spin on it. A producer that misses
// the lock instead stages its frame here (a copy into this thread's memory, no shared write) and
// goes on; the next time it holds the lock it writes the whole batch with one copy and one
// publish. The batch is this thread's alone: no Atomics here (the channel publishes).

import { kHdr, kLenMask, kWrap, pad8, putWhole } from "./layout.js";

/** Bytes an emptied batch keeps (a larger one is given back to the allocator). */
const kKeepBytes = 1 << 16;

/** Ready-made WHOLE frames of one thread, waiting to be copied into a channel's ring in order. */
export class FrameBatch {
  #u8: Uint8Array;
  #words: Int32Array;
  /** Offset of the first frame not yet copied out. */
  #start = 0;
  /** Offset after the last staged frame. */
  #end = 0;
  /** Frames staged and not yet copied out. */
  frames = 0;

  /**
   * A batch that starts with room for `capacity` bytes of frames (a multiple of 8) and grows as
   * needed: like the feeder thread's buffer, it holds whatever the ring cannot take yet.
   */
  constructor(capacity: number) {
    const buf = new ArrayBuffer(capacity);
    this.#u8 = new Uint8Array(buf);
    this.#words = new Int32Array(buf);
  }

  /** True if no frame is staged. */
  get empty(): boolean {
    return this.#start === this.#end;
  }

  /** Bytes of the frames staged. */
  get bytes(): number {
    return this.#end - this.#start;
  }

  /** Bytes of the first staged frame (header and padding included); 0 if none. */
  get firstFrameBytes(): number {
    return this.#start === this.#end ? 0 : kHdr + pad8(this.#words[this.#start >> 2]! & kLenMask);
  }

  /** Appends `payload` as a WHOLE frame. */
  add(payload: Uint8Array): void {
    const len = payload.length;
    const need = kHdr + pad8(len);
    if (this.#end + need > this.#u8.length) this.#makeRoom(need);
    const at = this.#end;
    putWhole(this.#words, this.#u8, at, payload);
    this.#end = at + need;
    this.frames++;
  }

  /** Moves the frames left over from partial copies to the front, or grows the batch. */
  #makeRoom(need: number): void {
    const used = this.#end - this.#start;
    let size = this.#u8.length;
    while (used + need > size >> 1) size *= 2;
    if (size === this.#u8.length) this.#u8.copyWithin(0, this.#start, this.#end);
    else this.#resize(size);
    this.#start = 0;
    this.#end = used;
  }

  #resize(size: number): void {
    const u8 = new Uint8Array(size);
    u8.set(this.#u8.subarray(this.#start, this.#end));
    this.#u8 = u8;
    this.#words = new Int32Array(u8.buffer);
  }

  /**
   * Copies as many frames as the ring has room for into `ring` (of which `words` is the Int32
   * view), in order, from the unpublished tail `tail`, marking the end of the ring skipped
   * (WRAP) where the next frame does not fit before it: frames never wrap. `free(tail, want)`
   * says how many bytes may be written at `tail` (re-reading the head if fewer than `want`).
   * Returns the new tail; the caller publishes. For a writer holding the write lock.
   */
  drainTo(ring: Uint8Array, words: Int32Array, tail: number, free: (tail: number, want: number) => number): number {
    const capacity = ring.length;
    while (this.#start !== this.#end) {
      const pos = tail & (capacity - 1);
      const toEnd = capacity - pos;
      const first = this.firstFrameBytes;
      if (first > toEnd) {
        if (toEnd + first > free(tail, toEnd + this.bytes)) break;
        words[pos >> 2] = kWrap << 30;
        tail = (tail + toEnd) | 0;
        continue;
      }
      const room = Math.min(toEnd, free(tail, Math.min(toEnd, this.bytes)));
      const n = room < first ? 0 : this.copyTo(ring, pos, room);
      if (n === 0) break;
      tail = (tail + n) | 0;
    }
    return tail;
  }

  /**
   * Copies the longest run of whole frames that fits in `room` bytes into `ring` at `pos`, in
   * order, and drops them from the batch. Returns the bytes copied (0 if the first frame does
   * not fit).
   */
  copyTo(ring: Uint8Array, pos: number, room: number): number {
    const words = this.#words;
    const start = this.#start;
    if (start === this.#end) return 0;
    const limit = Math.min(this.#end, start + room);
    let o = start;
    let n = 0;
    for (;;) {
      const size = kHdr + pad8(words[o >> 2]! & kLenMask);
      if (o + size > limit) break;
      o += size;
      n++;
      if (o === this.#end) break;
    }
    if (o === start) return 0;
    ring.set(this.#u8.subarray(start, o), pos);
    this.frames -= n;
    if (o === this.#end) {
      this.#start = this.#end = 0;
      if (this.#u8.length > kKeepBytes) this.#resize(kKeepBytes); // a burst is over
    } else {
      this.#start = o;
    }
    return o - start;
  }
}
