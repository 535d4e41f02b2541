// Part of shared/channel.ts (no CPython counterpart): the layout of a channel's memory — its
// control cells, then the ring of frames.
//
// A frame is an 8-byte header (type in the top 2 bits, chunk length in the low 30; a START frame
// also carries the message's total length in its second word) and the chunk, padded to 8 bytes.

/** Frame types. */
export const kWrap = 0;
export const kWhole = 1;
export const kStart = 2;
export const kCont = 3;
/** The length bits of a header. */
export const kLenMask = 0x3fffffff;
/** Bytes of a frame header. */
export const kHdr = 8;

/** `n` rounded up to a multiple of 8. */
export const pad8 = (n: number): number => (n + 7) & ~7;

/**
 * Writes `payload` as a WHOLE frame at byte `at` of a ring (or of a batch of staged frames),
 * whose words and bytes `words` and `u8` view from the same offset. A short payload is copied
 * byte by byte: cheaper than set()'s call into the runtime.
 */
export function putWhole(words: Int32Array, u8: Uint8Array, at: number, payload: Uint8Array): void {
  const len = payload.length;
  words[at >> 2] = (kWhole << 30) | len;
  if (len <= 16) {
    for (let i = 0; i < len; i++) u8[at + kHdr + i] = payload[i]!;
  } else {
    u8.set(payload, at + kHdr);
  }
}

// Control cells (Int32Array at offset 0), each group on its own 64-byte cache line: readers
// write the head, writers the tail and the lock; sharing a line would bounce it between the
// cores on every message.
/** Bytes consumed (wrapping counter). */
export const kHead = 0;
/** Bytes published (wrapping counter). */
export const kTail = 16;
/** Serializes writers. */
export const kWriteLock = 32;
/** OS thread id of the writer streaming a message under the write lock (0: none). */
export const kStreamTid = 33;
/** Readers sleeping for data (on kReadSeq). */
export const kReadWaiters = 48;
/**
 * Bumped by every wake of the readers (a publish that sees them counted, the last writer's close,
 * a dead stream's take-over): readers sleep on it, not on kTail, because a close leaves the tail
 * as it was, and a reader that slept on the unchanged tail after the close's notify had gone
 * would sleep forever (see wake.ts).
 */
export const kReadSeq = 49;
/** Writers (and readers waiting for a stream to pass) sleeping on kHead. */
export const kSpaceWaiters = 64;
/** Open write handles (Pipe EOF). */
export const kWriters = 80;
/** Open read handles (Pipe broken pipe). */
export const kReaders = 81;
/** Bytes before the ring. */
export const kControlBytes = 384;
