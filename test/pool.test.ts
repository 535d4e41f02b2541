// Pool: blocking calls on the main thread, the async forms, initializer with shared objects,
// maxtasksperchild, errors with their causes, terminate with work outstanding, cancellation.
import mp from "multiprocessing-ts";
import { RemoteTraceback } from "multiprocessing-ts/pool";
import { afterEach, describe, expect, test } from "vitest";
import * as t from "./fixtures/pool_targets.js";

/** Waits until both workers of a Pool(2) are up and have loaded the fixtures (an idle pool's
 * chunks all go to the first worker up). */
function bothUp(pool: mp.Pool): void {
  for (const deadline = performance.now() + 20_000; performance.now() < deadline; ) {
    if (new Set(pool.map(t.sleepPid, [0.05, 0.05], 1)).size === 2) return;
  }
  throw new Error("the second worker did not come up");
}

const pools: mp.Pool[] = [];
function track(p: mp.Pool): mp.Pool {
  pools.push(p);
  return p;
}
afterEach(() => {
  // Every pool a test starts is terminated and joined, so no worker outlives its test.
  for (const p of pools.splice(0)) {
    p.terminate();
    p.join();
  }
});

describe("Pool", () => {
  test("map() blocks the main thread and returns the results in order", () => {
    const pool = track(mp.Pool(2));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    while (performance.now() - t0 < 5); // let the timer become due
    const r = pool.map(t.square, mp.py.range(1000));
    clearInterval(timer);
    expect(ticks).toBe(0); // the event loop never ran: map() really blocked
    expect(r).toEqual([...mp.py.range(1000)].map((x) => x * x));
    expect(pool.map(t.square, mp.py.range(100), 1)).toEqual([...mp.py.range(100)].map((x) => x * x));
  });

  test("results are awaitable and imap is async-iterable without blocking the event loop", async () => {
    const pool = track(mp.Pool(2));
    expect(await pool.apply_async(t.asyncDouble, [21])).toBe(42);
    expect(await pool.map_async(t.square, [1, 2, 3])).toEqual([1, 4, 9]);
    const got: number[] = [];
    for await (const x of pool.imap(t.square, [3, 4, 5])) got.push(x);
    expect(got).toEqual([9, 16, 25]);
  });

  test("long lists of numbers travel exactly: -0, NaN, floats, integers beyond 32 bits, mixed with other values", () => {
    const pool = track(mp.Pool(2));
    const ints = Array.from({ length: 3000 }, (_, i) => i - 1500);
    const numbers = [...ints, -0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31) - 1, 2 ** 31, 0.1, 1e-300];
    const mixed = [...ints, "s", null, true, 5n, [1, 2], { a: 1 }];
    for (const xs of [ints, numbers, mixed]) {
      for (const chunksize of [undefined, 1, 7, 5000]) {
        const r = pool.map(t.identity, xs, chunksize);
        expect(r.length).toBe(xs.length);
        expect(r.every((v, i) => Object.is(v, xs[i]) || (typeof v === "object" && JSON.stringify(v) === JSON.stringify(xs[i])))).toBe(true);
      }
    }
  });

  test("a function that returns a promise for some items and a value for others gives every result in order", () => {
    const pool = track(mp.Pool(2));
    const xs = [...mp.py.range(2000)];
    expect(pool.map(t.sometimesAsync, xs)).toEqual(xs.map((x) => (x % 2 ? -x : x)));
    expect(pool.map(t.sometimesAsync, xs, 3)).toEqual(xs.map((x) => (x % 2 ? -x : x)));
  });

  test("a failing task fails its own chunk only: imap goes on with every other item", () => {
    const pool = track(mp.Pool(2));
    const xs = [...mp.py.range(1, 300)];
    for (const iter of [pool.imap(t.failOnSevens, xs), pool.imap_unordered(t.failOnSevens, xs)]) {
      const got: unknown[] = [];
      for (let i = 0; i < xs.length; i++) {
        try {
          got.push((iter as Iterator<number>).next().value);
        } catch (e: any) {
          got.push(e.message);
        }
      }
      const want = xs.map((x) => (x % 7 === 0 ? `seven ${x}` : x));
      expect(iter instanceof mp.pool.IMapUnorderedIterator ? [...got].sort() : got).toEqual(iter instanceof mp.pool.IMapUnorderedIterator ? [...want].sort() : want);
    }
    // map() with chunks of 10: the error of the first failed chunk to come back, as in Python.
    expect(() => pool.map(t.failOnSevens, xs, 10)).toThrow(/^seven \d+$/);
  });

  test("the initializer runs once in every worker and may receive a shared Value", () => {
    const v = mp.Value("i", 0);
    const pool = track(mp.Pool({ processes: 2, initializer: t.countInit, initargs: [v] }));
    expect(pool.map(t.initCount, mp.py.range(20), 1)).toEqual(new Array(20).fill(1));
    // One worker may have run every task before the other was up: wait for the other's start.
    for (const deadline = performance.now() + 10_000; v.value < 2 && performance.now() < deadline; ) mp.py.time.sleep(0.01);
    mp.py.time.sleep(0.1);
    expect(v.value).toBe(2);
  });

  test("maxtasksperchild replaces a worker after that many tasks", () => {
    const pool = track(mp.Pool({ processes: 1, maxtasksperchild: 2 }));
    const pids = pool.map(t.pid, mp.py.range(6), 1);
    expect(new Set(pids).size).toBe(3);
  });

  test("a task's exception comes back with its class, message, own properties and the worker's traceback as cause", () => {
    const pool = track(mp.Pool(1));
    let err: any;
    try {
      pool.apply(t.failTagged, [7]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(mp.py.ValueError);
    expect(err.name).toBe("TaggedError");
    expect(err.message).toBe("tagged 7");
    expect(err.code).toBe(7);
    expect(err.cause).toBeInstanceOf(RemoteTraceback);
    expect(err.cause.tb).toMatch(/^\n"""\nTraceback \(most recent call last\):\n[\s\S]*in failTagged[\s\S]*TaggedError: tagged 7\n"""$/);
    expect(mp.py.repr(err)).toBe("TaggedError('tagged 7')");
  });

  test("terminate() with work outstanding returns at once and the results time out instead of hanging", () => {
    const pool = mp.Pool(2);
    const slow = [0, 1, 2, 3].map(() => pool.apply_async(t.sleepy, [30]));
    const t0 = performance.now();
    pool.terminate();
    pool.join();
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(() => slow[0]!.get(0.1)).toThrow(mp.TimeoutError);
    expect(String(pool)).toBe("<multiprocessing.pool.Pool state=TERMINATE pool_size=2>");
  });

  test("an AbortSignal cancels a job's outstanding work", () => {
    const pool = track(mp.Pool(1));
    const ac = new AbortController();
    const r = pool.map_async(t.sleepy, [0.2, 0.2, 0.2, 0.2, 0.2], { chunksize: 1, signal: ac.signal });
    ac.abort();
    expect(() => r.get(30)).toThrow("cancelled by its AbortSignal");
    expect(pool.map(t.square, [2])).toEqual([4]); // the pool goes on
  });

  test("an AbortSignal also stops chunks that are already running, and the pool goes on", () => {
    const pool = track(mp.Pool(2));
    bothUp(pool);
    const ac = new AbortController();
    const r = pool.map_async(t.sleepy, [0.3, 0.3, 0.3, 0.3, 0.3, 0.3], { chunksize: 1, signal: ac.signal });
    const t0 = performance.now();
    mp.py.time.sleep(0.1); // two chunks running, the rest waiting
    ac.abort();
    expect(() => r.get(30)).toThrow("cancelled by its AbortSignal");
    expect(performance.now() - t0).toBeLessThan(800); // not the 0.9 s the whole map takes
    expect(pool.map(t.square, [1, 2, 3], 1)).toEqual([1, 4, 9]);
  });

  test("an idle worker takes every chunk left while the other runs a long one", () => {
    // Chunks are taken by a worker when it is free to start them, not assigned in advance: the
    // short chunks queued behind the long one all go to the other worker.
    const pool = track(mp.Pool(2));
    bothUp(pool);
    const pids = pool.map(t.sleepPid, [0.6, 0.05, 0.05, 0.05, 0.05, 0.05], 1);
    expect(new Set(pids).size).toBe(2);
    expect(pids.slice(1).every((p) => p !== pids[0])).toBe(true);
  });

  test("a worker that dies fails the chunk it was running, and the pool goes on with the rest", () => {
    const pool = track(mp.Pool(2));
    const items = [1, 2, -1, 4, 5, 6, 7, 8];
    const got: Array<number | string> = [];
    const it = pool.imap(t.exitOn, items);
    for (let i = 0; i < items.length; i++) {
      try {
        got.push(it.next().value as number);
      } catch (e) {
        got.push(String((e as Error).message));
      }
    }
    expect(got).toEqual([1, 2, "worker exited with code: 3", 4, 5, 6, 7, 8]);
    expect(pool.map(t.square, [1, 2, 3], 1)).toEqual([1, 4, 9]);
  });

  test("resourceLimits caps each worker's heap: a task past it fails its chunk and the pool goes on", () => {
    const pool = track(mp.Pool(1, { resourceLimits: { maxOldGenerationSizeMb: 32 } }));
    expect(pool.apply(t.hold, [4])).toBe(4);
    expect(() => pool.apply(t.hold, [256])).toThrow("Worker terminated due to reaching memory limit: JS heap out of memory");
    expect(pool.map(t.square, [1, 2, 3])).toEqual([1, 4, 9]);
  });

  test("a pool whose initializer raises fails its tasks with that error instead of hanging", () => {
    const pool = track(mp.Pool({ processes: 2, initializer: t.badInit }));
    expect(() => pool.map(t.square, [1, 2, 3])).toThrow(mp.py.ValueError);
    expect(() => pool.apply(t.square, [2])).toThrow("no database");
    pool.close();
    pool.join();
  });

  test("resourceLimits is checked when the Pool is made", () => {
    expect(() => mp.Pool(1, { resourceLimits: { maxOldGenerationSizeMb: -1 } })).toThrow(mp.py.ValueError);
    expect(() => mp.Pool(1, { resourceLimits: { heapMb: 10 } as any })).toThrow("resourceLimits got an unexpected key 'heapMb'");
    expect(() => mp.Pool(1, { resourceLimits: 5 as any })).toThrow("resourceLimits must be an object or None, not int");
    expect(() => mp.Pool(1, 2 as any, [], null, { resourceLimits: {} }).terminate()).toThrow(mp.py.TypeError); // initializer is checked as before
  });

  test("while map() blocks, the callbacks of other jobs run as their results come", () => {
    const pool = track(mp.Pool(2));
    bothUp(pool);
    let calledAt = 0;
    pool.apply_async(t.square, [3], {}, () => (calledAt = performance.now()));
    const t0 = performance.now();
    pool.map(t.sleepy, [0.5], 1);
    const end = performance.now();
    expect(calledAt).toBeGreaterThan(t0);
    expect(end - calledAt).toBeGreaterThan(250); // called during the map, not in the drain at its end
  });

  test("terminate() while a close() still waits for the workers' initializers ends the pool, and join() returns", () => {
    const pool = track(mp.Pool(2, t.sleepy, [0.5]));
    pool.close();
    pool.terminate();
    const t0 = performance.now();
    pool.join();
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  test("jobs of every kind at once, some cancelled midway, each get exactly their own results", () => {
    // Short and long chunks (batches and claimed chunks), several jobs in flight, cancellations.
    const pool = track(mp.Pool(2));
    // 3 s of rounds, and at least 4 however loaded the machine (bounded by the test's timeout).
    const deadline = performance.now() + 3000;
    let rounds = 0;
    while (rounds < 4 || performance.now() < deadline) {
      rounds++;
      const xs = Array.from({ length: 1 + ((rounds * 7) % 40) }, (_, i) => i + rounds);
      const squares = xs.map((x) => x * x);
      const cs = 1 + (rounds % 4);
      const a = pool.map_async(t.spinSquare, xs, cs);
      const b = pool.apply_async(t.square, [rounds]);
      const ac = new AbortController();
      const c = pool.map_async(t.spinSquare, xs, { chunksize: 1, signal: ac.signal });
      const it = pool.imap(t.square, xs, cs);
      if (rounds % 3 === 0) ac.abort();
      expect([...it]).toEqual(squares);
      expect(a.get(30)).toEqual(squares);
      expect(b.get(30)).toBe(rounds * rounds);
      let cancelled = false;
      try {
        expect(c.get(30)).toEqual(squares);
      } catch (e) {
        cancelled = String(e).includes("cancelled by its AbortSignal");
        if (!cancelled) throw e;
      }
      if (cancelled) expect(rounds % 3).toBe(0);
    }
    expect(rounds).toBeGreaterThan(3);
  });

  test("stats() exposes piscina's figures", () => {
    const pool = track(mp.Pool(2));
    pool.map(t.square, mp.py.range(10), 1);
    const s = pool.stats();
    expect(s.completed).toBeGreaterThanOrEqual(10);
    expect(s.runTime.mean).toBeGreaterThanOrEqual(0);
  });

  test("misuse raises Python's errors", () => {
    expect(() => mp.Pool(0)).toThrow("Number of processes must be at least 1");
    for (const m of [0, -1, 0.5, "12"]) {
      expect(() => mp.Pool({ processes: 1, maxtasksperchild: m as any })).toThrow("maxtasksperchild must be a positive int or None");
    }
    expect(() => mp.Pool(1, 5 as any)).toThrow("initializer must be a callable");
    const pool = track(mp.Pool(1));
    expect(() => pool.join()).toThrow("Pool is still running");
    expect(() => pool.imap(t.square, [1], 0)).toThrow("Chunksize must be 1+, not 0");
    expect(() => pool.apply(t.identity, [mp.Lock()])).toThrow("Lock objects should only be shared between processes through inheritance");
    pool.close();
    expect(() => pool.map(t.square, [1])).toThrow("Pool not running");
    expect(() => pool.with(() => 1)).toThrow("Pool not running");
    pool.join();
    const r = mp.Pool(1);
    pools.push(r);
    const ar = r.apply_async(t.sleepy, [0.2]);
    expect(() => ar.successful()).toThrow(/^<multiprocessing\.pool\.ApplyResult object at 0x[0-9a-f]+> not ready$/);
  });
});
