// Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event, Barrier: semantics, timeouts,
// misuse errors, async twins, use from the main thread while children run, and a stress test.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as t from "./fixtures/targets.js";
import { spawn } from "./helpers/processes.js";

/** Tolerant timing: at least `lo` seconds, and not absurdly more. */
function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, (performance.now() - t0) / 1000];
}

describe("Lock", () => {
  test("acquire(false) fails while held and acquire(timeout) waits about the timeout", () => {
    const l = mp.Lock();
    expect(l.acquire()).toBe(true);
    expect(l.acquire(false)).toBe(false);
    const [r, dt] = timed(() => l.acquire({ timeout: 0.1 }));
    expect(r).toBe(false);
    expect(dt).toBeGreaterThanOrEqual(0.08);
    expect(dt).toBeLessThan(2);
    expect(timed(() => l.acquire(false, 5))[1]).toBeLessThan(1);
    l.release();
  });

  test("release() of an unheld lock is a ValueError, and 'blocking' is not a keyword", () => {
    const l = mp.Lock();
    expect(() => l.release()).toThrow(mp.py.ValueError);
    expect(() => l.release()).toThrow("semaphore or lock released too many times");
    expect(() => l.acquire({ blocking: true } as any)).toThrow("'blocking' is an invalid keyword argument for acquire()");
  });

  test("with() releases after the callback, also when it throws, and after an async callback settles", async () => {
    const l = mp.Lock();
    expect(l.with((entered) => entered)).toBe(true);
    expect(() => l.with(() => { throw new Error("x"); })).toThrow("x");
    expect(l.acquire(false)).toBe(true);
    l.release();
    const p = l.with(async () => { await new Promise((r) => setTimeout(r, 5)); return 7; });
    expect(l.acquire(false)).toBe(false);
    expect(await p).toBe(7);
    expect(l.acquire(false)).toBe(true);
    l.release();
  });

  test("using releases at the end of the scope", () => {
    const l = mp.Lock();
    {
      l.acquire();
      using _held = l;
      expect(l.acquire(false)).toBe(false);
    }
    expect(l.acquire(false)).toBe(true);
    l.release();
  });

  test("a lock held by a terminated child stays locked until any process releases it", () => {
    const l = mp.Lock();
    const held = mp.Event();
    const p = spawn({ target: t.holdLock, args: [l, held, 60] });
    expect(held.wait(30)).toBe(true);
    expect(String(l)).toBe("<Lock(owner=SomeOtherProcess)>");
    expect(l.acquire({ timeout: 0.05 })).toBe(false);
    p.terminate();
    p.join();
    // As in Python, a lock held by a terminated process stays locked; any process may release it.
    expect(l.acquire(false)).toBe(false);
    l.release();
    expect(l.acquire(false)).toBe(true);
    l.release();
  });

  test("another process may release a lock it did not acquire", () => {
    const l = mp.Lock();
    l.acquire();
    const q = mp.Queue();
    const p = spawn({ target: t.releaseLock, args: [l, q] });
    expect(q.get(true, 30)).toBe("released");
    p.join();
    expect(l.acquire(false)).toBe(true);
  });

  test("acquire_async() waits without blocking the event loop", async () => {
    const l = mp.Lock();
    l.acquire();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    setTimeout(() => l.release(), 50);
    expect(await l.acquire_async()).toBe(true);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
    expect(await l.acquire_async({ timeout: 0.05 })).toBe(false);
  });

  test("4 children × 50,000 lock-protected increments end exact", () => {
    const l = mp.Lock();
    const v = mp.Value("i", 0, { lock: false }) as any;
    const sync = mp.Value("i", 0);
    void v;
    const procs = [0, 1, 2, 3].map(() => spawn({ target: t.incrementLocked, args: [l, sync, 50_000] }));
    for (const p of procs) p.join();
    expect(procs.map((p) => p.exitcode)).toEqual([0, 0, 0, 0]);
    expect(sync.value).toBe(200_000);
  });
});

describe("RLock", () => {
  test("the owner re-acquires; each acquire needs a release; others get AssertionError", () => {
    const r = mp.RLock();
    expect([r.acquire(), r.acquire(false), r.acquire({ timeout: 1 })]).toEqual([true, true, true]);
    expect(String(r)).toBe("<RLock(MainProcess, 3)>");
    r.release();
    r.release();
    r.release();
    expect(String(r)).toBe("<RLock(None, 0)>");
    expect(() => r.release()).toThrow(mp.py.AssertionError);
    expect(() => r.release()).toThrow("attempt to release recursive lock not owned by thread");
  });
});

describe("Semaphore and BoundedSemaphore", () => {
  test("counts, times out, and reports its value", () => {
    const s = mp.Semaphore(2);
    expect([s.acquire(), s.acquire(), s.acquire(false)]).toEqual([true, true, false]);
    expect(s.get_value()).toBe(0);
    const [r, dt] = timed(() => s.acquire(true, 0.1));
    expect(r).toBe(false);
    expect(dt).toBeGreaterThanOrEqual(0.08);
    s.release();
    s.release();
    s.release(); // an unbounded semaphore may exceed its initial value
    expect(String(s)).toBe("<Semaphore(value=3)>");
  });

  test("constructor errors are Python's", () => {
    expect(() => mp.Semaphore(-1)).toThrow("[Errno 22] Invalid argument");
    expect(() => mp.Semaphore(2 ** 31)).toThrow("Python int too large to convert to C int");
    expect(() => mp.Semaphore("a" as any)).toThrow("'str' object cannot be interpreted as an integer");
  });

  test("a bounded semaphore refuses to go above its initial value", () => {
    const b = mp.BoundedSemaphore(1);
    expect(() => b.release()).toThrow("semaphore or lock released too many times");
    expect(String(b)).toBe("<BoundedSemaphore(value=1, maxvalue=1)>");
  });

  test("BoundedSemaphore(2) lets at most two of four processes in at once", () => {
    const s = mp.BoundedSemaphore(2);
    const inside = mp.Value("i", 0);
    const maxSeen = mp.Value("i", 0);
    const procs = [0, 1, 2, 3].map(() => spawn({ target: t.semaphoreHold, args: [s, inside, maxSeen, 2000] }));
    for (const p of procs) p.join();
    expect(procs.map((p) => p.exitcode)).toEqual([0, 0, 0, 0]);
    expect(maxSeen.value).toBeLessThanOrEqual(2);
    expect(maxSeen.value).toBeGreaterThanOrEqual(1);
    expect(s.get_value()).toBe(2);
  });
});

describe("Condition", () => {
  test("wait() and notify() need the lock, with Python's assertion messages", () => {
    const c = mp.Condition();
    expect(() => c.wait()).toThrow("must acquire() condition before using wait()");
    expect(() => c.notify()).toThrow("lock is not owned");
    expect(c.with(() => c.wait(0.01))).toBe(false);
    expect(String(c)).toBe("<Condition(<RLock(None, 0)>, 0)>");
  });

  test("notify() wakes a waiting child and wait() returns true; wait(timeout) returns false", () => {
    const c = mp.Condition(mp.Lock());
    const ready = mp.Semaphore(0);
    const q = mp.Queue();
    const p = spawn({ target: t.conditionWaiter, args: [c, ready, q, null] });
    expect(ready.acquire(true, 30)).toBe(true);
    c.with(() => c.notify());
    expect(q.get(true, 30)).toBe(true);
    p.join();
    const p2 = spawn({ target: t.conditionWaiter, args: [c, ready, q, 0.05] });
    expect(q.get(true, 30)).toBe(false);
    p2.join();
  });

  test("notify() does not hang on a waiter that was terminated", () => {
    const c = mp.Condition();
    const ready = mp.Semaphore(0);
    const p = spawn({ target: t.conditionWaitForever, args: [c, ready] });
    expect(ready.acquire(true, 30)).toBe(true);
    c.with(() => undefined); // the waiter is inside wait() once the lock is free again
    p.terminate();
    p.join();
    const t0 = performance.now();
    c.with(() => c.notify());
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(c.with(() => c.wait(0.01))).toBe(false);
  });

  test("wait_for() returns the predicate's value, falsy after the timeout", () => {
    const c = mp.Condition();
    c.acquire();
    expect(c.wait_for(() => 42)).toBe(42);
    expect(c.wait_for(() => 0, 0.02)).toBe(0);
    c.release();
  });
});

describe("Event", () => {
  test("wait() returns the flag; a child's set() wakes the main thread", () => {
    const e = mp.Event();
    expect(e.wait(0)).toBe(false);
    const [r, dt] = timed(() => e.wait(0.1));
    expect(r).toBe(false);
    expect(dt).toBeGreaterThanOrEqual(0.08);
    const p = spawn({ target: t.setEvent, args: [e] });
    expect(e.wait(30)).toBe(true);
    p.join();
    expect(String(e)).toMatch(/^<Event at 0x[0-9a-f]+ set>$/);
    e.clear();
    expect(e.is_set()).toBe(false);
  });

  test("a ping-pong of 20,000 round trips with a child neither loses nor invents a wake-up", () => {
    // A wait() must end only through a set() made while it waits: a set() seen as two steps
    // (flag, then wake-up count) once ended the next wait() early, so the parent ran one round
    // ahead and the child was left waiting for a last ping.
    const ping = mp.Event();
    const pong = mp.Event();
    const n = 20_000;
    const p = spawn({ target: t.pingPong, args: [ping, pong, n] });
    let early = 0;
    for (let i = 0; i < n; i++) {
      ping.set();
      if (!pong.wait(30)) early++;
      pong.clear();
    }
    p.join(30);
    expect(early).toBe(0);
    expect(p.exitcode).toBe(0);
  });

  test("a waiter present during set() is released even when clear() follows at once", () => {
    const e = mp.Event();
    const q = mp.Queue();
    const ready = mp.Semaphore(0);
    const p = spawn({ target: t.waitEventReady, args: [e, ready, q] });
    expect(ready.acquire(true, 30)).toBe(true);
    mp.py.time.sleep(0.2); // the child is inside wait() microseconds after releasing `ready`
    e.set();
    e.clear();
    // Released (not left asleep: q.get would raise Empty). What wait() returns is the flag it sees
    // once awake: false when clear() came first, true when the child woke before it; CPython's
    // Event races the same way (both need the condition's lock after notify_all()).
    expect([true, false]).toContain(q.get(true, 30));
    p.join();
  });

  test("wait_async() resolves on set() from a child", async () => {
    const e = mp.Event();
    const q = mp.Queue();
    const p = spawn({ target: t.setEvent, args: [e] });
    expect(await e.wait_async(30)).toBe(true);
    await p.join_async();
    expect(await mp.Event().wait_async(0.02)).toBe(false);
    void q;
  });

  test("set() does not wait for a waiter that was terminated", () => {
    const e = mp.Event();
    const q = mp.Queue();
    const p = spawn({ target: t.waitEvent, args: [e, q, null] });
    p.join(0.3);
    p.terminate();
    p.join();
    const [, dt] = timed(() => e.set());
    expect(dt).toBeLessThan(0.5);
  });
});

describe("Barrier", () => {
  test("wait() returns distinct arrival indices across processes", () => {
    const b = mp.Barrier(3);
    const q = mp.Queue();
    const procs = [0, 1].map(() => spawn({ target: t.barrierWait, args: [b, q, 30] }));
    const mine = b.wait(30);
    const got = [mine, q.get(true, 30), q.get(true, 30)].sort();
    for (const p of procs) p.join();
    expect(got).toEqual([0, 1, 2]);
    expect(b.broken).toBe(false);
  });

  test("a timeout breaks the barrier; reset() makes it usable; abort() breaks waiters", () => {
    const b = mp.Barrier(2, { timeout: 0.05 });
    expect(() => b.wait()).toThrow(mp.BrokenBarrierError);
    expect(b.broken).toBe(true);
    expect(() => b.wait()).toThrow(mp.BrokenBarrierError);
    b.reset();
    expect(b.broken).toBe(false);
    const q = mp.Queue();
    const p = spawn({ target: t.barrierWait, args: [b, q, 30] });
    while (b.n_waiting < 1) mp.py.time.sleep(0.005);
    b.abort();
    expect(q.get(true, 30)).toBe("BrokenBarrierError");
    p.join();
    expect(String(b)).toMatch(/^<multiprocessing\.synchronize\.Barrier at 0x[0-9a-f]+: broken>$/);
    expect(new mp.BrokenBarrierError().__repr__()).toBe("BrokenBarrierError()");
  });

  test("a barrier whose party was terminated can be aborted so the others get out", () => {
    const b = mp.Barrier(3);
    const q = mp.Queue();
    const waiter = spawn({ target: t.barrierWait, args: [b, q, null] });
    const doomed = spawn({ target: t.barrierWait, args: [b, q, null] });
    while (b.n_waiting < 2) mp.py.time.sleep(0.005);
    doomed.terminate();
    doomed.join();
    b.abort();
    expect(q.get(true, 30)).toBe("BrokenBarrierError");
    waiter.join();
  });
});
