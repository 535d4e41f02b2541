// Port of CPython's _TestPoolWorkerLifetime (Lib/test/_test_multiprocessing.py).
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/pool.js";
import { run_program } from "./support.js";

describe("_TestPoolWorkerLifetime", () => {
  test("test_pool_worker_lifetime: with maxtasksperchild=10, 100 tasks give right answers and the workers are replaced", () => {
    const p = mp.Pool(3, { maxtasksperchild: 10 });
    const results = [];
    for (let i = 0; i < 100; i++) results.push(p.apply_async(f.sqrWithPid, [i]));
    const pids: number[] = [];
    results.forEach((res, j) => {
      const [v, pid] = res.get();
      expect(v).toBe(f.sqr(j));
      pids.push(pid);
    });
    // All pids should be assigned. See issue #7805.
    expect(pids).not.toContain(null);
    expect(pids).not.toContain(undefined);
    // Finally, check that the worker pids have changed: 100 tasks at 10 per worker need at
    // least 10 workers over the pool's life.
    expect(new Set(pids).size).toBeGreaterThanOrEqual(10);
    p.close();
    p.join();
  });

  test("test_pool_worker_lifetime_early_close: closing a pool of short-lived workers before its tasks finish does not hang join()", () => {
    const p = mp.Pool(3, { maxtasksperchild: 1 });
    const results = [];
    for (let i = 0; i < 6; i++) results.push(p.apply_async(f.sqr, [i, 0.3]));
    p.close();
    p.join();
    results.forEach((res, j) => expect(res.get()).toBe(f.sqr(j)));
  });

  test("test_pool_maxtasksperchild_invalid: maxtasksperchild of 0, -1, 0.5 or '12' raises ValueError", () => {
    for (const value of [0, -1, 0.5, "12"]) {
      expect(() => mp.Pool(3, { maxtasksperchild: value as any })).toThrow(mp.py.ValueError);
    }
  });
  test("test_worker_finalization_via_atexit_handler_of_multiprocessing: a program whose module-level object holds a used, unclosed Pool exits 0", async () => {
    // tests cases against bpo-38744 and bpo-39360; CPython runs the program with `python -c`,
    // here it is test/fixtures/cpython/programs/pool_at_exit.ts run by node.
    const { rc } = await run_program("pool_at_exit.ts");
    expect(rc).toBe(0);
  }, 60_000);
});
