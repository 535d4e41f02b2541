// Part of shared/channel.ts (no CPython counterpart): counted sleeps and wake-ups on a channel's
// head and tail cells. A sleeper counts itself before its last look at the cell; a waker stores
// the cell, then loads the count, and calls Atomics.notify only if it is positive: under the
// sequential consistency of Atomics, either the sleeper sees the new value and does not sleep,
// or the waker sees the count and wakes it — no wake-up is lost, and a message sent while no one
// sleeps costs no notify (which takes V8's process-wide futex mutex). The sleeper uncounts
// itself when it wakes.
//
// A sleeper may also wait for a condition that does not change the cell (the other side's last
// close leaves the tail as it was): a notify that lands between its last look and its sleep would
// be lost, and it would sleep on the unchanged cell for good. Such sleepers sleep on a sequence
// cell instead, read before they count themselves, which every wake bumps before notifying: a
// wake after that read makes their sleep return at once.

import { waitWhile } from "../semlock.js";

/**
 * Sleeps on `cells[index]` while it equals `value`, up to `ms`, counted in `cells[counter]`, and
 * (if `handles` is a cell) while `cells[handles]` is positive: the other side's open handles,
 * whose last close wakes the counted sleepers. Both are looked at after counting, or a close
 * between our look and our count would wake no one. waitWhile also delivers this process's
 * queue backlog while we sleep (semlock.ts).
 */
export function countedSleep(cells: Int32Array, index: number, counter: number, value: number, ms: number, handles = -1, seq = -1): void {
  // With a sequence cell, its value is read before counting (see the file comment).
  const seen = seq >= 0 ? Atomics.load(cells, seq) : 0;
  Atomics.add(cells, counter, 1);
  try {
    if (Atomics.load(cells, index) === value && (handles < 0 || Atomics.load(cells, handles) > 0)) {
      if (seq >= 0) waitWhile(cells, seq, seen, ms);
      else waitWhile(cells, index, value, ms);
    }
  } finally {
    Atomics.sub(cells, counter, 1);
  }
}

/**
 * Wakes up to `count` sleepers counted in `cells[counter]` on `cells[index]` (call after storing the
 * cell, or the handles), or on the sequence cell `seq` (bumped first) when they sleep on one.
 */
export function countedWake(cells: Int32Array, index: number, counter: number, count = Infinity, seq = -1): void {
  if (Atomics.load(cells, counter) <= 0) return;
  if (seq < 0) {
    Atomics.notify(cells, index, count);
    return;
  }
  Atomics.add(cells, seq, 1);
  Atomics.notify(cells, seq, count);
}
