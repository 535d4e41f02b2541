// The one home of Atomics.wait / Atomics.notify (with shared/channel.ts for byte streams).
// Ports the semantics of CPython's Modules/_multiprocessing/semaphore.c (SemLock) onto cells of
// an Int32Array over a SharedArrayBuffer, so that every thread of the process tree can block on
// them without any event loop: the main thread may sit in join() while children use them.

import { existsSync, readlinkSync } from "node:fs";

/** Lock word states. */
export const kUnlocked = 1;
export const kLocked = 0;
/** Locked, and at least one thread may be sleeping on the word: release must notify. */
export const kContended = -1;

/** Largest semaphore value, as CPython's SEM_VALUE_MAX on Linux. */
export const SEM_VALUE_MAX = 2147483647;

// --- idle services ---------------------------------------------------------------------------
// Work this thread owes others while it sleeps: queue writes that did not fit into a full channel
// wait in a per-thread backlog (as CPython's feeder thread buffer), and Pool results with
// callbacks wait to be delivered (CPython's result-handler thread). Every blocking wait of the
// library goes through waitWhile(), which runs these services in slices while any has work, so a
// thread blocked in get(), acquire(), join() or sleep() still feeds its queues and runs its
// Pool callbacks.

/** A service returns true while it still has work (the wait then sleeps in short slices). */
export type IdleService = () => boolean;
const services = new Set<IdleService>();
/** Services running further up this thread's stack: a nested wait does not re-enter them. */
const running = new Set<IdleService>();

/** @internal registers a service (idempotent); it stays until removed. */
export function addIdleService(service: IdleService): void {
  services.add(service);
}
/** @internal unregisters a service. */
export function removeIdleService(service: IdleService): void {
  services.delete(service);
}

/** Runs every service once; true if any still has work. */
function runServices(): boolean {
  let more = false;
  for (const service of services) {
    if (running.has(service)) continue;
    running.add(service);
    try {
      if (service()) more = true;
    } finally {
      running.delete(service);
    }
  }
  return more;
}
const kIdleSliceMs = 2;

/** Result of one wait. */
export type WaitResult = "ok" | "not-equal" | "timed-out";

/**
 * Waits while `cells[index] === expected`, up to `timeoutMs` (Infinity = forever), running this
 * thread's idle services meanwhile. The only blocking Atomics.wait of the library with
 * channel.ts's (which calls this). Returns as soon as the cell changes or is notified; spurious
 * returns are the caller's to loop on.
 */
export function waitWhile(cells: Int32Array, index: number, expected: number, timeoutMs: number): WaitResult {
  if (services.size === 0 || !runServices()) return Atomics.wait(cells, index, expected, timeoutMs);
  // A service has work: wait in short slices and run the services between them.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return "timed-out";
    const r = Atomics.wait(cells, index, expected, Math.min(left, kIdleSliceMs));
    if (r !== "timed-out") return r;
    if (!runServices()) return Atomics.wait(cells, index, expected, Math.max(0, deadline - performance.now()));
  }
}

const pauseCell = new Int32Array(new SharedArrayBuffer(4));
/**
 * Sleeps `ms` without running any service: for waits inside a service's own work (a write to a
 * full stdout pipe), where running the services could interleave their output with ours.
 */
export function pauseQuietly(ms: number): void {
  Atomics.wait(pauseCell, 0, 0, ms);
}

// --- thread liveness -------------------------------------------------------------------------
// A thread that is terminated cannot say so, and its parent's 'exit' event needs an event loop
// that may be blocked. The kernel knows: on Linux every worker thread is a task whose entry in
// /proc/self/task disappears the moment the thread has ended. A thread records its task id where
// others can read it (a lock's holder, a channel's streaming writer, a child's status), and
// others check it.

let ownTid = -1;
/** This thread's OS task id (Linux), or 0 where it cannot be known. */
export function osThreadId(): number {
  if (ownTid < 0) {
    try {
      ownTid = Number(readlinkSync("/proc/thread-self").split("/").pop()) || 0;
    } catch {
      ownTid = 0;
    }
  }
  return ownTid;
}

/** True if the thread with OS task id `tid` has ended; false if it runs or cannot be known (tid 0). */
export function osThreadEnded(tid: number): boolean {
  return tid > 0 && !existsSync(`/proc/self/task/${tid}`);
}

/** Wakes up to `count` threads waiting on the cell. */
export function wake(cells: Int32Array, index: number, count = Infinity): void {
  Atomics.notify(cells, index, count);
}

/** Converts Python's (block, timeout in seconds) to milliseconds; 0 means "do not wait". */
export function timeoutMs(block: boolean, timeout: number | null | undefined): number {
  if (!block) return 0;
  if (timeout === null || timeout === undefined) return Infinity;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) return Infinity;
  return timeout <= 0 ? 0 : timeout * 1000;
}

/** Sleeps the calling thread for `ms` milliseconds (flushing queue backlogs meanwhile). */
export function sleepMs(ms: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = performance.now() + ms;
  for (let left = ms; left > 0; left = deadline - performance.now()) waitWhile(cell, 0, 0, left);
}

// --- binary lock (Lock, RLock) ---------------------------------------------------------------

/** Takes the lock if it is free. One CAS: the uncontended fast path. */
export function lockTryAcquire(cells: Int32Array, index: number): boolean {
  return Atomics.compareExchange(cells, index, kUnlocked, kLocked) === kUnlocked;
}

/** Takes the lock, waiting up to `ms` (Infinity = forever). Returns whether it was taken. */
export function lockAcquire(cells: Int32Array, index: number, ms: number): boolean {
  if (Atomics.compareExchange(cells, index, kUnlocked, kLocked) === kUnlocked) return true;
  if (ms <= 0) return false;
  const deadline = ms === Infinity ? Infinity : performance.now() + ms;
  // Mark the word contended before sleeping, so the holder's release() knows to notify. If the
  // exchange finds the word unlocked, we own it (left contended: at worst one spare notify).
  // Sleeping only while the word is still kContended closes the lost-wake-up window between our
  // exchange and our wait.
  while (Atomics.exchange(cells, index, kContended) !== kUnlocked) {
    const left = deadline === Infinity ? Infinity : deadline - performance.now();
    if (left <= 0) return false;
    waitWhile(cells, index, kContended, left);
  }
  return true;
}

/** Async twin of lockAcquire: never blocks the event loop. */
export async function lockAcquireAsync(cells: Int32Array, index: number, ms: number): Promise<boolean> {
  if (Atomics.compareExchange(cells, index, kUnlocked, kLocked) === kUnlocked) return true;
  if (ms <= 0) return false;
  const deadline = performance.now() + ms;
  // Same protocol as lockAcquire: mark contended, then sleep only while still contended.
  while (Atomics.exchange(cells, index, kContended) !== kUnlocked) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await waitWhileAsync(cells, index, kContended, left);
  }
  return true;
}

/**
 * Releases the lock. Returns false when it was not locked (the caller raises Python's error).
 * Any thread may release, as with CPython's Lock (a binary semaphore).
 */
export function lockRelease(cells: Int32Array, index: number): boolean {
  // One exchange both releases and tells whether anyone may sleep: no window where a waiter
  // marks the word contended after we looked but before we stored.
  const prev = Atomics.exchange(cells, index, kUnlocked);
  if (prev === kContended) Atomics.notify(cells, index, 1);
  return prev !== kUnlocked;
}

/** True if the lock word is free. */
export function lockIsFree(cells: Int32Array, index: number): boolean {
  return Atomics.load(cells, index) === kUnlocked;
}

// --- counting semaphore: cells[index] = value, cells[index + kSleepers] = sleepers ------------
// The sleeper count sits on its own 64-byte cache line: waiters update it while others take and
// give the value, and sharing a line would make every update invalidate the other's cache.

/** Offset of a semaphore's sleeper count from its value, in cells. */
export const kSleepers = 16;
/** Cells a semaphore needs. */
export const kSemCells = 17;

/** Decrements the semaphore if it is positive. */
export function semTryAcquire(cells: Int32Array, index: number): boolean {
  for (let v = Atomics.load(cells, index); v > 0; ) {
    const seen = Atomics.compareExchange(cells, index, v, v - 1);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/** Decrements the semaphore, waiting up to `ms` for it to become positive. */
export function semAcquire(cells: Int32Array, index: number, ms: number): boolean {
  if (semTryAcquire(cells, index)) return true;
  if (ms <= 0) return false;
  const deadline = ms === Infinity ? Infinity : performance.now() + ms;
  // Count ourselves as a sleeper before re-checking the value: a release() that lands after our
  // re-check sees the sleeper count and notifies, and one that lands before it is seen by the
  // re-check (all Atomics are sequentially consistent).
  Atomics.add(cells, index + kSleepers, 1);
  try {
    for (;;) {
      if (semTryAcquire(cells, index)) return true;
      const left = deadline === Infinity ? Infinity : deadline - performance.now();
      if (left <= 0) return false;
      waitWhile(cells, index, 0, left);
    }
  } finally {
    Atomics.sub(cells, index + kSleepers, 1);
  }
}

/** Async twin of semAcquire. */
export async function semAcquireAsync(cells: Int32Array, index: number, ms: number): Promise<boolean> {
  if (semTryAcquire(cells, index)) return true;
  if (ms <= 0) return false;
  const deadline = performance.now() + ms;
  Atomics.add(cells, index + kSleepers, 1); // sleeper count first: same race as semAcquire
  try {
    for (;;) {
      if (semTryAcquire(cells, index)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await waitWhileAsync(cells, index, 0, left);
    }
  } finally {
    Atomics.sub(cells, index + kSleepers, 1);
  }
}

/** Increments the semaphore unless it is at `maxvalue`; returns false in that case. */
export function semRelease(cells: Int32Array, index: number, maxvalue: number): boolean {
  if (maxvalue === SEM_VALUE_MAX) {
    // Unbounded: one add (undone in the practically unreachable case of overflow).
    if (Atomics.add(cells, index, 1) === SEM_VALUE_MAX) {
      Atomics.sub(cells, index, 1);
      return false;
    }
    if (Atomics.load(cells, index + kSleepers) > 0) Atomics.notify(cells, index, 1);
    return true;
  }
  for (let v = Atomics.load(cells, index); ; ) {
    if (v >= maxvalue) return false;
    const seen = Atomics.compareExchange(cells, index, v, v + 1);
    if (seen === v) break;
    v = seen;
  }
  // Sleepers registered themselves before their last check of the value (see semAcquire).
  if (Atomics.load(cells, index + kSleepers) > 0) Atomics.notify(cells, index, 1);
  return true;
}

// --- flags and counters ----------------------------------------------------------------------

/** Spins briefly, then sleeps, while cells[index] === expected. Returns false on timeout. */
export function waitUntilChanged(cells: Int32Array, index: number, expected: number, ms: number, spins = 0): boolean {
  for (let i = 0; i < spins; i++) if (Atomics.load(cells, index) !== expected) return true;
  if (ms <= 0) return Atomics.load(cells, index) !== expected;
  const deadline = performance.now() + ms;
  while (Atomics.load(cells, index) === expected) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    waitWhile(cells, index, expected, left);
  }
  return true;
}

/**
 * Sleeps while `cells[index] === expected`, up to `timeoutMs` (Infinity = forever), and nothing
 * else: for a thread that runs no library code and owes no service (the shared_memory registry
 * host, whose program embeds this function's source: keep it self-contained).
 */
export function sleepWhilePlain(cells: Int32Array, index: number, expected: number, timeoutMs: number): WaitResult {
  return Atomics.wait(cells, index, expected, timeoutMs);
}

/** Async twin of waitUntilChanged. */
export async function waitUntilChangedAsync(cells: Int32Array, index: number, expected: number, ms: number): Promise<boolean> {
  if (ms <= 0) return Atomics.load(cells, index) !== expected;
  const deadline = performance.now() + ms;
  while (Atomics.load(cells, index) === expected) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await waitWhileAsync(cells, index, expected, left);
  }
  return true;
}

/**
 * Atomics.waitAsync plus a ref'd timer: a pending waitAsync alone does not keep Node's event loop
 * alive (feasibility.md §8), so the process could exit under an awaited acquire_async().
 */
export function waitWhileAsync(cells: Int32Array, index: number, expected: number, ms: number): Promise<WaitResult> {
  const r = (Atomics as any).waitAsync(cells, index, expected, ms === Infinity ? undefined : ms) as
    | { async: false; value: WaitResult }
    | { async: true; value: Promise<WaitResult> };
  if (!r.async) return Promise.resolve(r.value);
  const keepAlive = setInterval(() => {}, ms === Infinity ? 1 << 30 : Math.max(1, Math.ceil(ms) + 1000));
  return r.value.finally(() => clearInterval(keepAlive));
}

// --- short robust lock (owner-tagged) ----------------------------------------------------------
// For data held in shared memory for a few microseconds at a time (a manager's builtin referents,
// managers/shared_referents.ts): the word is 0 when free, else the OS thread id of its holder
// (-1 where unknown). A holder whose thread has ended (terminated mid-operation) is replaced, as
// with a robust mutex: the data it guards must be published by single stores, so that what a dead
// holder left half-written is never seen.

/** Sleep slice of a waiter on an owner-tagged lock between looks at its holder's liveness (ms). */
const kOwnedLockSliceMs = 50;

/**
 * Takes an owner-tagged lock word, spinning up to `spins` looks before sleeping.
 * `cells[waitersIndex]` counts the threads sleeping on it (see ownedLockRelease).
 */
export function ownedLockAcquire(cells: Int32Array, index: number, waitersIndex: number, spins = 64): void {
  const me = osThreadId() || -1;
  // One compare-exchange takes a free word: two takers cannot both see it free.
  if (Atomics.compareExchange(cells, index, 0, me) === 0) return;
  // Bounded spin (holders keep the word for microseconds): loads only, so that spinning does not
  // take the holder's cache line away from it; the compare-exchange settles a race to take it.
  for (let i = 0; i < spins; i++) {
    if (Atomics.load(cells, index) === 0 && Atomics.compareExchange(cells, index, 0, me) === 0) return;
  }
  // Counted as a sleeper before the last look at the word: a release that lands after that look
  // sees the count and notifies; one that lands before it is seen by the look (the word is 0, or
  // another holder's id, so the wait returns "not-equal"). A holder that re-takes the word between
  // our look and our wait leaves us asleep until its next release, which notifies (we are counted).
  Atomics.add(cells, waitersIndex, 1);
  try {
    for (;;) {
      const holder = Atomics.load(cells, index);
      if (holder === 0) {
        if (Atomics.compareExchange(cells, index, 0, me) === 0) return;
        continue;
      }
      if (waitWhile(cells, index, holder, kOwnedLockSliceMs) === "timed-out" && osThreadEnded(holder)) {
        // The compare-exchange lets exactly one waiter take over from the dead holder.
        if (Atomics.compareExchange(cells, index, holder, me) === holder) return;
      }
    }
  } finally {
    Atomics.sub(cells, waitersIndex, 1);
  }
}

/** Releases an owner-tagged lock word, waking one sleeper if any is counted. */
export function ownedLockRelease(cells: Int32Array, index: number, waitersIndex: number): void {
  // Store first, then read the count: a waiter counts itself before its last look (above).
  Atomics.store(cells, index, 0);
  if (Atomics.load(cells, waitersIndex) > 0) Atomics.notify(cells, index, 1);
}
