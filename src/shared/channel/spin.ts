// Part of shared/channel.ts (no CPython counterpart): the adaptive spin of a reader waiting for
// data on a channel (socket connections' recv(), see connection/listener.ts).

import { availableParallelism, loadavg } from "node:os";

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
