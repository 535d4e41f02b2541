// Port of the Barrier of CPython Lib/multiprocessing/synchronize.py (PSF-2.0), which reuses
// threading.Barrier's algorithm with its state in shared memory. Part of the synchronize module
// (re-exported there). Differs from Python: waiters sleep on a sequence word instead of a
// Condition, so abort() and reset() never wait for a party that died.

import { addressOf } from "../shared/current.js";
import { PyObject } from "../shared/pyobject.js";
import { newSharedId, register, rememberShared, rebuildOnce } from "../shared/reduction.js";
import * as sem from "../shared/semlock.js";
import { BrokenBarrierError } from "../errors.js";
import { as, p, sig, type Bound } from "../shared/binder.js";
import * as cv from "../shared/convert.js";

const BARRIER_WAIT = sig("Barrier.wait", [p("timeout", as<number | null>(), { default: null })], { method: true });

/**
 * The deadline (performance.now() ms) of a wait with `timeout` seconds, checked as CPython's
 * Condition.wait_for() then SemLock.acquire() check it: only when the party has to sleep.
 */
function deadlineOf(timeout: unknown): number {
  const t = cv.addTimeout(timeout);
  if (t === null) return Infinity;
  if (t <= 0) return performance.now();
  return performance.now() + cv.semWaitMs(true, t);
}

// --- Barrier --------------------------------------------------------------------------------

const kFilling = 0;
const kDraining = 1;
const kResetting = -1;
const kBroken = -2;
// cells: [lock word, state, count, sequence]
const kState = 1;
const kCount = 2;
const kSeq = 3;

/** A callable run by the last party to arrive: a function, or an object with `__call__()`. */
export type BarrierAction = (() => unknown) | { __call__(): unknown };

/** Keyword arguments of `Barrier`. */
export interface BarrierOptions {
  action?: BarrierAction | null;
  timeout?: number | null;
}

/**
 * A barrier for a fixed number of parties: each `wait()` blocks until `parties` processes wait.
 * Port of threading.Barrier's algorithm with its state in shared memory; waiters sleep on a
 * sequence word instead of a Condition, so abort() and reset() never wait for a dead party.
 */
export class Barrier extends PyObject {
  /** @internal */
  readonly cells: Int32Array;
  /** @internal */
  readonly id: string;
  readonly #parties: number;
  /** @internal */
  readonly action: BarrierAction | null;
  /** @internal */
  readonly timeout: number | null;

  constructor(parties: number, action?: BarrierAction | BarrierOptions | null, timeout?: number | null,
              state?: { cells: Int32Array; id: string; parties: number; action: BarrierAction | null; timeout: number | null }) {
    super();
    if (state) {
      this.cells = state.cells;
      this.id = state.id;
      this.#parties = state.parties;
      this.action = state.action;
      this.timeout = state.timeout;
      return;
    }
    if (action !== null && typeof action === "object" && !("__call__" in action)) {
      ({ action = null, timeout = null } = action as BarrierOptions);
    }
    this.#parties = parties;
    this.action = (action as BarrierAction | null | undefined) ?? null;
    this.timeout = timeout ?? null;
    this.cells = new Int32Array(new SharedArrayBuffer(16));
    this.cells[0] = sem.kUnlocked;
    this.id = newSharedId();
    rememberShared(this.id, this);
  }

  #lock(): void {
    sem.lockAcquire(this.cells, 0, Infinity);
  }
  #unlock(): void {
    sem.lockRelease(this.cells, 0);
  }
  #get(i: number): number {
    return Atomics.load(this.cells, i);
  }
  #set(i: number, v: number): void {
    Atomics.store(this.cells, i, v);
  }
  /** Every state change bumps the sequence word and wakes all sleepers, which re-check. */
  #notifyAll(): void {
    Atomics.add(this.cells, kSeq, 1);
    sem.wake(this.cells, kSeq);
  }
  /** Releases the lock, sleeps until the next state change (or `deadline`), re-takes the lock. */
  #sleep(deadline: number): boolean {
    const seq = this.#get(kSeq);
    this.#unlock();
    const left = deadline - performance.now();
    if (left > 0) sem.waitWhile(this.cells, kSeq, seq, left);
    this.#lock();
    return performance.now() < deadline;
  }

  /**
   * Wait until all parties have called wait(); the last one runs `action` first.
   * @param timeout seconds; defaults to the barrier's timeout.
   * @returns the arrival index, 0 for the first party to arrive up to parties - 1 for the last.
   * @throws BrokenBarrierError if the barrier is broken, reset or aborted while waiting, or times out.
   */
  wait(...args: Bound<typeof BARRIER_WAIT>): number {
    const [timeout] = BARRIER_WAIT.bind(args);
    const t = timeout ?? this.timeout;
    let d: number | null = null;
    const deadline = () => (d ??= deadlineOf(t));
    this.#lock();
    try {
      // Wait while the barrier drains or resets.
      while (this.#get(kState) === kDraining || this.#get(kState) === kResetting) {
        if (!this.#sleep(deadline()) && (this.#get(kState) === kDraining || this.#get(kState) === kResetting)) {
          throw new BrokenBarrierError();
        }
      }
      if (this.#get(kState) < 0) throw new BrokenBarrierError();
      const index = this.#get(kCount);
      this.#set(kCount, index + 1);
      try {
        if (index + 1 === this.#parties) {
          this.#release();
        } else {
          while (this.#get(kState) === kFilling) {
            if (!this.#sleep(deadline()) && this.#get(kState) === kFilling) {
              this.#break();
              throw new BrokenBarrierError();
            }
          }
          if (this.#get(kState) < 0) throw new BrokenBarrierError();
        }
        return index;
      } finally {
        this.#set(kCount, this.#get(kCount) - 1);
        this.#exit();
      }
    } finally {
      this.#unlock();
    }
  }

  #release(): void {
    try {
      const a = this.action;
      if (a) typeof a === "function" ? a() : a.__call__();
      this.#set(kState, kDraining);
      this.#notifyAll();
    } catch (e) {
      this.#break();
      throw e;
    }
  }

  #exit(): void {
    if (this.#get(kCount) === 0) {
      const s = this.#get(kState);
      if (s === kResetting || s === kDraining) {
        this.#set(kState, kFilling);
        this.#notifyAll();
      }
    }
  }

  #break(): void {
    this.#set(kState, kBroken);
    this.#notifyAll();
  }

  /** Return the barrier to its empty state; current waiters get BrokenBarrierError. */
  reset(): void {
    this.#lock();
    try {
      if (this.#get(kCount) > 0) {
        const s = this.#get(kState);
        if (s === kFilling || s === kBroken) this.#set(kState, kResetting);
      } else {
        this.#set(kState, kFilling);
      }
      this.#notifyAll();
    } finally {
      this.#unlock();
    }
  }

  /** Put the barrier into the broken state: current and future waits raise BrokenBarrierError. */
  abort(): void {
    this.#lock();
    try {
      this.#break();
    } finally {
      this.#unlock();
    }
  }

  /** The number of parties required to pass the barrier. */
  get parties(): number {
    return this.#parties;
  }
  /** The number of parties currently waiting. */
  get n_waiting(): number {
    return this.#get(kState) === kFilling ? this.#get(kCount) : 0;
  }
  /** True if the barrier is broken. */
  get broken(): boolean {
    return this.#get(kState) === kBroken;
  }

  /** `<multiprocessing.synchronize.Barrier at 0x7f…: waiters=0/4>`. */
  __repr__(): string {
    const head = `<multiprocessing.synchronize.${this.constructor.name} at ${addressOf(this)}`;
    if (this.broken) return `${head}: broken>`;
    return `${head}: waiters=${this.n_waiting}/${this.parties}>`;
  }
}

register("Barrier", Barrier, {
  reduce: (b: Barrier) => ({ cells: b.cells, id: b.id, parties: b.parties, action: b.action, timeout: b.timeout }),
  rebuild: (s) => rebuildOnce(s.id, () => new Barrier(s.parties, null, null, s)),
});
