// The distributed Pool (multiprocessing-ts/distributed) on a real redis-server and real
// `multiprocessing-ts worker` processes: Pool's API and errors, worker death, terminate, two
// Pools on one Redis. Skipped when redis-server is not installed.
import { execFileSync } from "node:child_process";
import mp from "multiprocessing-ts";
import { Pool, RemoteTraceback, TimeoutError } from "multiprocessing-ts/distributed";
import { KeyError, RuntimeError, ValueError } from "multiprocessing-ts/py";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { hasRedis, startRedis, type RedisServer } from "./helpers/redis.js";
import * as t from "./fixtures/distributed_targets.js";

let redis: RedisServer;
/** One Pool of 2 local workers for the tests of the API (each Pool's workers take a while to boot). */
let shared: Pool;
const queue = `test-${process.pid}-${Date.now()}`;
const pools: Pool[] = [];
function track(p: Pool): Pool {
  pools.push(p);
  return p;
}

/** PIDs of the worker processes serving this file's queues (what the Pools started). */
function workerPids(q = queue): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes("multiprocessing-ts.mjs worker") && l.includes(`--queue ${q}`))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

/** Blocks until `n` worker processes of the queue are up (or 20 s pass). */
function waitForWorkers(n: number, q = queue): number[] {
  for (const deadline = performance.now() + 20_000; performance.now() < deadline; ) {
    const pids = workerPids(q);
    if (pids.length >= n) return pids;
    mp.py.time.sleep(0.05);
  }
  throw new Error(`${n} workers did not start`);
}

describe.skipIf(!hasRedis)("distributed Pool", () => {
  beforeAll(async () => {
    redis = await startRedis();
    shared = Pool({ processes: 2, connection: redis.url, queue });
  });
  afterEach(() => {
    // Every Pool a test starts is terminated and joined: its local workers have exited.
    for (const p of pools.splice(0)) {
      p.terminate();
      p.join();
    }
  });
  afterAll(async () => {
    shared?.terminate();
    await shared?.join_async();
    await redis?.stop();
    expect(workerPids().length, "worker processes left running").toBe(0);
  });

  test("map of 10,000 items over 2 worker processes gives every result in order", () => {
    const pool = shared;
    const xs = [...mp.py.range(10_000)];
    expect(pool.map(t.square, xs)).toEqual(xs.map((x) => x * x));
    // Both processes serve the queue: slow one-item chunks go to both.
    const pids = new Set(pool.map(t.slowSquare, [...mp.py.range(8)], 1).map(([, pid]) => pid));
    expect(pids.size).toBe(2);
    for (const pid of pids) expect(pid).not.toBe(process.pid);
    expect(pool.map(t.square, xs.slice(0, 500), 7)).toEqual(xs.slice(0, 500).map((x) => x * x));
    expect(pool.map(t.square, [])).toEqual([]);
  });

  test("the Pool's API: starmap, apply with keywords, callbacks, async functions, awaitable results, values by reference", async () => {
    const pool = shared;
    // map() blocks the calling thread (the event loop does not run meanwhile), as the local Pool's.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    while (performance.now() - t0 < 5); // let the timer become due
    expect(pool.map(t.square, [1, 2, 3], 1)).toEqual([1, 4, 9]);
    clearInterval(timer);
    expect(ticks).toBe(0);
    expect(pool.starmap(t.add, [[1, 2], [3, 4]])).toEqual([3, 7]);
    expect(await pool.starmap_async(t.add, [[5, 6]])).toEqual([11]);
    expect(pool.apply(t.add, [20, 22])).toBe(42);
    expect(pool.apply(t.asyncDouble, [21])).toBe(42);
    expect(await pool.map_async(t.asyncDouble, [1, 2, 3])).toEqual([2, 4, 6]);
    // Class instances and functions travel by module + export name.
    expect(pool.apply(t.norm1, [new t.Point(3, -4)])).toBe(7);
    expect(pool.apply(t.callWith, [t.square, 9])).toBe(81);
    // Values travel by the codec: Maps, Sets, bigints, nested data.
    const v = { a: [1, "two", null], m: new Map([[1, new Set([2n])]]), d: new Date(0), b: Buffer.from("xy") };
    expect(pool.apply(t.identity, [v])).toEqual(v);
    expect(pool.map(t.identity, [0.5, -0, 2 ** 40, "s", true])).toEqual([0.5, -0, 2 ** 40, "s", true]);
    let got: unknown = null;
    const r = pool.map_async(t.square, [1, 2], { callback: (x) => (got = x) });
    r.wait(20);
    expect(r.ready()).toBe(true);
    expect(r.successful()).toBe(true);
    expect(got).toEqual([1, 4]);
    const slow = pool.apply_async(t.slowSquare, [2, 1]);
    expect(() => slow.get(0.05)).toThrow(TimeoutError);
    expect(() => slow.successful()).toThrow(/not ready/);
    expect(slow.get(20)[0]).toBe(4);
    expect(String(pool.__repr__())).toBe("<multiprocessing.pool.Pool state=RUN pool_size=2>");
    expect(() => pool.join()).toThrow(/Pool is still running/);
  });

  test("imap streams results in order as they complete; imap_unordered in completion order", () => {
    const pool = shared;
    const t0 = performance.now();
    const it = pool.imap(t.sleepThenSquare, [0, 1, 2, 3, 4, 5]);
    expect(it.next(20).value).toBe(0);
    const first = performance.now() - t0;
    const rest = [...(it as Iterable<number>)];
    const all = performance.now() - t0;
    expect(rest).toEqual([1, 4, 9, 16, 25]);
    expect(first).toBeLessThan(all / 2); // the first result came before the others were done
    expect([...(pool.imap_unordered(t.square, [1, 2, 3, 4]) as Iterable<number>)].sort((a, b) => a - b)).toEqual([1, 4, 9, 16]);
    expect([...(pool.imap(t.square, [1, 2, 3, 4, 5], 2) as Iterable<number>)]).toEqual([1, 4, 9, 16, 25]);
    expect(() => pool.imap(t.square, [1], 0)).toThrow(new ValueError("Chunksize must be 1+, not 0"));
  });

  test("a task's exception comes back with Python's class, args and the worker's traceback as its cause", () => {
    const pool = shared;
    let viaCallback: unknown = null;
    const r = pool.apply_async(t.failKey, ["key"], {}, null, (e) => (viaCallback = e));
    let err: any = null;
    try {
      r.get(20);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyError);
    expect(err.args).toEqual(["key"]);
    expect(String(err)).toBe("'key'");
    expect(err.cause).toBeInstanceOf(RemoteTraceback);
    expect(err.cause.tb).toMatch(/^\n"""\nTraceback \(most recent call last\):\n/);
    expect(err.cause.tb).toContain("distributed_targets.ts");
    expect(err.cause.tb).toContain("KeyError: 'key'\n\"\"\"");
    expect(viaCallback).toBe(err);
    expect(r.successful()).toBe(false);
    // map raises the failing item's error after every chunk is back; imap raises it at its place and goes on.
    expect(() => pool.map(t.failValue, [1, 2, 3, 4], 1)).toThrow(new ValueError("bad 3"));
    const it = pool.imap(t.failValue, [2, 3, 4]);
    expect(it.next(20).value).toBe(2);
    expect(() => it.next(20)).toThrow(ValueError);
    expect(it.next(20).value).toBe(4);
  });

  test("shared objects in a task are refused in the caller with Python's error", () => {
    const pool = track(Pool({ processes: 0, connection: redis.url, queue }));
    expect(() => pool.apply(t.square, [mp.Lock()])).toThrow(new RuntimeError(
      "Lock objects should only be shared between processes through inheritance (a distributed Pool's workers are other processes, possibly on other machines, and cannot reach this process's shared memory: send plain values)"));
    expect(() => pool.map(t.identity, [[mp.Value("i", 1)]])).toThrow(/Synchronized objects should only be shared/);
    expect(() => Pool({ processes: 0, connection: redis.url, queue, initializer: t.setBase, initargs: [mp.Event()] })).toThrow(/Event objects should only be shared/);
    expect(() => pool.apply(() => 1)).toThrow(/anonymous function/);
  });

  test("the initializer runs in every worker thread; maxtasksperchild replaces the thread, which runs it again", () => {
    const pool = track(Pool({ processes: 1, connection: redis.url, queue: `${queue}-init`, initializer: t.initToken_, initargs: ["tok"], maxtasksperchild: 2 }));
    const tokens = pool.map(t.getInitToken, [...mp.py.range(4)], 1);
    expect(tokens.every((s) => s.startsWith("tok-"))).toBe(true);
    // No thread ran more than 2 tasks; each new thread ran the initializer (its own token).
    const uses = new Map<string, number>();
    for (const s of tokens) uses.set(s, (uses.get(s) ?? 0) + 1);
    expect(Math.max(...uses.values())).toBe(2);
    expect(uses.size).toBeGreaterThanOrEqual(2);
    expect(() => Pool({ processes: 1, connection: redis.url, maxtasksperchild: 0 })).toThrow(new ValueError("maxtasksperchild must be a positive int or None"));
    expect(() => Pool({ processes: -1, connection: redis.url })).toThrow(ValueError);
  });

  test("a worker process killed with SIGKILL mid-map loses nothing: its chunk runs again, and the map is exact", () => {
    const q = `${queue}-kill`;
    const pool = track(Pool({ processes: 2, connection: redis.url, queue: q, lock_duration: 1, stalled_interval: 0.5 }));
    const [victim] = waitForWorkers(2, q);
    const xs = [...mp.py.range(40)];
    const r = pool.map_async(t.slowSquare, xs.map((x) => x), 1);
    mp.py.time.sleep(0.6); // both workers are mid-task
    const t0 = performance.now();
    process.kill(victim!, "SIGKILL");
    const got = r.get(30);
    expect(got.map(([sq]) => sq)).toEqual(xs.map((x) => x * x));
    // Recovery takes about lock_duration + 2 stalled_interval (a few seconds on a loaded
    // machine), not BullMQ's default 60 s.
    expect(performance.now() - t0).toBeLessThan(20_000);
    // The Pool started a replacement for the dead worker.
    expect(waitForWorkers(2, q)).not.toContain(victim);
  });

  test("terminate() removes the Pool's jobs and keys and stops its workers", async () => {
    const q = `${queue}-term`;
    const pool = Pool({ processes: 1, connection: redis.url, queue: q });
    waitForWorkers(1, q);
    const r = pool.map_async(t.slowSquare, [...mp.py.range(200)].map((x) => x), 1);
    mp.py.time.sleep(0.5);
    const t0 = performance.now();
    pool.terminate();
    pool.join();
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(() => r.get(0.1)).toThrow(TimeoutError);
    expect(() => pool.map(t.square, [1])).toThrow(new ValueError("Pool not running"));
    expect(workerPids(q)).toEqual([]);
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys(`*${pool.id}*`);
      expect(keys).toEqual([]);
      for (const list of ["wait", "active", "paused"]) expect(await client.lrange(`bull:${q}:${list}`, 0, -1)).toEqual([]);
      expect(await client.zrange(`bull:${q}:prioritized`, 0, -1)).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  test("two Pools share one Redis and one queue: each gets its own results, runs its own initializer, and terminates alone", async () => {
    const q = `${queue}-two`;
    const a = track(Pool({ processes: 1, connection: redis.url, queue: q, initializer: t.setBase, initargs: [100] }));
    const b = track(Pool({ processes: 1, connection: redis.url, queue: q, initializer: t.setBase, initargs: [1000] }));
    const xs = [...mp.py.range(100)];
    const ra = a.map_async(t.addBase, xs, 1);
    const rb = b.map_async(t.addBase, xs, 3);
    expect(ra.get(60)).toEqual(xs.map((x) => x + 100));
    expect(rb.get(60)).toEqual(xs.map((x) => x + 1000));
    const slow = a.map_async(t.slowSquare, [...mp.py.range(50)], 1);
    a.terminate();
    a.join();
    expect(slow.ready()).toBe(false);
    expect(b.map(t.addBase, [1, 2, 3])).toEqual([1001, 1002, 1003]);
    b.close();
    b.join();
  });

  test("`multiprocessing-ts worker` (--connection, --queue, --concurrency, --maxtasksperchild) serves a Pool without local workers, and exits 0 on SIGTERM after its current task", async () => {
    const { spawn } = await import("node:child_process");
    const q = `${queue}-cli`;
    const child = spawn(process.execPath, ["bin/multiprocessing-ts.mjs", "worker", "--connection", redis.url, "--queue", q, "--concurrency", "2", "--maxtasksperchild", "1"], { stdio: "inherit" });
    const exited = new Promise<[number | null, string | null]>((r) => child.on("exit", (code, sig) => r([code, sig])));
    try {
      const pool = track(Pool({ processes: 0, connection: redis.url, queue: q, initializer: t.initToken_, initargs: ["cli"] }));
      expect(pool.map(t.square, [1, 2, 3])).toEqual([1, 4, 9]);
      // --concurrency 2: this one worker process runs two chunks at once.
      const [a, b] = pool.map(t.span, [0.5, 0.5], 1);
      expect([a!.pid, b!.pid]).toEqual([child.pid, child.pid]);
      expect(a!.start < b!.end && b!.start < a!.end).toBe(true);
      // --maxtasksperchild 1: every chunk runs in a new task thread, which runs the initializer again.
      const tokens = pool.map(t.getInitToken, [...mp.py.range(4)], 1);
      expect(tokens.every((s) => s.startsWith(`cli-${child.pid}-`))).toBe(true);
      expect(new Set([...tokens, a!.token, b!.token]).size).toBe(6);
      const r = pool.apply_async(t.slowSquare, [5, 1]);
      await new Promise((res) => setTimeout(res, 400)); // the task is running
      child.kill("SIGTERM");
      expect((await r.get_async(20))[0]).toBe(25);
      expect(await exited).toEqual([0, null]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  test("examples/distributed/main.ts prints what the Python docs' Pool example (main.py) prints", async () => {
    const { execFile } = await import("node:child_process");
    const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr })));
    const ours = await run(process.execPath, ["--import", "tsx", "examples/distributed/main.ts"], { REDIS_URL: redis.url });
    expect(ours.stdout, ours.stderr).toBe("[1, 4, 9]\n");
    expect(ours.code).toBe(0);
    const theirs = await run("python3", ["examples/distributed/main.py"]);
    expect(theirs.stdout).toBe(ours.stdout);
  });

  test("with() and using terminate the Pool, as Python's with-statement", () => {
    const pool = Pool({ processes: 0, connection: redis.url, queue });
    expect(pool.with((p) => String(p.__repr__()))).toBe("<multiprocessing.pool.Pool state=RUN pool_size=" + String(mp.cpu_count()) + ">");
    expect(String(pool.__repr__())).toContain("state=TERMINATE");
    pool.join();
    {
      using p2 = new Pool({ processes: 0, connection: redis.url, queue });
      expect(p2.__enter__()).toBe(p2);
    }
  });
});
