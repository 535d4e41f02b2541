import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as t from "./fixtures/targets.js";
import { spawn, track } from "./helpers/processes.js";

describe("Process", () => {
  test("args and kwargs reach the target, kwargs as one trailing object", () => {
    const q = mp.Queue();
    const p = spawn({ target: t.putArgs, args: [q, 1, "two"], kwargs: { three: 3 } });
    expect(q.get(true, 30)).toEqual([1, "two", { three: 3 }]);
    p.join();
    expect(p.exitcode).toBe(0);
  });

  test("a returning target exits 0 and join() returns undefined", () => {
    const p = spawn({ target: t.noop });
    expect(p.join()).toBeUndefined();
    expect(p.exitcode).toBe(0);
    expect(p.is_alive()).toBe(false);
  });

  test("an uncaught exception exits 1", () => {
    const p = spawn({ target: t.raiseValueError, args: ["boom"] });
    p.join();
    expect(p.exitcode).toBe(1);
  });

  test("a rejected async target exits 1 and a resolved one 0", () => {
    const p = spawn({ target: t.rejectLater, args: ["no"] });
    const q = mp.Queue();
    const p2 = spawn({ target: t.asyncPut, args: [q, "yes"] });
    p.join();
    expect(q.get(true, 30)).toBe("yes");
    p2.join();
    expect([p.exitcode, p2.exitcode]).toEqual([1, 0]);
  });

  test("sys.exit and process.exit codes follow Python's rules", () => {
    const cases: [unknown, number][] = [[0, 0], [3, 3], [256, 0], [null, 0], [true, 1], [false, 0], ["msg", 1]];
    const procs = cases.map(([code]) => spawn({ target: t.exitWith, args: [code] }));
    const direct = spawn({ target: t.processExit, args: [7] });
    for (const p of procs) p.join();
    direct.join();
    expect(procs.map((p) => p.exitcode)).toEqual(cases.map(([, c]) => c));
    expect(direct.exitcode).toBe(7);
  });

  test("terminate() gives -15 and kill() -9, even while the child sleeps", () => {
    const e1 = mp.Event();
    const e2 = mp.Event();
    const a = spawn({ target: t.setAndSleep, args: [e1, 60] });
    const b = spawn({ target: t.setAndSleep, args: [e2, 60] });
    expect(e1.wait(30) && e2.wait(30)).toBe(true);
    a.terminate();
    b.kill();
    a.join();
    b.join();
    expect([a.exitcode, b.exitcode]).toEqual([-15, -9]);
    expect(String(a)).toMatch(/stopped exitcode=-SIGTERM>$/);
  });

  test("join(timeout) returns while the child still runs", () => {
    const e = mp.Event();
    const p = spawn({ target: t.setAndSleep, args: [e, 60] });
    e.wait(30);
    const t0 = performance.now();
    p.join(0.1);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(p.is_alive()).toBe(true);
    p.terminate();
    p.join();
  });

  test("join_async() resolves without blocking the event loop", async () => {
    const p = spawn({ target: t.sleepSeconds, args: [0.2] });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await p.join_async();
    clearInterval(timer);
    expect(p.exitcode).toBe(0);
    expect(ticks).toBeGreaterThan(3);
  });

  test("names are Process-N, and a child's children are Process-N:M", () => {
    const q = mp.Queue();
    const p = spawn({ target: t.spawnGrandchild, args: [q] });
    const [gname, , gparent] = q.get(true, 30) as [string, number, string];
    const [, code, name] = q.get(true, 30) as [string, number, string];
    p.join();
    expect(p.name).toMatch(/^Process-\d+$/);
    expect(gname).toBe(`${p.name}:1`);
    expect(gparent).toBe(p.name);
    expect(name).toBe(`${p.name}:1`);
    expect(code).toBe(0);
  });

  test("each child has its own pid, equal to os.getpid() there", () => {
    const q = mp.Queue();
    const a = spawn({ target: t.putName, args: [q] });
    const b = spawn({ target: t.putName, args: [q] });
    const got = [q.get(true, 30), q.get(true, 30)] as [string, number, string][];
    a.join();
    b.join();
    expect(new Set(got.map((g) => g[1]))).toEqual(new Set([a.pid, b.pid]));
    expect(a.pid).not.toBe(mp.current_process().pid);
  });

  test("misuse raises Python's errors", () => {
    const p = track(new mp.Process({ target: t.noop }));
    expect(() => p.join()).toThrow("can only join a started process");
    expect(() => p.terminate()).toThrow("'NoneType' object has no attribute 'terminate'");
    expect(() => p.sentinel).toThrow("process not started");
    p.start();
    expect(() => p.start()).toThrow("cannot start a process twice");
    expect(() => (p.daemon = true)).toThrow("process has already started");
    p.join();
    p.close();
    for (const f of [() => p.start(), () => p.join(), () => p.is_alive(), () => p.exitcode, () => p.pid]) {
      expect(f).toThrow("process object is closed");
    }
    expect(() => new mp.Process({ group: 1 as any })).toThrow("group argument must be None for now");
    expect(() => new mp.Process({ target: t.noop, args: 5 as any })).toThrow("'int' object is not iterable");
    expect(() => mp.current_process().join()).toThrow("can only join a child process");
  });

  test("close() refuses a running process", () => {
    const e = mp.Event();
    const p = spawn({ target: t.setAndSleep, args: [e, 60] });
    e.wait(30);
    expect(() => p.close()).toThrow("Cannot close a process while it is still running. You should first call join() or terminate().");
    p.terminate();
    p.join();
    p.close();
  });

  test("a start() whose arguments cannot be sent raises in the parent, and the next start() works", () => {
    const q = mp.Queue();
    const bad = new mp.Process({ target: t.putArgs, args: [q, () => 1] });
    let error: unknown = null;
    try {
      bad.start();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(mp.py.TypeError);
    expect(String((error as Error).message)).toContain("cannot send an anonymous function");
    expect(bad.pid).toBeNull(); // nothing started
    const p = spawn({ target: t.putArgs, args: [q, "after"] });
    expect(q.get(true, 30)).toEqual(["after"]);
    p.join();
    expect(p.exitcode).toBe(0);
  });

  test("anonymous targets are refused with the fix in the message", () => {
    expect(() => new mp.Process({ target: (() => () => 1)() })).toThrow(/export function/);
  });

  test("a subclass whose run() is overridden runs in the child with its own fields", () => {
    // (covered with a real program in conformance/cases/process_subclass_run.ts)
    expect(typeof mp.Process.prototype.run).toBe("function");
  });

  test("active_children() lists running children and forgets finished ones", () => {
    const e = mp.Event();
    const p = spawn({ target: t.setAndSleep, args: [e, 60] });
    e.wait(30);
    expect(mp.active_children()).toContain(p);
    p.terminate();
    p.join();
    expect(mp.active_children()).not.toContain(p);
  });

  test("daemon defaults to the creator's flag and is inherited by the constructor option", () => {
    expect(new mp.Process().daemon).toBe(false);
    expect(new mp.Process({ daemon: true }).daemon).toBe(true);
  });

  test("forkserver children start on warm workers and behave the same", () => {
    const ctx = mp.get_context("forkserver");
    const q = mp.Queue();
    const procs = [0, 1, 2].map(() => track(new ctx.Process({ target: t.putName, args: [q] })));
    for (const p of procs) {
      p.start();
      p.join();
    }
    const got = procs.map(() => q.get(true, 30) as [string, number]);
    expect(procs.map((p) => p.exitcode)).toEqual([0, 0, 0]);
    expect(new Set(got.map((g) => g[1])).size).toBe(3);
    expect(got.map((g) => g[0])).toEqual(procs.map((p) => p.name));
  });

  test("a reused forkserver worker still delivers its queue backlog and closes its connections at exit", () => {
    const ctx = mp.get_context("forkserver");
    for (let round = 0; round < 3; round++) {
      const q = mp.Queue(0, { capacity: 4096 }); // small: most items wait in the child's backlog
      const [r, w] = mp.Pipe(false);
      const p = track(new ctx.Process({ target: t.putMany, args: [q, 2000, w] }));
      p.start();
      w.close();
      expect(r.recv()).toBe("done");
      const got = Array.from({ length: 2000 }, () => q.get(true, 30));
      expect(got[1999]).toBe(1999);
      expect(() => r.recv()).toThrow(mp.py.EOFError);
      p.join();
      expect(p.exitcode).toBe(0);
    }
  });

  test("each spawned child starts with fresh module state and the environment of its start()", () => {
    // From the second start() on, a spare worker is booted ahead of time; the pauses let it finish
    // booting, so the later children run on spares that were ready and waiting.
    const key = "MP_TS_SPAWN_ENV_TEST";
    const q = mp.Queue();
    const got: unknown[] = [];
    for (const value of [null, "one", null, "two"]) {
      if (value === null) delete process.env[key];
      else process.env[key] = value;
      const p = spawn({ target: t.putCallsAndEnv, args: [q, key] });
      got.push(q.get(true, 30));
      p.join();
      expect(p.exitcode).toBe(0);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    }
    delete process.env[key];
    expect(got).toEqual([[1, null], [1, "one"], [1, null], [1, "two"]]);
  });

  test("cpu_count() is a positive integer", () => {
    expect(mp.cpu_count()).toBeGreaterThan(0);
  });
});
