// Fault injection: a child terminated or killed at a bad moment (holding a lock, blocked in
// get(), in the middle of a large put() or send_bytes(), inside Barrier.wait(), running a Pool
// task). For each, what the survivors see (documented in MIGRATION.md beside CPython's
// behaviour); every wait here has a timeout, so a regression fails instead of hanging.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import mp from "multiprocessing-ts";
import { time } from "multiprocessing-ts/py";
import { describe, expect, test } from "vitest";
import * as f from "./fixtures/fault_targets.js";
import { spawn } from "./helpers/processes.js";

const elapsed = (t0: number) => performance.now() - t0;
const programs = fileURLToPath(new URL("./fixtures/programs/", import.meta.url));

function runProgram(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", file], { cwd: programs, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }));
  });
}

describe("a child terminated", () => {
  test("mid-lock: the lock stays held (as in CPython) until another process releases it", () => {
    const lock = mp.Lock();
    const ev = mp.Event();
    const counter = mp.Array("i", 1);
    const p = spawn({ target: f.holdLockSpinning, args: [lock, ev, counter] });
    expect(ev.wait(30)).toBe(true);
    p.kill();
    p.join(30);
    expect(p.exitcode).toBe(-9);
    const t0 = performance.now();
    expect(lock.acquire(true, 0.2)).toBe(false);
    expect(elapsed(t0)).toBeGreaterThanOrEqual(150);
    lock.release(); // a Lock is a binary semaphore: any process may release it
    expect(lock.acquire(true, 1)).toBe(true);
    lock.release();
  });

  test("mid-get: the queue is intact; another consumer gets every item once", () => {
    const q = mp.Queue();
    const ev = mp.Event();
    const c1 = spawn({ target: f.getForever, args: [q, ev] });
    expect(ev.wait(30)).toBe(true);
    time.sleep(0.1);
    c1.terminate();
    c1.join(30);
    for (let i = 0; i < 100; i++) q.put(i);
    const res = mp.Array("i", 1);
    const c2 = spawn({ target: f.getMany, args: [q, 100, res, 20] });
    c2.join(60);
    expect(c2.exitcode).toBe(0);
    expect(res.get_obj()[0]).toBe(100);
    expect(() => q.get(false)).toThrow(mp.Empty);
  });

  test("mid-put of a large item: the partial item is dropped and the queue carries on", () => {
    const q = mp.Queue();
    const p = spawn({ target: f.putBig, args: [q, 32] });
    const cells = (q as any)._ch.cells as Int32Array;
    // Wait until the producer is streaming its item through the (1 MiB) ring.
    for (let i = 0; i < 3000 && Atomics.load(cells, 16) === 0; i++) time.sleep(0.005);
    expect(Atomics.load(cells, 16)).not.toBe(0);
    p.kill();
    p.join(30);
    let t0 = performance.now();
    expect(() => q.get(true, 1)).toThrow(mp.Empty); // the part that arrived is dropped
    expect(elapsed(t0)).toBeLessThan(5000);
    expect(q.qsize()).toBe(0); // the item that never came whole is not counted
    const p2 = spawn({ target: f.putOne, args: [q, 42] });
    p2.join(30);
    expect(p2.exitcode).toBe(0); // its put() was not wedged behind the dead writer's lock
    t0 = performance.now();
    expect(q.get(true, 10)).toBe(42);
  });

  test("mid-Barrier: the others get BrokenBarrierError at once, not after their timeout; reset() repairs it", () => {
    const b = mp.Barrier(3);
    const a = spawn({ target: f.barrierWait, args: [b] });
    const c = spawn({ target: f.barrierWaitOrSeven, args: [b, 60] });
    for (let i = 0; i < 3000 && b.n_waiting < 2; i++) time.sleep(0.005);
    a.kill();
    a.join(30);
    const t0 = performance.now();
    expect(() => b.wait(30)).toThrow(mp.BrokenBarrierError);
    expect(elapsed(t0)).toBeLessThan(5000);
    c.join(30);
    expect(c.exitcode).toBe(7);
    expect(b.broken).toBe(true);
    b.reset();
    const d = spawn({ target: f.barrierWaitOrSeven, args: [b, 30] });
    const e = spawn({ target: f.barrierWaitOrSeven, args: [b, 30] });
    expect(b.wait(30)).toBeGreaterThanOrEqual(0);
    d.join(30);
    e.join(30);
    expect([d.exitcode, e.exitcode]).toEqual([0, 0]);
  });

  test("mid-Pipe message: the receiver gets an error (or EOF), never a hang", () => {
    const [a, b] = mp.Pipe();
    const p = spawn({ target: f.sendBig, args: [b, 32] });
    b.close();
    expect(a.poll(30)).toBe(true); // the message has begun to arrive
    p.kill();
    p.join(30);
    const t0 = performance.now();
    let err: unknown = null;
    try {
      a.recv_bytes();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toMatch(/^(OSError|EOFError)$/);
    expect(() => a.recv_bytes()).toThrow(mp.py.EOFError); // the sender is gone: end of file
    expect(elapsed(t0)).toBeLessThan(5000);
    a.close();
  });

  test("mid-Pool task: the chunk fails with RuntimeError, the other tasks complete, terminate() then join() returns", async () => {
    // A whole program, so that a Pool.join() (which has no timeout) cannot hang the suite.
    const r = await runProgram("fault_pool.ts");
    expect(r.stdout).toBe("RuntimeError: worker exited with code: 3\n[1, 2, 3]\njoined in under 10 s: true\n");
    expect(r.code).toBe(0);
  });
});
