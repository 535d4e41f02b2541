// Port of CPython's TestWait (Lib/test/_test_multiprocessing.py).
import mp from "multiprocessing-ts";
import { afterEach, describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/wait.js";
import { track } from "../helpers/processes.js";

const { time } = mp.py;
const { wait } = mp.connection;
const CLOCK_RES = 0.001;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function test_wait(slow = false): void {
  const readers: mp.Connection[] = [];
  const procs: mp.Process[] = [];
  const messages: [number, number][] = [];

  for (let i = 0; i < 4; i++) {
    const [r, w] = mp.Pipe(false);
    const p = track(new mp.Process({ target: f.child_test_wait, args: [w, slow] }));
    p.daemon = true;
    p.start();
    w.close();
    readers.push(r);
    procs.push(p);
    cleanups.push(() => p.join());
  }

  while (readers.length) {
    for (const r of wait(readers)) {
      try {
        messages.push([...(r.recv() as [number, number])]);
      } catch (e) {
        if ((e as Error).name !== "EOFError") throw e;
        readers.splice(readers.indexOf(r), 1);
        r.close();
      }
    }
  }

  const cmp = (x: [number, number], y: [number, number]) => x[0] - y[0] || x[1] - y[1];
  messages.sort(cmp);
  const expected = procs.flatMap((p) => Array.from({ length: 10 }, (_, i) => [i, p.pid!] as [number, number])).sort(cmp);
  expect(messages).toEqual(expected);
}

describe("TestWait", () => {
  test("test_wait: wait() on four pipes gets every child's ten messages, then their EOFs", () => {
    test_wait();
  });

  test("test_wait_slow: the same with children that pause between messages", () => {
    test_wait(true);
  });

  test("test_wait_timeout: wait() returns [] after its timeout, then the ready end", () => {
    const timeout = 5.0; // seconds
    const [a, b] = mp.Pipe();

    let start = time.monotonic();
    let res = wait([a, b], timeout);
    const delta = time.monotonic() - start;

    expect(res).toEqual([]);
    expect(delta).toBeGreaterThan(timeout - CLOCK_RES);

    b.send(null);
    start = time.monotonic();
    res = wait([a, b], 20);
    expect(res).toEqual([a]);
  });

  test("test_wait_integer: a process sentinel in wait() becomes ready when the process ends, beside pipe ends", () => {
    const expected = 3;
    const sem = mp.Semaphore(0);
    const [a, b] = mp.Pipe();
    const p = track(new mp.Process({ target: f.signal_and_sleep, args: [sem, expected] }));

    p.start();
    expect(Number.isInteger(p.sentinel)).toBe(true);
    expect(sem.acquire({ timeout: 20 })).toBe(true);

    let start = time.monotonic();
    let res = wait([a, p.sentinel, b], expected + 20);
    let delta = time.monotonic() - start;

    expect(res).toEqual([p.sentinel]);
    expect(delta).toBeLessThan(expected + 2);
    expect(delta).toBeGreaterThan(expected - 2);

    a.send(null);

    start = time.monotonic();
    res = wait([a, p.sentinel, b], 20);
    delta = time.monotonic() - start;

    expect(new Set(res)).toEqual(new Set([p.sentinel, b]));
    expect(res.length).toBe(2);
    expect(delta).toBeLessThan(0.4);

    b.send(null);

    start = time.monotonic();
    res = wait([a, p.sentinel, b], 20);
    delta = time.monotonic() - start;

    expect(new Set(res)).toEqual(new Set([a, p.sentinel, b]));
    expect(res.length).toBe(3);
    expect(delta).toBeLessThan(0.4);

    p.terminate();
    p.join();
  });

  test("test_neg_timeout: wait() with a negative timeout returns [] at once", () => {
    const [a, b] = mp.Pipe();
    let t = time.monotonic();
    const res = wait([a], { timeout: -1 });
    t = time.monotonic() - t;
    expect(res).toEqual([]);
    expect(t).toBeLessThan(1);
    a.close();
    b.close();
  });
});
