// Port of CPython's _TestCondition (Lib/test/_test_multiprocessing.py), "processes" flavour.
// Where CPython starts one process and one thread of the test process, the port starts two
// processes: there are no threads inside one process here (the assertions are the same).
import mp from "multiprocessing-ts";
import { py } from "multiprocessing-ts";
import { afterEach, describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/sync.js";
import { track } from "../helpers/processes.js";
import { DELTA, LONG_TIMEOUT, TIMEOUT1, TimingWrapper, assertReturnsIfImplemented, assertTimingAlmostEqual, get_value, join_process } from "./support.js";

const { time } = py;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function startDaemon(target: (...a: any[]) => unknown, args: unknown[]): mp.Process {
  const p = track(new mp.Process({ target, args }));
  p.daemon = true;
  p.start();
  cleanups.push(() => p.join());
  return p;
}

function assertReachesEventually(func: () => unknown, value: unknown): void {
  for (let i = 0; i < 10; i++) {
    if (func() === value) break;
    time.sleep(DELTA);
  }
  time.sleep(DELTA);
  assertReturnsIfImplemented(value, func);
}

function check_invariant(cond: mp.Condition): void {
  // this is only supposed to succeed when there are no sleepers (CPython reads the
  // Condition's _sleeping_count, _woken_count and _wait_semaphore: here sleeping, woken, waitSem)
  const c = cond as any;
  const sleepers = c.sleeping.get_value() - c.woken.get_value();
  expect(sleepers).toBe(0);
  expect(c.waitSem.get_value()).toBe(0);
}

describe("_TestCondition", () => {
  test("test_notify: each notify() wakes exactly one of two sleepers", () => {
    const cond = mp.Condition();
    const sleeping = mp.Semaphore(0);
    const woken = mp.Semaphore(0);
    const p = startDaemon(f.condition_f, [cond, sleeping, woken]);
    startDaemon(f.condition_f, [cond, sleeping, woken]);

    // wait for both children to start sleeping
    sleeping.acquire();
    sleeping.acquire();

    // check no process/thread has woken up
    time.sleep(DELTA);
    assertReturnsIfImplemented(0, get_value, woken);

    // wake up one process/thread
    cond.acquire();
    cond.notify();
    cond.release();

    // check one process/thread has woken up
    time.sleep(DELTA);
    assertReturnsIfImplemented(1, get_value, woken);

    // wake up another
    cond.acquire();
    cond.notify();
    cond.release();

    // check other has woken up
    time.sleep(DELTA);
    assertReturnsIfImplemented(2, get_value, woken);

    // check state is not mucked up
    check_invariant(cond);
    p.join();
  });

  test("test_notify_all: sleepers that time out leave no trace, and notify_all() wakes all six", () => {
    const cond = mp.Condition();
    const sleeping = mp.Semaphore(0);
    const woken = mp.Semaphore(0);

    // start some threads/processes which will timeout
    for (let i = 0; i < 6; i++) startDaemon(f.condition_f, [cond, sleeping, woken, TIMEOUT1]);

    // wait for them all to sleep
    for (let i = 0; i < 6; i++) sleeping.acquire();

    // check they have all timed out
    for (let i = 0; i < 6; i++) woken.acquire();
    assertReturnsIfImplemented(0, get_value, woken);

    // check state is not mucked up
    check_invariant(cond);

    // start some more threads/processes
    for (let i = 0; i < 6; i++) startDaemon(f.condition_f, [cond, sleeping, woken]);

    // wait for them to all sleep
    for (let i = 0; i < 6; i++) sleeping.acquire();

    // check no process/thread has woken up
    time.sleep(DELTA);
    assertReturnsIfImplemented(0, get_value, woken);

    // wake them all up
    cond.acquire();
    cond.notify_all();
    cond.release();

    // check they have all woken
    assertReachesEventually(() => get_value(woken), 6);

    // check state is not mucked up
    check_invariant(cond);
  });

  test("test_notify_n: notify(n) wakes n sleepers, and no more than are sleeping", () => {
    const cond = mp.Condition();
    const sleeping = mp.Semaphore(0);
    const woken = mp.Semaphore(0);

    for (let i = 0; i < 6; i++) startDaemon(f.condition_f, [cond, sleeping, woken]);

    // wait for them to all sleep
    for (let i = 0; i < 6; i++) sleeping.acquire();

    // check no process/thread has woken up
    time.sleep(DELTA);
    assertReturnsIfImplemented(0, get_value, woken);

    // wake some of them up
    cond.acquire();
    cond.notify(2);
    cond.release();

    // check 2 have woken
    assertReachesEventually(() => get_value(woken), 2);

    // wake the rest of them
    cond.acquire();
    cond.notify(4);
    cond.release();

    assertReachesEventually(() => get_value(woken), 6);

    // doesn't do anything more
    cond.acquire();
    cond.notify(3);
    cond.release();

    assertReturnsIfImplemented(6, get_value, woken);

    // check state is not mucked up
    check_invariant(cond);
  });

  test("test_timeout: wait(timeout) returns False after the timeout", () => {
    const cond = mp.Condition();
    const wait = new TimingWrapper(cond.wait.bind(cond));
    cond.acquire();
    const res = wait.call(TIMEOUT1);
    cond.release();
    expect(res).toBe(false);
    assertTimingAlmostEqual(wait.elapsed!, TIMEOUT1);
  });

  test("test_waitfor: wait_for() returns once a child's predicate holds, on both sides", () => {
    const cond = mp.Condition();
    const state = mp.Value("i", -1);
    const p = track(new mp.Process({ target: f.test_waitfor_f, args: [cond, state] }));
    p.daemon = true;
    p.start();

    cond.with(() => {
      const result = cond.wait_for(() => state.value === 0);
      expect(result).toBeTruthy();
      expect(state.value).toBe(0);
    });

    for (let i = 0; i < 4; i++) {
      time.sleep(0.01);
      cond.with(() => {
        state.value += 1;
        cond.notify();
      });
    }

    join_process(p);
    expect(p.exitcode).toBe(0);
  });

  test("test_waitfor_timeout: wait_for() with a timeout returns False after at least that time", () => {
    const cond = mp.Condition();
    const state = mp.Value("i", 0);
    const success = mp.Value("i", 0);
    const sem = mp.Semaphore(0);

    const p = track(new mp.Process({ target: f.test_waitfor_timeout_f, args: [cond, state, success, sem] }));
    p.daemon = true;
    p.start();
    expect(sem.acquire({ timeout: LONG_TIMEOUT })).toBe(true);

    // Only increment 3 times, so state == 4 is never reached.
    for (let i = 0; i < 3; i++) {
      time.sleep(0.01);
      cond.with(() => {
        state.value += 1;
        cond.notify();
      });
    }

    join_process(p);
    expect(success.value).toBeTruthy();
  });

  test("test_wait_result: wait() returns False on timeout and True when a child notifies", () => {
    // CPython also checks that a SIGINT sent by the child interrupts wait() with
    // KeyboardInterrupt: there are no signals between threads (NOT_PORTED.md).
    const c = mp.Condition();
    c.with(() => {
      expect(c.wait(0)).toBe(false);
      expect(c.wait(0.1)).toBe(false);

      const p = track(new mp.Process({ target: f.test_wait_result, args: [c] }));
      p.start();

      expect(c.wait(60)).toBe(true);
      p.join();
    });
  });
});
