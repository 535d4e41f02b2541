// Port of the Barrier of CPython Lib/multiprocessing/synchronize.py (PSF-2.0), which reuses
// threading.Barrier's algorithm with its state in shared memory. Part of the synchronize module
// (re-exported there). Differs from Python: waiters sleep on a sequence word instead of a
// Condition, so abort() and reset() never wait for a party that died; and a party that dies
// inside wait() (terminate(), kill()) breaks the barrier, which reset() repairs (CPython's
// barrier waits forever for it).

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
// cells: [lock word, state, count, sequence, lock holder, waiter slots...]
const kState = 1;
const kCount = 2;
const kSeq = 3;
/** OS thread id of the lock's holder (0: none or unknown): a dead holder's lock is taken over. */
const kHolder = 4;
/** One slot per waiting party: its OS thread id, so that a party that died can be told. */
const kSlots = 5;
/** Parties beyond this many are not watched for death (their slots would cost a scan each). */
const kMaxSlots = 1024;
/** How often a sleeping waiter (or the lock) looks for parties that died. */
const kLivenessCheckMs = 100;

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
    this.cells = new Int32Array(new SharedArrayBuffer(4 * (kSlots + Math.max(0, Math.min(Math.trunc(Number(parties)) || 0, kMaxSlots)))));
    this.cells[0] = sem.kUnlocked;
    this.id = newSharedId();
    rememberShared(this.id, this);
  }

  #lock(): void {
    while (!sem.lockAcquire(this.cells, 0, kLivenessCheckMs)) {
      // A party terminated while it held the lock (a few instructions' window) would wedge the
      // barrier: the compare-exchange lets exactly one waiter take the dead holder's lock over.
      const holder = Atomics.load(this.cells, kHolder);
      if (sem.osThreadEnded(holder) && Atomics.compareExchange(this.cells, kHolder, holder, 0) === holder) sem.lockRelease(this.cells, 0);
    }
    Atomics.store(this.cells, kHolder, sem.osThreadId());
  }
  #unlock(): void {
    Atomics.store(this.cells, kHolder, 0);
    sem.lockRelease(this.cells, 0);
  }
  /** Records this thread as a waiting party (under the lock); returns its slot or -1. */
  #enter(): number {
    const tid = sem.osThreadId();
    if (tid === 0) return -1;
    for (let i = kSlots; i < this.cells.length; i++) {
      if (this.#get(i) === 0) {
        this.#set(i, tid);
        return i;
      }
    }
    return -1;
  }
  /**
   * Under the lock: forgets the waiting parties whose thread has ended (terminated, killed) and
   * breaks the barrier if there were any, as a wait that timed out would: the others will never
   * be released by a party that is gone. Returns true if one was found.
   */
  #reapDead(): boolean {
    let dead = 0;
    for (let i = kSlots; i < this.cells.length; i++) {
      const tid = this.#get(i);
      if (tid !== 0 && sem.osThreadEnded(tid)) {
        this.#set(i, 0);
        dead++;
      }
    }
    if (dead === 0) return false;
    this.#set(kCount, Math.max(0, this.#get(kCount) - dead));
    this.#break();
    return true;
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
    if (left > 0) sem.waitWhile(this.cells, kSeq, seq, Math.min(left, kLivenessCheckMs));
    this.#lock();
    if (this.#get(kSeq) === seq) this.#reapDead(); // nothing happened for a while: is a party gone?
    return performance.now() < deadline;
  }

  /**
   * Wait until all parties have called wait(); the last one runs `action` first. `timeout`
   * (seconds, positional or `{ timeout }`) defaults to the barrier's timeout.
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
      // A barrier still draining or resetting when we come may be waiting for a dead party.
      if (this.#get(kState) === kDraining || this.#get(kState) === kResetting) this.#reapDead();
      // Wait while the barrier drains or resets.
      while (this.#get(kState) === kDraining || this.#get(kState) === kResetting) {
        if (!this.#sleep(deadline()) && (this.#get(kState) === kDraining || this.#get(kState) === kResetting)) {
          throw new BrokenBarrierError();
        }
      }
      if (this.#get(kState) < 0) throw new BrokenBarrierError();
      const index = this.#get(kCount);
      this.#set(kCount, index + 1);
      const slot = this.#enter();
      try {
        if (index + 1 === this.#parties) {
          // A party that died inside wait() counts as arrived but will never leave: the barrier
          // is broken rather than tripped (CPython's would trip, then never drain).
          if (this.#reapDead()) throw new BrokenBarrierError();
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
        // A slot cleared by #reapDead() was a dead party's: ours is still ours if it holds our id.
        if (slot >= 0 && this.#get(slot) === sem.osThreadId()) this.#set(slot, 0);
        this.#set(kCount, Math.max(0, this.#get(kCount) - 1));
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
      this.#reapDead();
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
    if (this.#get(kState) !== kBroken && this.#get(kCount) > 0) {
      // Parties are inside wait(): one of them may be dead (look under the lock).
      this.#lock();
      try {
        this.#reapDead();
      } finally {
        this.#unlock();
      }
    }
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
