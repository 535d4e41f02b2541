// Nothing hangs, nothing is lost (issue 12): Pool callbacks while this thread blocks, join() after
// terminate(), a Pool terminated with work pending, closed queues' memory, a Barrier with a dead
// party, Node flags, exit codes and the uncaught error's traceback.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import mp from "multiprocessing-ts";
import { time } from "multiprocessing-ts/py";
import { describe, expect, test } from "vitest";
import * as f from "./fixtures/fault_targets.js";
import { spawn, track } from "./helpers/processes.js";

const programs = fileURLToPath(new URL("./fixtures/programs/", import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; both: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { cwd: programs, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr, both }));
    let both = "";
    child.stdout!.on("data", (d) => (both += d));
    child.stderr!.on("data", (d) => (both += d));
  });
}

describe("Pool callbacks run while this thread is blocked in a wait of the library", () => {
  test("q.get() returns what an apply_async callback puts (CPython's result-handler thread)", () => {
    using pool = mp.Pool(1);
    const q = mp.Queue();
    pool.apply_async(f.ident, [41], {}, (r) => q.put((r as number) + 1));
    expect(q.get(true, 20)).toBe(42);
  });

  test("Event.wait, Lock.acquire and time.sleep deliver callbacks too", () => {
    using pool = mp.Pool(1);
    const ev = mp.Event();
    pool.apply_async(f.ident, [1], {}, () => ev.set());
    expect(ev.wait(20)).toBe(true);
    const lock = mp.Lock();
    lock.acquire();
    pool.apply_async(f.ident, [2], {}, () => lock.release());
    expect(lock.acquire(true, 20)).toBe(true);
    let ran = false;
    pool.map_async(f.ident, [1, 2, 3], 1, () => (ran = true));
    for (let i = 0; i < 200 && !ran; i++) time.sleep(0.05);
    expect(ran).toBe(true);
  });

  test("a Process join() delivers callbacks while it waits", () => {
    using pool = mp.Pool(1);
    const got: number[] = [];
    pool.apply_async(f.ident, [5], {}, (r) => got.push(r as number));
    const p = spawn({ target: f.sleepy, args: [1.5] });
    p.join(30);
    expect(got).toEqual([5]);
  });
});

describe("terminate()/kill() then join()", () => {
  test("join() returns only when the killed thread can no longer touch shared memory", () => {
    for (const method of ["forkserver", "spawn"] as const) {
      const ctx = mp.get_context(method);
      for (let i = 0; i < 2; i++) {
        const counter = ctx.Array("i", 1);
        const ev = ctx.Event();
        const p = track(new ctx.Process({ target: f.spin, args: [counter, ev] }));
        p.start();
        expect(ev.wait(30)).toBe(true);
        time.sleep(0.01);
        if (i % 2) p.kill();
        else p.terminate();
        p.join(30);
        expect(p.exitcode).toBe(i % 2 ? -9 : -15);
        const c = counter.get_obj();
        const seen = Atomics.load(c, 0);
        const t0 = performance.now();
        while (performance.now() - t0 < 20) expect(Atomics.load(c, 0)).toBe(seen);
      }
    }
  });

  test("a lock churned by a terminated child does not change state after join()", () => {
    const ctx = mp.get_context("forkserver");
    for (let i = 0; i < 3; i++) {
      const lock = ctx.Lock();
      const ev = ctx.Event();
      const p = track(new ctx.Process({ target: f.churnLock, args: [lock, ev] }));
      p.start();
      expect(ev.wait(30)).toBe(true);
      time.sleep(0.005);
      p.terminate();
      p.join(30);
      const before = (lock as any).cells[0];
      const t0 = performance.now();
      while (performance.now() - t0 < 20) expect((lock as any).cells[0]).toBe(before);
    }
  });

  test("is_alive() stays true until the thread has really ended, then exitcode is the signal's", () => {
    const p = spawn({ target: f.sleepy, args: [30] });
    time.sleep(0.3);
    p.terminate();
    p.join(30);
    expect(p.is_alive()).toBe(false);
    expect(p.exitcode).toBe(-15);
    p.kill(); // a second signal changes nothing
    expect(p.exitcode).toBe(-15);
  });
});

describe.concurrent("Pool.terminate() with work pending", () => {
  test("join() returns and the program exits (callbacks pending included)", async () => {
    const r = await run(["--import", "tsx", "rel_pool_terminate.ts"]);
    expect(r.stdout).toBe("joined\n");
    expect(r.code).toBe(0);
  });
});

describe("resource limits", () => {
  test("a closed Queue lets go of its ring at close()", () => {
    const q = mp.Queue();
    q.put(1);
    expect(q.get()).toBe(1);
    q.close();
    expect(() => (q as any)._ch).toThrow(mp.py.OSError);
    q.join_thread();
    const s = mp.SimpleQueue();
    s.close();
    expect(() => (s as any)._ch).toThrow(mp.py.OSError);
  });

  test("10,000 queues made and closed in one synchronous loop keep little memory", () => {
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 10_000; i++) {
      const q = mp.Queue();
      q.put(i);
      q.get();
      q.close();
    }
    // Each holds a 1 MiB ring while open: without release and reuse this is 10 GB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(200 << 20);
  });

  test("a closed queue delivers its backlog before it lets go of its ring", () => {
    const q = mp.Queue(0, { capacity: 4096 });
    for (let i = 0; i < 100; i++) q.put("x".repeat(500) + i); // most wait in the backlog
    q.close();
    expect(() => (q as any)._ch).not.toThrow(); // still owed to the ring
    const res = mp.Array("i", 1);
    const p = spawn({ target: f.getMany, args: [q, 100, res, 20] });
    q.join_thread();
    p.join(30);
    expect(res.get_obj()[0]).toBe(100);
    expect(() => (q as any)._ch).toThrow(mp.py.OSError);
  });
});

describe("a Barrier whose party was killed", () => {
  test("later waits raise BrokenBarrierError, broken reads true, and reset() recovers it", () => {
    const b = mp.Barrier(2);
    const a = spawn({ target: f.barrierWait, args: [b] });
    for (let i = 0; i < 2000 && b.n_waiting < 1; i++) time.sleep(0.005);
    expect(b.n_waiting).toBe(1);
    a.kill();
    a.join(30);
    let t0 = performance.now();
    expect(() => b.wait(5)).toThrow(mp.BrokenBarrierError); // CPython's trips, then never drains
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(b.broken).toBe(true);
    t0 = performance.now();
    expect(() => b.wait(5)).toThrow(mp.BrokenBarrierError);
    expect(performance.now() - t0).toBeLessThan(1000);
    b.reset();
    expect(b.broken).toBe(false);
    const c = spawn({ target: f.barrierWaitOrSeven, args: [b, 20] });
    expect(b.wait(20)).toBeGreaterThanOrEqual(0);
    c.join(30);
    expect(c.exitcode).toBe(0);
  });

  test("a party killed while others wait breaks the barrier for them instead of leaving them hanging", () => {
    const b = mp.Barrier(3);
    const a = spawn({ target: f.barrierWait, args: [b] });
    const c = spawn({ target: f.barrierWaitOrSeven, args: [b, 30] });
    for (let i = 0; i < 2000 && b.n_waiting < 2; i++) time.sleep(0.005);
    a.terminate();
    a.join(30);
    c.join(30); // C's wait(30) raises within ~0.1 s of A's death
    expect(c.exitcode).toBe(7);
    expect(b.broken).toBe(true);
    b.reset();
    expect(b.broken).toBe(false);
    expect(b.n_waiting).toBe(0);
  });
});

describe("exit", () => {
  test("a child that sets process.exitCode = 7 reports 7", () => {
    const p = spawn({ target: f.setExitCode, args: [7] });
    p.join(30);
    expect(p.exitcode).toBe(7);
    const ctx = mp.get_context("forkserver");
    const q = track(new ctx.Process({ target: f.setExitCode, args: [5] }));
    q.start();
    q.join(30);
    expect(q.exitcode).toBe(5);
    const r = track(new ctx.Process({ target: f.ident, args: [0] })); // a reused warm worker starts from 0
    r.start();
    r.join(30);
    expect(r.exitcode).toBe(0);
  });

  test("an uncaught throw in the main program prints its traceback before the children are joined", async () => {
    const r = await run(["--import", "tsx", "rel_throw.ts"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("main throws\nchild finished\n");
    expect(r.stderr).toContain("Error: uncaught in main");
    expect(r.both.indexOf("Error: uncaught in main")).toBeLessThan(r.both.indexOf("child finished"));
  });
});

describe.concurrent("Node flags", () => {
  test("flags a worker refuses are not passed on: Process and Pool work", async () => {
    const r = await run(["--max-old-space-size=2048", "--expose-gc", "--stack-size=2000", "--title", "relflags", "--abort-on-uncaught-exception", "--import", "tsx", "rel_flags.ts"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("process exitcode 0\npool map [1, 2]\n");
  });
});
