// Queue, JoinableQueue, SimpleQueue: FIFO, timeouts, Empty/Full, item types, large items,
// exactly-once delivery under many producers and consumers, and a consumer killed mid-stream.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as t from "./fixtures/targets.js";
import { spawn } from "./helpers/processes.js";

describe("Queue", () => {
  test("items of every common type come back equal", () => {
    const q = mp.Queue();
    const items = [null, undefined, true, 0, -1.5, 2 ** 40, 2n ** 70n, "", "é ü 🙂", "x".repeat(5000), Buffer.from([0, 255]),
      [1, [2, { a: "b" }]], mp.py.tuple(1, "two"), { k: [1, 2] }, new Map([["a", 1]]), new Set([1, 2]), new Date(0),
      new Float64Array([1.5]), new Error("e")];
    for (const x of items) q.put(x);
    const got = items.map(() => q.get());
    expect(got.slice(0, -1)).toEqual(items.slice(0, -1));
    expect(mp.py.repr(got[12])).toBe("(1, 'two')");
    expect((got.at(-1) as Error).message).toBe("e");
  });

  test("a float made with py.float comes back a float: integral ones keep their .0", () => {
    const q = mp.Queue();
    q.put([mp.py.float(2), mp.py.float(0.25)]);
    const [two, quarter] = q.get() as [unknown, unknown];
    expect(two).toBeInstanceOf(mp.py.PyFloat);
    expect(mp.py.repr(two)).toBe("2.0");
    expect(Number(two) + 1).toBe(3);
    expect(mp.py.repr(quarter)).toBe("0.25");
    q.close();
  });

  test("get() times out with Empty and put() on a full queue with Full", () => {
    const q = mp.Queue(1);
    expect(() => q.get(false)).toThrow(mp.Empty);
    const t0 = performance.now();
    expect(() => q.get(true, 0.1)).toThrow(mp.Empty);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(80);
    q.put(1);
    expect(q.full()).toBe(true);
    expect(() => q.put(2, false)).toThrow(mp.Full);
    expect(() => q.put(2, { timeout: 0.05 })).toThrow(mp.Full);
    expect(q.qsize()).toBe(1);
    expect(new mp.Empty().message).toBe("");
  });

  test("close() makes put and get raise ValueError; join_thread() needs close()", () => {
    const q = mp.Queue();
    expect(() => q.join_thread()).toThrow(/^Queue <multiprocessing\.queues\.Queue object at 0x[0-9a-f]+> not closed$/);
    q.close();
    expect(() => q.put(1)).toThrow(/^Queue <multiprocessing\.queues\.Queue object at 0x[0-9a-f]+> is closed$/);
    expect(() => q.get()).toThrow(mp.py.ValueError);
    q.join_thread();
  });

  test("shared objects cannot travel inside items, as in Python", () => {
    const q = mp.Queue();
    expect(() => q.put(mp.Lock())).toThrow("Lock objects should only be shared between processes through inheritance");
    expect(() => q.put({ f: () => 1 })).toThrow(mp.py.TypeError);
  });

  test("get_async() and put_async() work from event-loop code", async () => {
    const q = mp.Queue(1);
    const p = spawn({ target: t.produce, args: [q, 1, 3] });
    const got = [await q.get_async(), await q.get_async(), await q.get_async()];
    expect(got).toEqual([1_000_000, 1_000_001, 1_000_002]);
    await p.join_async();
    await q.put_async("x");
    await expect(q.put_async("y", false)).rejects.toThrow(mp.Full);
  });

  test("an unbounded put() never blocks, even when nobody reads yet", () => {
    const q = mp.Queue(0, { capacity: 4096 });
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) q.put(i);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(q.qsize()).toBe(20_000);
    const back = Array.from({ length: 20_000 }, () => q.get(true, 5));
    expect(back).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  });

  test("a 64 MiB item travels whole in both directions", () => {
    const n = 64 << 20;
    const q = mp.Queue();
    const out = mp.Queue();
    const c = spawn({ target: t.checksumItem, args: [q, out] });
    const big = Buffer.alloc(n);
    for (let i = 0; i < n; i += 4096) big[i] = (i / 4096) & 0xff;
    big[n - 1] = 9;
    let sum = 0;
    for (let i = 0; i < n; i += 4096) sum = (sum + big[i]!) | 0;
    q.put(big);
    expect(out.get(true, 60)).toEqual([n, sum, 9]);
    c.join();
    const p = spawn({ target: t.putBig, args: [q, n] });
    const back = q.get(true, 60) as Buffer;
    p.join();
    expect(back.length).toBe(n);
    expect(back.equals(big)).toBe(true);
  });

  test("4 producers × 100,000 items to 4 consumers: every item exactly once, each producer's order kept", () => {
    const q = mp.Queue();
    const results = mp.Queue();
    const N = 100_000;
    const STOP = -1;
    const consumers = [0, 1, 2, 3].map(() => spawn({ target: t.consume, args: [q, results, STOP] }));
    const producers = [1, 2, 3, 4].map((tag) => spawn({ target: t.produce, args: [q, tag, N] }));
    for (const p of producers) p.join();
    for (const _ of consumers) q.put(STOP);
    const lists = consumers.map(() => results.get(true, 120) as number[]);
    for (const c of consumers) c.join();
    const seen = new Set<number>();
    let duplicates = 0;
    let outOfOrder = 0;
    for (const list of lists) {
      const last = new Map<number, number>();
      for (const x of list) {
        if (seen.has(x)) duplicates++;
        seen.add(x);
        const tag = Math.floor(x / 1_000_000);
        if (x <= (last.get(tag) ?? -1)) outOfOrder++; // per-producer order within each consumer
        last.set(tag, x);
      }
    }
    expect({ duplicates, outOfOrder, received: seen.size }).toEqual({ duplicates: 0, outOfOrder: 0, received: 4 * N });
  });

  test("a consumer terminated in the middle of get() leaves the queue intact for the others", () => {
    const q = mp.Queue();
    const started = mp.Event();
    const victim = spawn({ target: t.consumeSlowly, args: [q, started] });
    started.wait(30);
    for (let i = 0; i < 50_000; i++) q.put(i);
    mp.py.time.sleep(0.05);
    victim.terminate();
    victim.join();
    const got: number[] = [];
    for (;;) {
      try {
        got.push(q.get(true, 0.5) as number);
      } catch {
        break;
      }
    }
    expect(got.at(-1)).toBe(49_999);
    expect(got.every((x, i) => i === 0 || x > got[i - 1]!)).toBe(true);
    expect(got.length).toBeGreaterThan(40_000);
  });
});

describe("JoinableQueue", () => {
  test("join() waits for task_done() of every item; extra task_done() is a ValueError", () => {
    const q = mp.JoinableQueue();
    expect(() => q.task_done()).toThrow("task_done() called too many times");
    q.put(1);
    q.put(2);
    q.get();
    q.task_done();
    q.get();
    setTimeout(() => {}, 0);
    q.task_done();
    q.join();
    expect(() => q.task_done()).toThrow(mp.py.ValueError);
  });
});

describe("SimpleQueue", () => {
  test("put, get, empty, and OSError after close()", () => {
    const q = mp.SimpleQueue();
    expect(q.empty()).toBe(true);
    q.put([1, 2]);
    expect(q.empty()).toBe(false);
    expect(q.get()).toEqual([1, 2]);
    q.close();
    expect(() => q.put(1)).toThrow("handle is closed");
    expect((q as any).get_nowait).toBeUndefined();
  });
});
