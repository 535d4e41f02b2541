// Part of shared/channel.ts (no CPython counterpart): the async waits of a channel, for threads
// that must keep their event loop turning (the socket host, get_async()). They follow the same
// counted-waiter protocol as the blocking waits of channel.ts.

import type { Channel } from "../channel.js";
import { kHead, kReadSeq, kReadWaiters, kSpaceWaiters, kTail } from "./layout.js";

/**
 * Async wait for room: resolves once a reader has moved the head (or no reader is left), or
 * after `ms`. For a writer on an event loop (the socket host) that must not block its thread.
 */
export async function waitRoomAsync(ch: Channel, ms: number): Promise<void> {
  const head = Atomics.load(ch.cells, kHead);
  // Counted as a sleeping writer before the last look at the head, so that a reader that
  // advances it afterwards sees the count and notifies (see wake.ts).
  Atomics.add(ch.cells, kSpaceWaiters, 1);
  try {
    if (Atomics.load(ch.cells, kHead) !== head || ch.readersGone) return;
    const r = (Atomics as any).waitAsync(ch.cells, kHead, head, ms);
    if (r.async) await r.value;
  } finally {
    Atomics.sub(ch.cells, kSpaceWaiters, 1);
  }
}

/** Async twin of poll(): resolves when a message (or EOF) can be read, or after `ms`. */
export async function pollAsync(ch: Channel, ms: number): Promise<boolean> {
  const deadline = ms === Infinity ? Infinity : performance.now() + ms;
  for (;;) {
    const tail = Atomics.load(ch.cells, kTail);
    if (Atomics.load(ch.cells, kHead) !== tail || ch.writersGone) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    // Counted as a sleeping reader so that writers notify (see wake.ts); the timer keeps the
    // event loop alive, which a pending waitAsync alone does not.
    // Asleep on the wake sequence, read before counting, as countedSleep does (wake.ts).
    const seq = Atomics.load(ch.cells, kReadSeq);
    Atomics.add(ch.cells, kReadWaiters, 1);
    try {
      if (Atomics.load(ch.cells, kTail) !== tail || ch.writersGone) continue; // looked at after counting
      const r = (Atomics as any).waitAsync(ch.cells, kReadSeq, seq, Math.min(left, 1000));
      if (r.async) {
        const keepAlive = setTimeout(() => {}, Math.min(left, 1000) + 10);
        await r.value;
        clearTimeout(keepAlive);
      }
    } finally {
      Atomics.sub(ch.cells, kReadWaiters, 1);
    }
  }
}
