// Port of CPython's _TestBarrier (Lib/test/_test_multiprocessing.py), "processes" flavour,
// itself adapted from test/lock_tests.py. CPython's Bunch runs a bound method in n processes;
// here a Bunch runs an exported function (fixtures/cpython/sync.ts) with the same arguments.
import mp from "multiprocessing-ts";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/sync.js";
import { close_queue } from "./support.js";

const { N, defaultTimeout, DummyList } = f;
let barrier: mp.Barrier;
const cleanups: (() => void)[] = [];

beforeEach(() => {
  barrier = mp.Barrier(N, { timeout: defaultTimeout });
});
afterEach(() => {
  barrier.abort();
  for (const c of cleanups.splice(0).reverse()) c();
});

function run_threads(fn: (...a: any[]) => unknown, args: unknown[]): void {
  const b = new f.Bunch(fn, args, N - 1).start();
  try {
    fn(...args);
    b.wait_for_finished();
  } finally {
    b.close();
  }
}

function test_barrier(passes = 1): void {
  const results: [f.DummyList, f.DummyList] = [new DummyList(), new DummyList()];
  run_threads(f.multipass, [barrier, results, passes]);
}

describe("_TestBarrier", () => {
  test("test_barrier: five processes pass a barrier in lockstep", () => {
    test_barrier();
  });

  test("test_barrier_10: a barrier works for 10 consecutive runs", () => {
    test_barrier(10);
  });

  test("test_wait_return: exactly one wait() returns 0", () => {
    const queue = mp.Queue();
    run_threads(f.test_wait_return_f, [barrier, queue]);
    const results = Array.from({ length: N }, () => queue.get());
    expect(results.filter((r) => r === 0).length).toBe(1);
    close_queue(queue);
  });

  test("test_action: the action runs once, before any party is released", () => {
    const results = new DummyList();
    const barrier = mp.Barrier(N, new f.AppendTrue(results));
    run_threads(f.test_action_f, [barrier, results]);
    expect(results.__len__()).toBe(1);
  });

  test("test_abort: an abort puts the barrier in a broken state for every waiter", () => {
    const results1 = new DummyList();
    const results2 = new DummyList();
    run_threads(f.test_abort_f, [barrier, results1, results2]);
    expect(results1.__len__()).toBe(0);
    expect(results2.__len__()).toBe(N - 1);
    expect(barrier.broken).toBe(true);
  });

  test("test_reset: reset() frees the waiting processes with BrokenBarrierError and the barrier works again", () => {
    const results1 = new DummyList();
    const results2 = new DummyList();
    const results3 = new DummyList();
    run_threads(f.test_reset_f, [barrier, results1, results2, results3]);
    expect(results1.__len__()).toBe(0);
    expect(results2.__len__()).toBe(N - 1);
    expect(results3.__len__()).toBe(N);
  });

  test("test_abort_and_reset: a barrier can be reset after being broken", () => {
    const results1 = new DummyList();
    const results2 = new DummyList();
    const results3 = new DummyList();
    const barrier2 = mp.Barrier(N);
    run_threads(f.test_abort_and_reset_f, [barrier, barrier2, results1, results2, results3]);
    expect(results1.__len__()).toBe(0);
    expect(results2.__len__()).toBe(N - 1);
    expect(results3.__len__()).toBe(N);
  });

  test("test_timeout: wait(timeout) breaks the barrier for every party when one is late", () => {
    const results = new DummyList();
    run_threads(f.test_timeout_f, [barrier, results]);
    expect(results.__len__()).toBe(barrier.parties);
  });

  test("test_default_timeout: the barrier's default timeout breaks it when one party is late", () => {
    const b = mp.Barrier(N, { timeout: 0.5 });
    const results = new DummyList();
    run_threads(f.test_default_timeout_f, [b, results]);
    expect(results.__len__()).toBe(b.parties);
  });

  test("test_single_thread: a Barrier(1) never blocks", () => {
    const b = mp.Barrier(1);
    b.wait();
    b.wait();
  });

  test("test_thousand: five processes pass a barrier 1000 times, sending each pass in order", () => {
    const passes = 1000;
    const lock = mp.Lock();
    const [conn, child_conn] = mp.Pipe(false);
    for (let j = 0; j < N; j++) {
      const p = new mp.Process({ target: f.test_thousand_f, args: [barrier, passes, child_conn, lock] });
      p.start();
      cleanups.push(() => p.join());
    }
    for (let i = 0; i < passes; i++) {
      for (let j = 0; j < N; j++) expect(conn.recv()).toBe(i);
    }
  });
});
